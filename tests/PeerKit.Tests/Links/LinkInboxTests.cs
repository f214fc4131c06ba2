using PeerKit.Links;

namespace PeerKit.Tests.Links;

/// <summary>The receive queue's hold mode, which the UDP link uses with <see cref="Udp.UdpLinkOptions"/>.ReceiveInline.</summary>
public sealed class LinkInboxTests
{
    private static LinkFrame Frame(byte value) => LinkFrame.Copy(new[] { value }, new FramePool(4));

    [Fact]
    public void Held_frames_are_invisible_until_delivered_and_then_arrive_in_order()
    {
        var inbox = new LinkInbox(0, inlineContinuations: true);
        inbox.Hold();
        Assert.True(inbox.TryEnqueue(Frame(1), counted: true));
        Assert.True(inbox.TryEnqueueTallied(Frame(2)));
        Assert.False(inbox.TryReceive(out _));
        Assert.True(inbox.TakeHeld());
        inbox.DeliverHeld();
        Assert.True(inbox.TryReceive(out LinkFrame first));
        Assert.True(inbox.TryReceive(out LinkFrame second));
        Assert.Equal(new byte[] { 1, 2 }, new[] { first.Span[0], second.Span[0] });
        Assert.False(inbox.TakeHeld()); // nothing held any more
    }

    [Fact]
    public async Task A_receiver_waiting_inline_resumes_on_the_delivering_thread()
    {
        var inbox = new LinkInbox(0, inlineContinuations: true);
        int receiverThread = 0;
        Task receiving = Task.Run(async () =>
        {
            using LinkFrame frame = await inbox.ReceiveAsync(CancellationToken.None).ConfigureAwait(false);
            receiverThread = Environment.CurrentManagedThreadId;
        });
        await Task.Delay(50); // the receiver is waiting
        int deliveringThread = 0;
        var thread = new Thread(() =>
        {
            deliveringThread = Environment.CurrentManagedThreadId;
            inbox.Hold();
            inbox.TryEnqueue(Frame(7));
            inbox.TakeHeld();
            inbox.DeliverHeld();
        });
        thread.Start();
        thread.Join();
        await receiving.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(deliveringThread, receiverThread);
    }

    [Fact]
    public void A_remote_close_keeps_held_frames_receivable_and_a_local_one_discards_them()
    {
        var remote = new LinkInbox(0);
        remote.Hold();
        remote.TryEnqueue(Frame(3));
        remote.Close(LinkCloseReason.RemoteClosed, null, discardPending: false, remote.DetachHeld());
        Assert.True(remote.TryReceive(out LinkFrame kept));
        Assert.Equal(3, kept.Span[0]);
        Assert.False(remote.TryReceive(out _));

        var local = new LinkInbox(0);
        local.Hold();
        local.TryEnqueue(Frame(4));
        local.Close(LinkCloseReason.Requested, null, discardPending: true, local.DetachHeld());
        Assert.False(local.TryReceive(out _));
        local.TakeHeld();
        local.DeliverHeld(); // nothing left to deliver, and a closed queue refuses frames anyway
        Assert.False(local.TryReceive(out _));
    }

    [Fact]
    public async Task A_receiver_resumed_inline_by_a_close_may_close_again_and_no_frame_is_disposed_twice()
    {
        // The UDP link's case: a run of datagrams ends with frames and the peer's CLOSE; the waiting receiver
        // resumes inline while the close delivers the held frames, and disposes the link (a local close).
        var pool = new FramePool(64);
        var inbox = new LinkInbox(0, inlineContinuations: true);
        inbox.Hold();
        for (byte i = 0; i < 3; i++)
        {
            Assert.True(inbox.TryEnqueue(LinkFrame.Copy(new[] { i }, pool)));
        }

        List<LinkInbox.Entry> held = inbox.DetachHeld();
        LinkFrame got = default;
        bool nestedClose = true;
        Task receiving = ReceiveThenCloseAsync();
        Assert.False(receiving.IsCompleted);

        Assert.True(inbox.Close(LinkCloseReason.RemoteClosed, null, discardPending: false, held));
        Assert.True(receiving.IsCompleted, "the receiver ran inline, inside the close");
        await receiving.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(nestedClose); // the second close is refused, as the inbox is already closed
        Assert.Equal(LinkCloseReason.RemoteClosed, await inbox.Completion.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, got.Span[0]); // still the application's: not returned to the pool
        Assert.False(inbox.TryReceive(out _)); // the local close dropped the rest
        Assert.Equal(2, pool.Held(16)); // each dropped frame returned once
        got.Dispose();
        Assert.Equal(3, pool.Held(16));

        async Task ReceiveThenCloseAsync()
        {
            got = await inbox.ReceiveAsync(CancellationToken.None).ConfigureAwait(false);
            nestedClose = inbox.Close(LinkCloseReason.Requested, null, discardPending: true);
        }
    }
}
