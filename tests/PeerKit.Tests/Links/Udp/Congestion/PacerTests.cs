using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>The pacer's token bucket, with fake time.</summary>
public sealed class PacerTests
{
    [Fact]
    public void Nothing_is_paced_before_the_first_round_trip_sample()
    {
        var pacer = new Pacer(timerResolution: 1_000, now: 0);
        Assert.Equal(0, Pacer.Rate(12_000, slowStart: true, srtt: 10_000, hasSample: false));
        pacer.OnSent(100_000);
        Assert.True(pacer.CanSend(hasRttSample: false));
        Assert.False(pacer.CanSend(hasRttSample: true));
    }

    [Fact]
    public void The_rate_is_the_window_per_round_trip_doubled_in_slow_start()
    {
        Assert.Equal(2.0 * 12_000 / 0.01, Pacer.Rate(12_000, slowStart: true, srtt: 10_000, hasSample: true), 6);
        Assert.Equal(1.25 * 12_000 / 0.01, Pacer.Rate(12_000, slowStart: false, srtt: 10_000, hasSample: true), 6);
    }

    [Fact]
    public void Tokens_accrue_at_the_rate_up_to_the_burst_allowance()
    {
        var pacer = new Pacer(timerResolution: 1_000, now: 0);
        pacer.Refill(now: 1_000, rate: 1_000_000, maxDatagramSize: 1200); // 1 ms at 1 MB/s: 1,000 bytes
        Assert.Equal(1_000, pacer.Tokens, 6);
        pacer.OnSent(1_200);
        Assert.False(pacer.CanSend(hasRttSample: true));
        pacer.Refill(now: 1_000_000, rate: 1_000_000, maxDatagramSize: 1200); // a long idle: capped at 4 packets
        Assert.Equal(4 * 1200, pacer.Tokens, 6);
        Assert.True(pacer.CanSend(hasRttSample: true));
    }
}
