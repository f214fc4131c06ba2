using PeerKit.Links;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>
/// The parts of a UDP link hold their large arrays only while busy (docs/udp.md, "Memory"): the reorder ring while a
/// gap is open, the sent-packet ring and record pools until a quiet period, plaintext buffers per thread.
/// </summary>
public sealed class IdleLinkPartsTests
{
    private static readonly FramePool Pool = new(16);

    private static LinkFrame Frame(byte first) => LinkFrame.Copy([first], Pool);

    private static List<byte> Drain(LinkInbox inbox)
    {
        var firsts = new List<byte>();
        while (inbox.TryReceive(out LinkFrame frame))
        {
            using (frame)
            {
                firsts.Add(frame.Span[0]);
            }
        }

        return firsts;
    }

    [Fact]
    public void An_in_order_lane_never_makes_its_reorder_ring()
    {
        var lane = new ReliableReceiveLane(ordered: true, window: 4096);
        var inbox = new LinkInbox(0);
        for (ulong seq = 0; seq < 200; seq++)
        {
            Assert.False(lane.IsDone(seq));
            lane.Complete(seq, Frame((byte)seq), inbox);
            Assert.Equal(0, lane.RingCapacity);
        }

        Assert.Equal(200, Drain(inbox).Count);
    }

    [Fact]
    public void A_gap_rents_a_ring_sized_by_the_distance_and_closing_it_gives_the_ring_back()
    {
        var lane = new ReliableReceiveLane(ordered: true, window: 4096);
        var inbox = new LinkInbox(0);
        lane.Complete(0, Frame(0), inbox);
        lane.Complete(3, Frame(3), inbox); // 1 and 2 lost
        Assert.Equal(ReliableReceiveLane.MinCapacity, lane.RingCapacity);
        Assert.True(lane.IsDone(3));
        Assert.False(lane.IsDone(2));
        Assert.Equal(LinkInbox.FrameCost + 1, lane.HeldCost); // one frame held

        lane.Complete(1000, Frame(200), inbox); // far ahead: the ring grows to reach it, the held frame moves over
        Assert.Equal(1024, lane.RingCapacity);
        Assert.True(lane.IsDone(3));
        Assert.True(lane.IsDone(1000));
        Assert.False(lane.IsDone(999));

        lane.Complete(2, Frame(2), inbox);
        lane.Complete(1, Frame(1), inbox); // 1, 2, 3 go out; 1000 still waits behind 4..999
        Assert.Equal([0, 1, 2, 3], Drain(inbox));
        Assert.Equal(1024, lane.RingCapacity);
        for (ulong seq = 4; seq < 1000; seq++)
        {
            lane.Complete(seq, Frame((byte)seq), inbox);
        }

        Assert.Equal(997, Drain(inbox).Count); // 4..999 and 1000
        Assert.Equal(0, lane.RingCapacity); // the gap closed: nothing held, no array
        Assert.Equal(0, lane.HeldCost);
        Assert.Equal(1001UL, lane.Next);
    }

    [Fact]
    public void An_unordered_lane_marks_frames_ahead_only_until_the_gap_closes()
    {
        var lane = new ReliableReceiveLane(ordered: false, window: 64);
        var inbox = new LinkInbox(0);
        lane.Complete(5, Frame(5), inbox);
        lane.Complete(63, Frame(63), inbox);
        Assert.Equal([5, 63], Drain(inbox));
        Assert.True(lane.IsDone(5));
        Assert.Equal(ReliableReceiveLane.MinCapacity, lane.RingCapacity);
        for (ulong seq = 0; seq < 63; seq++)
        {
            if (!lane.IsDone(seq))
            {
                lane.Complete(seq, Frame((byte)seq), inbox);
            }
        }

        Assert.Equal(62, Drain(inbox).Count);
        Assert.Equal(64UL, lane.Next);
        Assert.Equal(0, lane.RingCapacity);
    }

    [Fact]
    public void Releasing_a_lane_with_frames_held_returns_their_buffers_and_the_ring()
    {
        var pool = new FramePool(16);
        var lane = new ReliableReceiveLane(ordered: true, window: 256);
        var inbox = new LinkInbox(0);
        for (ulong seq = 1; seq <= 100; seq++)
        {
            lane.Complete(seq, LinkFrame.Copy(new byte[100], pool), inbox);
        }

        Assert.Equal(128, lane.RingCapacity);
        Assert.Equal(100 * (LinkInbox.FrameCost + 100), lane.HeldCost);
        lane.Release();
        Assert.Equal(0, lane.RingCapacity);
        Assert.Equal(0, lane.HeldCost);
        Assert.Empty(Drain(inbox));
    }

    [Fact]
    public void After_a_burst_a_quiet_period_gives_back_the_sent_packet_ring_and_the_records_past_a_few()
    {
        var recovery = new LossDetection(new RttEstimator(initialRto: 200_000, minRto: 10_000, maxRto: 5_000_000));
        var acked = new List<SentPacket>();
        for (ulong pn = 0; pn < 1000; pn++)
        {
            SentPacket packet = recovery.Rent();
            packet.Pn = pn;
            packet.SentAt = 0;
            packet.Size = 1000;
            recovery.OnPacketSent(packet);
        }

        recovery.OnAckRange(0, 999, acked);
        foreach (SentPacket packet in acked)
        {
            recovery.Recycle(packet);
        }

        Assert.Equal(0, recovery.InFlightCount);
        Assert.Equal(1000, recovery.PooledCount);
        recovery.TrimIdle(); // the period of the burst: its records were used
        Assert.Equal(1000, recovery.PooledCount);
        for (int i = 0; i < 10; i++)
        {
            recovery.Recycle(recovery.Rent()); // a busy period lends more than a few at once...
        }

        SentPacket[] busy = [.. Enumerable.Range(0, 10).Select(_ => recovery.Rent())];
        foreach (SentPacket packet in busy)
        {
            recovery.Recycle(packet);
        }

        recovery.TrimIdle(); // ...and keeps what it has
        Assert.Equal(1000, recovery.PooledCount);
        recovery.TrimIdle(); // a quiet period: what it never needed goes
        Assert.Equal(LossDetection.PoolKeep, recovery.PooledCount);

        SentPacket next = recovery.Rent(); // and the link goes on
        next.Pn = 1000;
        next.Size = 1000;
        recovery.OnPacketSent(next);
        Assert.Equal(1, recovery.InFlightCount);
        Assert.Same(next, recovery.Get(1000));
    }

    [Fact]
    public void A_sent_packet_ring_grows_with_what_is_in_flight_and_shrinks_when_nothing_is()
    {
        var ring = new SentRing();
        Assert.Equal(SentRing.InitialCapacity, ring.Capacity);
        for (ulong pn = 10; pn < 110; pn++)
        {
            ring.Add(new SentPacket { Pn = pn });
        }

        Assert.Equal(128, ring.Capacity);
        ring.Trim(); // packets in flight: kept
        Assert.Equal(128, ring.Capacity);
        for (ulong pn = 10; pn < 110; pn++)
        {
            Assert.Equal(pn, ring.Remove(pn)!.Pn);
        }

        ring.Trim(); // nothing in flight, but the period was busy: kept
        Assert.Equal(128, ring.Capacity);
        ring.Trim(); // a quiet period
        Assert.Equal(SentRing.InitialCapacity, ring.Capacity);
        ring.Add(new SentPacket { Pn = 500 });
        Assert.Equal(500UL, ring.Oldest()!.Pn);
    }
}
