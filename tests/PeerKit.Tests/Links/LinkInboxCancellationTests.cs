using PeerKit.Links;

namespace PeerKit.Tests.Links;

/// <summary>Waiting for a frame with a cancellation token: no allocation per wait, and cancellation still works.</summary>
public sealed class LinkInboxCancellationTests
{
    [Fact]
    public void A_wait_with_a_cancellation_token_allocates_nothing()
    {
        // Inline continuations: the waiter completes on this thread, so the thread's allocation counter sees it all.
        var inbox = new LinkInbox(0, inlineContinuations: true);
        using var cancellation = new CancellationTokenSource();
        long Measure(int iterations)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < iterations; i++)
            {
                ValueTask<LinkFrame> receive = inbox.ReceiveAsync(cancellation.Token);
                Assert.False(receive.IsCompleted); // it really waits
                Assert.True(inbox.TryEnqueue(default));
                Assert.True(receive.IsCompletedSuccessfully);
                receive.Result.Dispose();
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Measure(1_000);
        Assert.Equal(0, Measure(10_000));
    }

    [Fact]
    public async Task A_cancelled_wait_throws_and_the_next_frame_goes_to_the_next_receiver()
    {
        var inbox = new LinkInbox(0);
        using var cancellation = new CancellationTokenSource();
        ValueTask<LinkFrame> waiting = inbox.ReceiveAsync(cancellation.Token);
        Assert.False(waiting.IsCompleted);
        cancellation.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await waiting);

        Assert.True(inbox.TryEnqueue(LinkFrame.Copy(new byte[] { 7 })));
        using LinkFrame frame = await inbox.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(7, frame.Span[0]);
    }

    [Fact]
    public async Task Waits_cancelled_and_satisfied_in_turn_lose_no_frame()
    {
        var inbox = new LinkInbox(0);
        int received = 0;
        for (int round = 0; round < 200; round++)
        {
            using var cancellation = new CancellationTokenSource();
            ValueTask<LinkFrame> waiting = inbox.ReceiveAsync(cancellation.Token);
            if (round % 2 == 0)
            {
                cancellation.Cancel();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await waiting);
                Assert.True(inbox.TryEnqueue(LinkFrame.Copy(new byte[] { (byte)round })));
                using LinkFrame frame = await inbox.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
                Assert.Equal((byte)round, frame.Span[0]);
            }
            else
            {
                Assert.True(inbox.TryEnqueue(LinkFrame.Copy(new byte[] { (byte)round })));
                using LinkFrame frame = await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
                Assert.Equal((byte)round, frame.Span[0]);
            }

            received++;
        }

        Assert.Equal(200, received);
        Assert.False(inbox.TryReceive(out _));
    }

    [Fact]
    public async Task A_wait_with_a_token_ends_with_the_close_reason_when_the_link_closes()
    {
        var inbox = new LinkInbox(0);
        using var cancellation = new CancellationTokenSource();
        ValueTask<LinkFrame> waiting = inbox.ReceiveAsync(cancellation.Token);
        inbox.Close(LinkCloseReason.RemoteClosed, null, discardPending: false);
        LinkClosedException e = await Assert.ThrowsAsync<LinkClosedException>(async () => await waiting);
        Assert.Equal(LinkCloseReason.RemoteClosed, e.Reason);
    }
}
