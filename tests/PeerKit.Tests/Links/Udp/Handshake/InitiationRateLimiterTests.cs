using System.Net;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp.Handshake;

/// <summary>The per-source token bucket for handshake initiations, alone, with the time passed in (microseconds).</summary>
public sealed class InitiationRateLimiterTests
{
    private static UInt128 Source(string address, int port = 1000) => InitiationRateLimiter.SourceOf(new IPEndPoint(IPAddress.Parse(address), port).Serialize());

    [Fact]
    public void A_source_gets_its_burst_at_once_then_one_initiation_per_interval()
    {
        var limiter = new InitiationRateLimiter(ratePerSecond: 10, burst: 5, maxBytes: 1 << 16);
        UInt128 a = Source("192.0.2.1");
        for (int i = 0; i < 5; i++)
        {
            Assert.True(limiter.TryTake(a, now: 0), $"initiation {i} of the burst");
        }

        Assert.False(limiter.TryTake(a, now: 0));
        Assert.False(limiter.TryTake(a, now: 99_999)); // 10/s: one token per 100 ms
        Assert.True(limiter.TryTake(a, now: 100_000));
        Assert.False(limiter.TryTake(a, now: 100_000));
        Assert.True(limiter.TryTake(a, now: 10_000_000)); // quiet for long: the bucket is full again, not fuller
        int allowed = 1;
        while (limiter.TryTake(a, now: 10_000_000))
        {
            allowed++;
        }

        Assert.Equal(5, allowed);
    }

    [Fact]
    public void Sources_are_limited_apart_so_one_cannot_starve_another()
    {
        var limiter = new InitiationRateLimiter(ratePerSecond: 1, burst: 2, maxBytes: 1 << 16);
        UInt128 attacker = Source("192.0.2.1");
        for (int i = 0; i < 1000; i++)
        {
            limiter.TryTake(attacker, now: i);
        }

        Assert.True(limiter.TryTake(Source("192.0.2.2"), now: 1000));
    }

    [Fact]
    public void Ports_of_one_address_and_addresses_of_one_ipv6_64_prefix_are_one_source()
    {
        Assert.Equal(Source("192.0.2.1", 1), Source("192.0.2.1", 2));
        Assert.NotEqual(Source("192.0.2.1"), Source("192.0.2.2"));
        Assert.Equal(Source("2001:db8:1:2::1"), Source("2001:db8:1:2:ffff::9"));
        Assert.NotEqual(Source("2001:db8:1:2::1"), Source("2001:db8:1:3::1"));
        Assert.Equal(Source("192.0.2.1"), Source("::ffff:192.0.2.1")); // IPv4-mapped is the IPv4 address
        Assert.NotEqual(Source("::1"), Source("0.0.0.1"));
    }

    [Fact]
    public void The_table_is_bounded_in_bytes_and_refuses_newcomers_while_every_source_in_it_is_limited()
    {
        var limiter = new InitiationRateLimiter(ratePerSecond: 1, burst: 1, maxBytes: 10 * InitiationRateLimiter.EntryBytes);
        Assert.Equal(10, limiter.Capacity);
        for (int i = 0; i < 10; i++)
        {
            Assert.True(limiter.TryTake(Source($"192.0.2.{i + 1}"), now: 0));
        }

        // Full, and every bucket is empty: forgetting one would hand it a fresh burst, so the newcomer waits.
        Assert.False(limiter.TryTake(Source("198.51.100.1"), now: 500_000));
        Assert.Equal(1, limiter.TableFullRefusals);
        Assert.Equal(10, limiter.Count);
    }

    [Fact]
    public void A_full_table_forgets_the_least_recent_source_once_its_bucket_has_refilled()
    {
        var limiter = new InitiationRateLimiter(ratePerSecond: 1, burst: 1, maxBytes: 3 * InitiationRateLimiter.EntryBytes);
        UInt128 first = Source("192.0.2.1");
        Assert.True(limiter.TryTake(first, now: 0));
        Assert.True(limiter.TryTake(Source("192.0.2.2"), now: 600_000));
        Assert.True(limiter.TryTake(Source("192.0.2.3"), now: 600_000));

        // At 1 s the first source's bucket is full again: it is forgotten to make room, losing nothing.
        Assert.True(limiter.TryTake(Source("198.51.100.1"), now: 1_000_000));
        Assert.Equal(3, limiter.Count);

        // The second and third are still limited, so a further newcomer is refused rather than evict them.
        Assert.False(limiter.TryTake(Source("198.51.100.2"), now: 1_000_000));

        // A source that keeps coming stays the most recent and is never the one forgotten.
        Assert.True(limiter.TryTake(first, now: 2_000_000)); // it comes back (the table had room after the 2nd refilled)
        Assert.False(limiter.TryTake(first, now: 2_000_001));
    }
}
