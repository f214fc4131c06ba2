using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>The delivery-rate sampler behind the bandwidth estimate, with fake time.</summary>
public sealed class DeliveryRateTests
{
    [Fact]
    public void The_estimate_is_the_bytes_delivered_per_second_between_send_and_acknowledgement()
    {
        var rate = new DeliveryRate(now: 0);
        var packets = new SentPacket[10];
        for (int i = 0; i < packets.Length; i++)
        {
            packets[i] = new SentPacket { Size = 1_000 };
            rate.OnPacketSent(packets[i]);
        }

        for (int i = 0; i < packets.Length; i++)
        {
            rate.OnPacketAcked(packets[i], now: (i + 1) * 1_000, srtt: 10_000); // one packet a millisecond
        }

        Assert.Equal(1_000_000, rate.Bandwidth, 0); // 1,000 bytes per ms
        Assert.Equal(20_000, rate.BytesPer(20_000)); // for a 20 ms round trip
    }

    [Fact]
    public void A_lower_sample_replaces_the_maximum_only_once_it_is_old()
    {
        var rate = new DeliveryRate(now: 0);
        var fast = new SentPacket { Size = 10_000 };
        rate.OnPacketSent(fast);
        rate.OnPacketAcked(fast, now: 1_000, srtt: 10_000); // 10 MB/s
        double peak = rate.Bandwidth;
        var slow = new SentPacket { Size = 1_000 };
        rate.OnPacketSent(slow);
        rate.OnPacketAcked(slow, now: 101_000, srtt: 10_000); // 0.01 MB/s, within the 1 s window
        Assert.Equal(peak, rate.Bandwidth);
        var later = new SentPacket { Size = 1_000 };
        rate.OnPacketSent(later);
        rate.OnPacketAcked(later, now: 2_000_000, srtt: 10_000); // the peak is older than the window
        Assert.True(rate.Bandwidth < peak);
    }
}
