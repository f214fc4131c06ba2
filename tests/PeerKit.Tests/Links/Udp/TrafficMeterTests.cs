using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>A link's traffic counts and per-second rates, with fake time (µs).</summary>
public sealed class TrafficMeterTests
{
    [Fact]
    public void Rates_are_measured_over_each_full_second_with_the_share_lost()
    {
        var meter = new TrafficMeter();
        meter.Start(0);
        for (int i = 0; i < 100; i++)
        {
            meter.OnSent(1_000);
            meter.OnReceived(500);
        }

        Assert.False(meter.Tick(999_999, packetsLost: 10));
        Assert.True(meter.Tick(2_000_000, packetsLost: 10)); // two seconds
        Assert.Equal(50, meter.PacketsSentPerSecond);
        Assert.Equal(25_000, meter.BytesReceivedPerSecond);
        Assert.Equal(0.1, meter.Loss, 6);
        Assert.True(meter.Tick(3_000_000, packetsLost: 10));
        Assert.Equal(0, meter.PacketsSentPerSecond);
        Assert.Equal(0, meter.Loss);
        Assert.Equal(100, meter.PacketsSent);
    }
}
