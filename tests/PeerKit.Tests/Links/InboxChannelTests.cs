using PeerKit.Links;

namespace PeerKit.Tests.Links;

/// <summary>The UDP link inbox's unbounded channel: the framework channel's behaviour the inbox relies on, in less memory.</summary>
public sealed class InboxChannelTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_waiting_reader_resumes_when_an_item_is_written_and_items_come_out_in_order()
    {
        var channel = new InboxChannel<int>(inlineContinuations: false);
        ValueTask<bool> wait = channel.Reader.WaitToReadAsync();
        Assert.False(wait.IsCompleted);
        Assert.True(channel.Writer.TryWrite(1));
        Assert.True(channel.Writer.TryWrite(2));
        Assert.True(await wait.AsTask().WaitAsync(Timeout));
        Assert.Equal(2, channel.Reader.Count);
        Assert.True(channel.Reader.TryRead(out int first));
        Assert.True(channel.Reader.TryRead(out int second));
        Assert.False(channel.Reader.TryRead(out _));
        Assert.Equal((1, 2), (first, second));
    }

    [Fact]
    public async Task The_token_less_waiter_is_reused_and_waiting_with_it_allocates_nothing()
    {
        // Inline continuations: the waiter completes on the writing thread, within TryWrite.
        var channel = new InboxChannel<int>(inlineContinuations: true);
        long allocated = 0;
        int completedInline = 0;
        for (int i = 0; i < 1010; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            ValueTask<bool> wait = channel.Reader.WaitToReadAsync();
            bool pending = !wait.IsCompleted;
            channel.Writer.TryWrite(i);
            completedInline += pending && wait.IsCompleted ? 1 : 0;
            bool more = await wait;
            bool read = channel.Reader.TryRead(out int item);
            if (i >= 10)
            {
                allocated += GC.GetAllocatedBytesForCurrentThread() - before; // after a warm-up
            }

            Assert.True(more && read && item == i);
        }

        Assert.Equal(1010, completedInline);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public async Task Several_readers_and_readers_with_tokens_all_wake()
    {
        var channel = new InboxChannel<int>(inlineContinuations: false);
        using var cts = new CancellationTokenSource();
        ValueTask<bool> first = channel.Reader.WaitToReadAsync();
        ValueTask<bool> second = channel.Reader.WaitToReadAsync();
        ValueTask<bool> third = channel.Reader.WaitToReadAsync(cts.Token);
        channel.Writer.TryWrite(1);
        Assert.True(await first.AsTask().WaitAsync(Timeout));
        Assert.True(await second.AsTask().WaitAsync(Timeout));
        Assert.True(await third.AsTask().WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_cancelled_wait_ends_with_its_token_and_the_next_wait_still_works()
    {
        var channel = new InboxChannel<int>(inlineContinuations: false);
        using var cts = new CancellationTokenSource();
        ValueTask<bool> wait = channel.Reader.WaitToReadAsync(cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.AsTask().WaitAsync(Timeout));
        ValueTask<bool> next = channel.Reader.WaitToReadAsync();
        channel.Writer.TryWrite(3);
        Assert.True(await next.AsTask().WaitAsync(Timeout));
    }

    [Fact]
    public async Task Completing_wakes_waiting_readers_with_false_and_leaves_written_items_readable()
    {
        var channel = new InboxChannel<int>(inlineContinuations: false);
        ValueTask<bool> wait = channel.Reader.WaitToReadAsync();
        ValueTask<bool> other = channel.Reader.WaitToReadAsync(new CancellationTokenSource().Token);
        Assert.True(channel.Writer.TryComplete());
        Assert.False(await wait.AsTask().WaitAsync(Timeout));
        Assert.False(await other.AsTask().WaitAsync(Timeout));
        Assert.False(channel.Writer.TryWrite(1));
        Assert.False(channel.Writer.TryComplete());
        Assert.False(await channel.Writer.WaitToWriteAsync());

        var left = new InboxChannel<int>(inlineContinuations: false);
        left.Writer.TryWrite(5);
        left.Writer.TryComplete();
        Assert.True(await left.Reader.WaitToReadAsync());
        Assert.True(left.Reader.TryRead(out int five));
        Assert.Equal(5, five);
        Assert.False(await left.Reader.WaitToReadAsync());
    }

    [Fact]
    public async Task Completing_with_an_error_fails_readers_of_an_empty_channel()
    {
        var channel = new InboxChannel<int>(inlineContinuations: false);
        ValueTask<bool> wait = channel.Reader.WaitToReadAsync();
        channel.Writer.TryComplete(new InvalidOperationException("gone"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => wait.AsTask().WaitAsync(Timeout));
        await Assert.ThrowsAsync<InvalidOperationException>(() => channel.Reader.WaitToReadAsync().AsTask());
    }

    [Fact]
    public void A_bursts_array_serves_the_next_burst_and_goes_back_after_a_quiet_period()
    {
        var channel = new InboxChannel<int>(inlineContinuations: false);
        for (int i = 0; i < 1000; i++)
        {
            channel.Writer.TryWrite(i);
        }

        while (channel.Reader.TryRead(out _))
        {
        }

        Assert.False(channel.TrimIdle()); // this period had a burst: kept for the next
        channel.Writer.TryWrite(1);
        Assert.False(channel.TrimIdle()); // not empty
        Assert.True(channel.Reader.TryRead(out _));
        Assert.False(channel.TrimIdle()); // written to this period
        Assert.True(channel.TrimIdle()); // a quiet period: given back
        Assert.True(channel.Writer.TryWrite(2));
        Assert.True(channel.Reader.TryRead(out int two));
        Assert.Equal(2, two);
    }
}
