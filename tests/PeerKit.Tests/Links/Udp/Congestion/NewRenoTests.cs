using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>NewReno alone, with fake time: growth, reductions, one reduction per round trip, the floor, application limits.</summary>
public sealed class NewRenoTests
{
    private const int Packet = 1200;

    [Fact]
    public void Slow_start_grows_the_window_by_every_byte_acknowledged()
    {
        var reno = new NewReno(10 * Packet);
        Assert.True(reno.InSlowStart);
        for (int i = 0; i < 10; i++)
        {
            reno.OnPacketAcked(sentAt: 100 + i, Packet, inFlightAtSend: 10 * Packet, Packet);
        }

        Assert.Equal(20 * Packet, reno.Window);
    }

    [Fact]
    public void A_loss_cuts_the_window_to_seven_tenths_and_ends_slow_start()
    {
        var reno = new NewReno(100 * Packet);
        reno.OnPacketLost(sentAt: 10, now: 1_000, timeout: false, floor: 0, Packet);
        Assert.Equal(70 * Packet, reno.Window);
        Assert.Equal(70 * Packet, reno.SlowStartThreshold);
        Assert.False(reno.InSlowStart);
    }

    [Fact]
    public void Losses_of_packets_sent_before_the_last_reduction_do_not_cut_again()
    {
        var reno = new NewReno(100 * Packet);
        reno.OnPacketLost(sentAt: 10, now: 1_000, timeout: false, floor: 0, Packet);
        reno.OnPacketLost(sentAt: 500, now: 1_100, timeout: false, floor: 0, Packet); // same round trip
        Assert.Equal(70 * Packet, reno.Window);
        reno.OnPacketLost(sentAt: 1_200, now: 3_000, timeout: false, floor: 0, Packet); // sent after the reduction
        Assert.Equal(70 * Packet * 7 / 10, reno.Window);
    }

    [Fact]
    public void Congestion_avoidance_adds_about_one_packet_per_window_acknowledged()
    {
        var reno = new NewReno(100 * Packet);
        reno.OnPacketLost(sentAt: 10, now: 1_000, timeout: false, floor: 0, Packet);
        long before = reno.Window;
        for (int i = 0; i < before / Packet; i++)
        {
            reno.OnPacketAcked(sentAt: 2_000 + i, Packet, inFlightAtSend: before, Packet);
        }

        Assert.InRange(reno.Window - before, Packet - 100, Packet + 100);
    }

    [Fact]
    public void Packets_sent_before_the_reduction_do_not_grow_the_window()
    {
        var reno = new NewReno(100 * Packet);
        reno.OnPacketLost(sentAt: 10, now: 1_000, timeout: false, floor: 0, Packet);
        long before = reno.Window;
        reno.OnPacketAcked(sentAt: 900, Packet, inFlightAtSend: before, Packet);
        Assert.Equal(before, reno.Window);
    }

    [Fact]
    public void A_timeout_collapses_the_window_to_two_packets()
    {
        var reno = new NewReno(100 * Packet);
        reno.OnPacketLost(sentAt: 10, now: 1_000, timeout: true, floor: 0, Packet);
        Assert.Equal(2 * Packet, reno.Window);
        Assert.Equal(4 * Packet, reno.SlowStartThreshold);
        Assert.True(reno.InSlowStart);
    }

    [Fact]
    public void A_loss_does_not_cut_below_the_measured_bandwidth_delay_product()
    {
        var reno = new NewReno(100 * Packet);
        reno.OnPacketLost(sentAt: 10, now: 1_000, timeout: false, floor: 90 * Packet, Packet);
        Assert.Equal(90 * Packet, reno.Window);
    }

    [Fact]
    public void An_application_limited_window_does_not_grow()
    {
        var reno = new NewReno(100 * Packet);
        reno.OnPacketAcked(sentAt: 10, Packet, inFlightAtSend: 10 * Packet, Packet); // less than half the window in use
        Assert.Equal(100 * Packet, reno.Window);
        Assert.True(reno.CanSend(99 * Packet));
        Assert.False(reno.CanSend(100 * Packet));
    }
}
