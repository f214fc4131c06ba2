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
        remote.Close(LinkCloseReason.RemoteClosed, null, discardPending: false);
        Assert.True(remote.TryReceive(out LinkFrame kept));
        Assert.Equal(3, kept.Span[0]);
        Assert.False(remote.TryReceive(out _));

        var local = new LinkInbox(0);
        local.Hold();
        local.TryEnqueue(Frame(4));
        local.Close(LinkCloseReason.Requested, null, discardPending: true);
        Assert.False(local.TryReceive(out _));
        local.TakeHeld();
        local.DeliverHeld(); // nothing left to deliver, and a closed queue refuses frames anyway
        Assert.False(local.TryReceive(out _));
    }
}
