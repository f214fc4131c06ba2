using PeerKit.Links;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>The receive side of the lanes alone: order, duplicates, sequencing and reassembly into an inbox.</summary>
public sealed class ReceiveLanesTests
{
    private static (ReceiveLanes Lanes, LinkInbox Inbox) Create(int window = 64, int maxFrameSize = 1 << 20)
    {
        var inbox = new LinkInbox(0);
        return (new ReceiveLanes(inbox, new FramePool(16), window, maxFrameSize), inbox);
    }

    private static List<byte> Drain(LinkInbox inbox)
    {
        var firsts = new List<byte>();
        while (inbox.TryReceive(out LinkFrame frame))
        {
            using (frame)
            {
                firsts.Add(frame.Span.Length > 0 ? frame.Span[0] : (byte)0);
            }
        }

        return firsts;
    }

    [Fact]
    public void Ordered_frames_are_delivered_once_in_order_whatever_the_arrival_order()
    {
        (ReceiveLanes lanes, LinkInbox inbox) = Create();
        foreach (ulong seq in new ulong[] { 2, 0, 2, 1, 0, 3 })
        {
            Assert.Null(lanes.ReceiveWhole(0, seq, [(byte)seq]));
        }

        Assert.Equal([0, 1, 2, 3], Drain(inbox));
    }

    [Fact]
    public void Unordered_frames_are_delivered_once_as_they_arrive()
    {
        (ReceiveLanes lanes, LinkInbox inbox) = Create();
        foreach (ulong seq in new ulong[] { 2, 0, 2, 1, 0 })
        {
            Assert.Null(lanes.ReceiveWhole(1, seq, [(byte)seq]));
        }

        Assert.Equal([2, 0, 1], Drain(inbox));
    }

    [Fact]
    public void A_sequenced_frame_older_than_the_newest_delivered_is_dropped()
    {
        (ReceiveLanes lanes, LinkInbox inbox) = Create();
        foreach (ulong seq in new ulong[] { 1, 3, 2, 4 })
        {
            Assert.Null(lanes.ReceiveWhole(3, seq, [(byte)seq]));
        }

        Assert.Equal([1, 3, 4], Drain(inbox));
    }

    [Fact]
    public void Fragments_reassemble_into_one_frame_in_any_order()
    {
        (ReceiveLanes lanes, LinkInbox inbox) = Create();
        byte[] frame = new byte[100];
        new Random(1).NextBytes(frame);
        const int Chunk = 32;
        foreach (int index in new[] { 3, 1, 0, 1, 2 })
        {
            int length = Math.Min(Chunk, frame.Length - (index * Chunk));
            Assert.Null(lanes.ReceiveFragment(0, 0, frame.Length, Chunk, index, frame.AsSpan(index * Chunk, length)));
        }

        Assert.True(inbox.TryReceive(out LinkFrame received));
        using (received)
        {
            Assert.True(received.Span.SequenceEqual(frame));
        }

        Assert.False(inbox.TryReceive(out _));
    }

    [Fact]
    public void A_frame_beyond_the_reorder_window_or_too_large_is_an_error()
    {
        (ReceiveLanes lanes, _) = Create(window: 8, maxFrameSize: 10);
        Assert.Equal(LinkCloseReason.ProtocolError, lanes.ReceiveWhole(0, 8, [1])?.Reason);
        Assert.Equal(LinkCloseReason.FrameTooLarge, lanes.ReceiveWhole(0, 0, new byte[11])?.Reason);
        Assert.Null(lanes.ReceiveFragment(0, 1, 64, 32, 0, new byte[32]));
        Assert.Equal(LinkCloseReason.ProtocolError, lanes.ReceiveFragment(0, 1, 96, 32, 1, new byte[32])?.Reason); // sizes disagree
    }

    [Fact]
    public void Unreliable_frames_that_never_complete_are_dropped_once_newer_ones_crowd_them_out()
    {
        (ReceiveLanes lanes, _) = Create();
        for (ulong seq = 0; seq < (ulong)UnreliableReceiveLane.MaxPartial + 2; seq++)
        {
            Assert.Null(lanes.ReceiveFragment(2, seq, 64, 32, 0, new byte[32]));
        }

        Assert.Equal(2, lanes.Dropped);
        lanes.Release();
    }
}
