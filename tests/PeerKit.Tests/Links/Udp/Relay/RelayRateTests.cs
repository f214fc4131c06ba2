using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>A binding's token bucket, with fake time (µs).</summary>
public sealed class RelayRateTests
{
    private const long Rate = 1_000_000; // bytes per second: one byte per µs
    private const long Burst = 100_000;

    [Fact]
    public void A_full_bucket_gives_its_burst_then_refuses()
    {
        var rate = new RelayRate(Burst, now: 0);
        for (int i = 0; i < 100; i++)
        {
            Assert.True(rate.TryTake(1000, now: 0, Rate, Burst));
        }

        Assert.False(rate.TryTake(1, now: 0, Rate, Burst));
    }

    [Fact]
    public void Time_refills_the_bucket_at_the_rate_up_to_the_burst()
    {
        var rate = new RelayRate(Burst, now: 0);
        Assert.True(rate.TryTake((int)Burst, now: 0, Rate, Burst));
        Assert.False(rate.TryTake(1000, now: 999, Rate, Burst));
        Assert.True(rate.TryTake(1000, now: 1000, Rate, Burst)); // 1,000 µs later: 1,000 bytes
        Assert.False(rate.TryTake(1, now: 1000, Rate, Burst));

        // A long quiet spell fills it to the burst, never beyond, and a huge gap does not overflow.
        Assert.True(rate.TryTake((int)Burst, now: 10_000_000, Rate, Burst));
        Assert.False(rate.TryTake(1, now: 10_000_000, Rate, Burst));
        Assert.True(rate.TryTake((int)Burst, now: long.MaxValue / 2, long.MaxValue / 4, Burst));
        Assert.False(rate.TryTake(1, now: long.MaxValue / 2, long.MaxValue / 4, Burst));
    }

    [Fact]
    public void A_refused_datagram_takes_nothing()
    {
        var rate = new RelayRate(Burst, now: 0);
        Assert.True(rate.TryTake(99_000, now: 0, Rate, Burst));
        Assert.False(rate.TryTake(2000, now: 0, Rate, Burst));
        Assert.True(rate.TryTake(1000, now: 0, Rate, Burst)); // the 1,000 left are still there
    }

    [Fact]
    public void A_low_rate_refills_even_when_datagrams_come_microseconds_apart()
    {
        const long rate = 64 * 1024; // 64 KiB/s: 0.065 bytes per µs, so each 10 µs step refills less than a whole byte
        const long burst = 1200;
        var bucket = new RelayRate(burst, now: 0);
        long passed = 0;
        for (long now = 0; now <= 1_000_000; now += 10)
        {
            if (bucket.TryTake(100, now, rate, burst))
            {
                passed += 100;
            }
        }

        // One second: the burst plus about a second's worth of the rate.
        Assert.InRange(passed, rate - 200, rate + burst + 100);
    }
}
