using PeerKit.Links.Udp;
using PeerKit.Serialization;

namespace PeerKit.Tests.Links.Udp;

/// <summary>The receiver's ranges of packet numbers and the acknowledgement it owes, with fake time (µs).</summary>
public sealed class ReceivedPacketsTests
{
    [Fact]
    public void Ranges_merge_as_gaps_fill_newest_first()
    {
        var received = new ReceivedPackets(maxAckDelay: 25_000);
        foreach (ulong pn in new ulong[] { 0, 1, 3, 6, 5, 2 })
        {
            received.OnPacket(pn, eliciting: true, now: 0);
        }

        Assert.Equal([(5UL, 6UL), (0UL, 3UL)], received.Ranges);
        received.OnPacket(4, eliciting: true, now: 0);
        Assert.Equal([(0UL, 6UL)], received.Ranges);
    }

    [Fact]
    public void An_acknowledgement_is_due_after_the_delay_or_at_once_out_of_order_or_every_eighth_packet()
    {
        var received = new ReceivedPackets(maxAckDelay: 25_000);
        received.OnPacket(0, eliciting: true, now: 1_000);
        Assert.False(received.AckDue(25_999));
        Assert.True(received.AckDue(26_000));
        received.OnAckSent();

        received.OnPacket(2, eliciting: true, now: 30_000);
        Assert.False(received.AckDue(30_000));
        received.OnPacket(1, eliciting: true, now: 30_000); // below the largest: the sender may be retransmitting
        Assert.True(received.AckDue(30_000));
        received.OnAckSent();

        for (ulong pn = 3; pn < 3 + ReceivedPackets.AckEvery - 1; pn++)
        {
            received.OnPacket(pn, eliciting: true, now: 40_000);
        }

        Assert.False(received.AckDue(40_000));
        received.OnPacket(3 + ReceivedPackets.AckEvery - 1, eliciting: true, now: 40_000);
        Assert.True(received.AckDue(40_000));
    }

    [Fact]
    public void Packets_that_ask_for_nothing_are_recorded_but_owe_no_acknowledgement()
    {
        var received = new ReceivedPackets(maxAckDelay: 0);
        received.OnPacket(0, eliciting: false, now: 0);
        Assert.True(received.Any);
        Assert.Equal(0, received.Pending);
        Assert.False(received.AckDue(1_000_000));
    }

    [Fact]
    public void The_ack_frame_carries_the_largest_the_delay_the_credit_and_the_ranges()
    {
        var received = new ReceivedPackets(maxAckDelay: 25_000);
        foreach (ulong pn in new ulong[] { 0, 1, 2, 5, 6, 9 })
        {
            received.OnPacket(pn, eliciting: true, now: 1_000);
        }

        byte[] frame = new byte[UdpWire.AckBudget];
        int length = received.WriteAck(frame, now: 4_000, credit: 70_000);
        ReadOnlySpan<byte> p = frame.AsSpan(0, length);
        int pos = 0;
        Assert.Equal(UdpWire.FrameAck, p[pos++]);
        Assert.True(Varint.TryRead(p, ref pos, out ulong largest));
        Assert.True(Varint.TryRead(p, ref pos, out ulong delay));
        Assert.True(Varint.TryRead(p, ref pos, out ulong credit));
        Assert.True(Varint.TryRead(p, ref pos, out ulong first));
        Assert.Equal((9UL, 3_000UL, 70_000UL, 0UL), (largest, delay, credit, first));
        Assert.Equal(2, p[pos++]); // two more ranges: 5–6 and 0–2
        Assert.True(Varint.TryRead(p, ref pos, out ulong gap1));
        Assert.True(Varint.TryRead(p, ref pos, out ulong length1));
        Assert.True(Varint.TryRead(p, ref pos, out ulong gap2));
        Assert.True(Varint.TryRead(p, ref pos, out ulong length2));
        Assert.Equal((1UL, 1UL, 1UL, 2UL), (gap1, length1, gap2, length2)); // 9 → 6 skips 8, 7; 5 → 2 skips 4, 3
        Assert.Equal(length, pos);
    }

    [Fact]
    public void At_most_sixty_four_ranges_are_kept_and_the_oldest_go()
    {
        var received = new ReceivedPackets(maxAckDelay: 25_000);
        for (ulong pn = 0; pn < 200; pn += 2)
        {
            received.OnPacket(pn, eliciting: false, now: 0);
        }

        Assert.Equal(ReceivedPackets.MaxRanges, received.Ranges.Count);
        Assert.Equal((198UL, 198UL), received.Ranges[0]);
    }
}
