using PeerKit.Links;
using PeerKit.Memory;
using PeerKit.Sessions;

namespace PeerKit.Tests.Memory;

/// <summary>The session's message queues, bounded in bytes as well as in messages.</summary>
public sealed class MessageQueueTests
{
    private static ProtocolMessage Message(int size) => new(null!, null!, 0, new LinkFrame(new byte[size], size), 0, 0);

    /// <summary>
    /// Caught: a session queue was bounded only in messages (256 by default), so 256 messages of 16 MiB could wait in
    /// each protocol's queue and 256 more in the pull reader's, per peer. Now a writer waits once the bytes are reached.
    /// </summary>
    [Fact]
    public async Task A_writer_waits_once_the_bytes_are_reached_and_resumes_when_a_message_is_taken()
    {
        var queue = new MessageQueue(capacity: 256, capacityBytes: 100_000);
        int written = 0;
        while (queue.TryWrite(Message(30_000)))
        {
            written++;
        }

        Assert.Equal(3, written); // 3 × (30,000 + 64); a fourth would pass 100,000
        Assert.Equal(3 * (30_000 + LinkInbox.FrameCost), queue.Bytes);
        ValueTask waiting = queue.WriteAsync(Message(30_000), CancellationToken.None);
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
        Assert.True(queue.TryRead(out ProtocolMessage first));
        first.Dispose();
        await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(3, queue.Count);
    }

    [Fact]
    public void One_message_larger_than_the_limit_passes_when_the_queue_is_empty()
    {
        var queue = new MessageQueue(capacity: 256, capacityBytes: 1024);
        Assert.True(queue.TryWrite(Message(1_000_000)));
        Assert.False(queue.TryWrite(Message(1)));
    }

    [Fact]
    public void The_message_count_still_bounds_the_queue()
    {
        var queue = new MessageQueue(capacity: 2, capacityBytes: 1 << 20);
        Assert.True(queue.TryWrite(Message(1)));
        Assert.True(queue.TryWrite(Message(1)));
        Assert.False(queue.TryWrite(Message(1)));
    }

    [Fact]
    public void Messages_waiting_are_charged_to_the_account_until_taken()
    {
        var budget = new MemoryBudget(1 << 20, MemoryBudgetPolicy.Refuse);
        MemoryAccount account = budget.Open();
        var queue = new MessageQueue(16, 1 << 20, account);
        Assert.True(queue.TryWrite(Message(1000)));
        Assert.True(queue.TryWrite(Message(2000)));
        Assert.Equal(3000 + (2 * LinkInbox.FrameCost), budget.Used);
        Assert.True(queue.TryRead(out ProtocolMessage m));
        m.Dispose();
        Assert.Equal(2000 + LinkInbox.FrameCost, budget.Used);
    }

    [Fact]
    public async Task Completing_the_queue_fails_a_waiting_writer_and_leaves_what_is_queued_readable()
    {
        var queue = new MessageQueue(capacity: 1, capacityBytes: 1 << 20);
        Assert.True(queue.TryWrite(Message(10)));
        ValueTask waiting = queue.WriteAsync(Message(10), CancellationToken.None);
        queue.Complete();
        await Assert.ThrowsAsync<System.Threading.Channels.ChannelClosedException>(() => waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(queue.TryRead(out ProtocolMessage left));
        left.Dispose();
        Assert.False(await queue.WaitToReadAsync(CancellationToken.None));
    }

    /// <summary>
    /// Caught while replacing the channel: a session that closed right after a message arrived (the router's refusal,
    /// then its Disconnect) cancelled the reader's wait after the message was written, and the message was never read.
    /// </summary>
    [Fact]
    public async Task A_message_written_before_the_readers_token_is_cancelled_is_still_read()
    {
        for (int i = 0; i < 200; i++)
        {
            var queue = new MessageQueue(capacity: 16, capacityBytes: 1 << 20);
            using var stop = new CancellationTokenSource();
            ValueTask<bool> waiting = queue.WaitToReadAsync(stop.Token);
            Assert.False(waiting.IsCompleted);
            Assert.True(queue.TryWrite(Message(10)));
            stop.Cancel();
            Assert.True(await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.True(queue.TryRead(out ProtocolMessage message));
            message.Dispose();
        }
    }
}
