using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>Sent-packet tracking, acknowledgements and loss declaration, with fake time (µs).</summary>
public sealed class LossDetectionTests
{
    private static LossDetection Create() => new(new RttEstimator(initialRto: 200_000, minRto: 10_000, maxRto: 5_000_000));

    private static void Send(LossDetection recovery, ulong pn, long at, int size = 1000)
    {
        SentPacket packet = recovery.Rent();
        packet.Pn = pn;
        packet.SentAt = at;
        packet.Size = size;
        recovery.OnPacketSent(packet);
    }

    [Fact]
    public void Acknowledged_packets_leave_the_books_and_the_largest_gives_a_round_trip_sample()
    {
        LossDetection recovery = Create();
        for (ulong pn = 0; pn < 4; pn++)
        {
            Send(recovery, pn, at: 1_000 * (long)pn);
        }

        Assert.Equal(4_000, recovery.BytesInFlight);
        var acked = new List<SentPacket>();
        long sentAt = recovery.Get(3)!.SentAt;
        recovery.OnAckRange(2, 3, acked);
        recovery.OnAckFrame(largest: 3, sentAt, ackDelay: 0, newlyAcked: acked.Count > 0, now: 53_000);
        Assert.Equal([2UL, 3UL], acked.Select(p => p.Pn));
        Assert.Equal(2_000, recovery.BytesInFlight);
        Assert.Equal(2, recovery.InFlightCount);
        Assert.Equal(3UL, recovery.LargestAcked);
        Assert.Equal(50_000, recovery.Rtt.Srtt);
    }

    [Fact]
    public void A_packet_three_below_the_largest_acknowledged_is_lost_at_once()
    {
        LossDetection recovery = Create();
        for (ulong pn = 0; pn < 5; pn++)
        {
            Send(recovery, pn, at: 0);
        }

        var acked = new List<SentPacket>();
        recovery.OnAckRange(3, 4, acked);
        recovery.OnAckFrame(largest: 4, largestSentAt: 0, ackDelay: 0, newlyAcked: true, now: 100);
        var lost = new List<SentPacket>();
        recovery.DetectLosses(now: 100, lost); // far sooner than the time threshold
        Assert.Equal([0UL, 1UL], lost.Select(p => p.Pn)); // 4 - 0 and 4 - 1 are at least 3; packet 2 is not
        Assert.Equal(2, recovery.PacketsLost);
        Assert.Equal(1, recovery.InFlightCount);
    }

    [Fact]
    public void A_packet_less_than_three_below_is_lost_once_nine_eighths_of_a_round_trip_passed()
    {
        LossDetection recovery = Create();
        Send(recovery, 0, at: 1_000);
        Send(recovery, 1, at: 1_000);
        var acked = new List<SentPacket>();
        recovery.OnAckRange(1, 1, acked);
        recovery.OnAckFrame(largest: 1, largestSentAt: 1_000, ackDelay: 0, newlyAcked: true, now: 81_000); // RTT 80 ms
        Assert.Equal(80_000, recovery.Rtt.Srtt);
        var lost = new List<SentPacket>();
        recovery.DetectLosses(now: 90_999, lost);
        Assert.Empty(lost);
        recovery.DetectLosses(now: 91_000, lost); // 9/8 × 80 ms after it was sent
        Assert.Equal([0UL], lost.Select(p => p.Pn));
    }

    [Fact]
    public void The_retransmission_timeout_loses_old_packets_and_backs_off_until_progress()
    {
        LossDetection recovery = Create();
        Send(recovery, 0, at: 0);
        Send(recovery, 1, at: 150_000);
        var lost = new List<SentPacket>();
        Assert.False(recovery.OnTimeout(now: 199_000, lost));
        Assert.True(recovery.OnTimeout(now: 200_000, lost));
        Assert.Equal([0UL], lost.Select(p => p.Pn)); // packet 1 is younger than the timeout
        Assert.Equal(2, recovery.Backoff);
        Assert.Equal(400_000, recovery.BackedOffRto);
        Assert.False(recovery.OnTimeout(now: 500_000, lost)); // 350 ms < 400 ms backed off
        Assert.True(recovery.OnTimeout(now: 550_000, lost));
        Assert.Equal(4, recovery.Backoff);

        Send(recovery, 2, at: 600_000);
        var acked = new List<SentPacket>();
        recovery.OnAckRange(2, 2, acked);
        recovery.OnAckFrame(largest: 2, largestSentAt: 600_000, ackDelay: 0, newlyAcked: true, now: 610_000);
        Assert.Equal(1, recovery.Backoff);
    }

    [Fact]
    public void The_back_off_stops_at_sixty_four_times_the_timeout()
    {
        LossDetection recovery = Create();
        for (int i = 0; i < 10; i++)
        {
            recovery.BackOff();
        }

        Assert.Equal(LossDetection.MaxBackoff, recovery.Backoff);
    }

    [Fact]
    public void Taking_everything_back_for_a_resend_does_not_count_losses()
    {
        LossDetection recovery = Create();
        Send(recovery, 0, at: 0);
        Send(recovery, 5, at: 0);
        var resend = new List<SentPacket>();
        recovery.TakeAll(resend);
        Assert.Equal([0UL, 5UL], resend.Select(p => p.Pn));
        Assert.Equal(0, recovery.BytesInFlight);
        Assert.Equal(0, recovery.PacketsLost);
    }
}
