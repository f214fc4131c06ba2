namespace PeerKit.Hosting.Tests;

public sealed class LogRateLimiterTests
{
    [Fact]
    public void A_window_allows_the_limit_then_counts_what_it_refuses_and_reports_it_with_the_next_entry()
    {
        var limiter = new LogRateLimiter(2, TimeSpan.FromSeconds(10));
        Assert.True(limiter.TryAcquire(TimeSpan.FromSeconds(1), out long s1));
        Assert.True(limiter.TryAcquire(TimeSpan.FromSeconds(2), out long s2));
        Assert.False(limiter.TryAcquire(TimeSpan.FromSeconds(3), out _));
        Assert.False(limiter.TryAcquire(TimeSpan.FromSeconds(4), out _));
        Assert.False(limiter.TryAcquire(TimeSpan.FromSeconds(10.9), out _));
        Assert.Equal((0, 0), (s1, s2));
        Assert.Equal(3, limiter.TotalSuppressed);

        Assert.True(limiter.TryAcquire(TimeSpan.FromSeconds(11), out long carried));
        Assert.Equal(3, carried);
        Assert.True(limiter.TryAcquire(TimeSpan.FromSeconds(12), out long none));
        Assert.Equal(0, none);
        Assert.False(limiter.TryAcquire(TimeSpan.FromSeconds(12), out _));
    }

    [Fact]
    public void A_limit_below_one_or_an_empty_window_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LogRateLimiter(0, TimeSpan.FromSeconds(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LogRateLimiter(1, TimeSpan.Zero));
    }
}
