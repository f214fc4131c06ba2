using PeerKit.Links;

namespace PeerKit.Tests.Links;

public sealed class MemoryLinkTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Frames_round_trip_in_order_both_ways()
    {
        var a = new NodeId(Enumerable.Repeat((byte)1, 32).ToArray());
        var b = new NodeId(Enumerable.Repeat((byte)2, 32).ToArray());
        (MemoryLink first, MemoryLink second) = MemoryLink.CreatePair(a, b, new LinkOptions { ReceiveQueueCapacity = 4 });
        await using (first)
        await using (second)
        {
            Assert.Equal(a, first.LocalId);
            Assert.Equal(b, first.RemoteId);
            Assert.Equal(a, second.RemoteId);
            Assert.True(first.Capabilities.IsReliableStream);
            Assert.False(first.Capabilities.IsSecure);
            Assert.Null(first.RemoteAddress);

            const int count = 1000;
            Task sending = Task.WhenAll(SendNumbersAsync(first, count), SendNumbersAsync(second, count));
            Task receiving = Task.WhenAll(ReceiveNumbersAsync(second, count), ReceiveNumbersAsync(first, count));
            await Task.WhenAll(sending, receiving).WaitAsync(Timeout);
            Assert.False(first.TryReceive(out _));
        }
    }

    [Fact]
    public async Task Empty_frames_and_the_sender_reusing_its_buffer_are_fine()
    {
        (MemoryLink first, MemoryLink second) = MemoryLink.CreatePair();
        await using (first)
        await using (second)
        {
            byte[] buffer = [1, 2, 3];
            await first.SendAsync(buffer);
            buffer[0] = 9;
            await first.SendAsync(ReadOnlyMemory<byte>.Empty, Reliability.Unreliable);
            using (LinkFrame frame = await second.ReceiveAsync().AsTask().WaitAsync(Timeout))
            {
                Assert.Equal([1, 2, 3], frame.ToArray());
            }

            using (LinkFrame empty = await second.ReceiveAsync().AsTask().WaitAsync(Timeout))
            {
                Assert.Equal(0, empty.Length);
            }
        }
    }

    [Fact]
    public async Task A_full_queue_makes_the_sender_wait()
    {
        (MemoryLink first, MemoryLink second) = MemoryLink.CreatePair(new LinkOptions { ReceiveQueueCapacity = 2 });
        await using (first)
        await using (second)
        {
            await first.SendAsync(new byte[] { 1 });
            await first.SendAsync(new byte[] { 2 });
            ValueTask third = first.SendAsync(new byte[] { 3 });
            Assert.False(third.IsCompleted);

            using (LinkFrame one = await second.ReceiveAsync())
            {
                Assert.Equal(1, one.Span[0]);
            }

            await third.AsTask().WaitAsync(Timeout);

            using var cts = new CancellationTokenSource();
            ValueTask blocked = first.SendAsync(new byte[] { 4 }, cancellationToken: cts.Token);
            Assert.False(blocked.IsCompleted);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked.AsTask().WaitAsync(Timeout));

            // The cancelled send did not close the link.
            for (byte expected = 2; expected <= 3; expected++)
            {
                using LinkFrame frame = await second.ReceiveAsync().AsTask().WaitAsync(Timeout);
                Assert.Equal(expected, frame.Span[0]);
            }

            Assert.False(second.TryReceive(out _));
        }
    }

    [Fact]
    public async Task Closing_one_end_drains_then_closes_the_other()
    {
        (MemoryLink first, MemoryLink second) = MemoryLink.CreatePair();
        await first.SendAsync(new byte[] { 1 });
        await first.SendAsync(new byte[] { 2 });
        await second.SendAsync(new byte[] { 3 }); // never received: discarded when first closes
        await first.DisposeAsync();

        Assert.Equal(LinkCloseReason.Requested, await first.Completion.WaitAsync(Timeout));
        Assert.Equal(LinkCloseReason.RemoteClosed, await second.Completion.WaitAsync(Timeout));

        for (byte expected = 1; expected <= 2; expected++)
        {
            using LinkFrame frame = await second.ReceiveAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(expected, frame.Span[0]);
        }

        LinkClosedException remote = await Assert.ThrowsAsync<LinkClosedException>(() => second.ReceiveAsync().AsTask().WaitAsync(Timeout));
        Assert.Equal(LinkCloseReason.RemoteClosed, remote.Reason);
        Assert.Equal(LinkCloseReason.RemoteClosed, (await Assert.ThrowsAsync<LinkClosedException>(() => second.SendAsync(new byte[1]).AsTask())).Reason);
        Assert.Equal(LinkCloseReason.Requested, (await Assert.ThrowsAsync<LinkClosedException>(() => first.SendAsync(new byte[1]).AsTask())).Reason);
        Assert.Equal(LinkCloseReason.Requested, (await Assert.ThrowsAsync<LinkClosedException>(() => first.ReceiveAsync().AsTask())).Reason);
        Assert.False(first.TryReceive(out _));

        await second.DisposeAsync();
        await first.DisposeAsync(); // twice is fine
    }

    [Fact]
    public async Task Closing_releases_waiting_receivers_and_senders()
    {
        (MemoryLink first, MemoryLink second) = MemoryLink.CreatePair(new LinkOptions { ReceiveQueueCapacity = 1 });
        ValueTask<LinkFrame> receiving = first.ReceiveAsync();
        await first.SendAsync(new byte[] { 1 });
        ValueTask blockedSend = first.SendAsync(new byte[] { 2 });
        Assert.False(receiving.IsCompleted);
        Assert.False(blockedSend.IsCompleted);

        await first.DisposeAsync();

        Assert.Equal(LinkCloseReason.Requested, (await Assert.ThrowsAsync<LinkClosedException>(() => receiving.AsTask().WaitAsync(Timeout))).Reason);
        Assert.Equal(LinkCloseReason.Requested, (await Assert.ThrowsAsync<LinkClosedException>(() => blockedSend.AsTask().WaitAsync(Timeout))).Reason);
        await second.DisposeAsync();
    }

    [Fact]
    public async Task Receive_cancellation_leaves_the_link_open()
    {
        (MemoryLink first, MemoryLink second) = MemoryLink.CreatePair();
        await using (first)
        await using (second)
        {
            using var cts = new CancellationTokenSource();
            ValueTask<LinkFrame> receiving = second.ReceiveAsync(cts.Token);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => receiving.AsTask().WaitAsync(Timeout));
            await first.SendAsync(new byte[] { 7 });
            using LinkFrame frame = await second.ReceiveAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(7, frame.Span[0]);
            Assert.False(second.Completion.IsCompleted);
        }
    }

    [Fact]
    public async Task Max_frame_size_is_enforced_on_send()
    {
        (MemoryLink first, MemoryLink second) = MemoryLink.CreatePair(new LinkOptions { MaxFrameSize = 100 });
        await using (first)
        await using (second)
        {
            FrameTooLargeException e = await Assert.ThrowsAsync<FrameTooLargeException>(() => first.SendAsync(new byte[101]).AsTask());
            Assert.Equal(101, e.FrameSize);
            Assert.Equal(100, e.MaxFrameSize);
            await first.SendAsync(new byte[100]);
            using LinkFrame frame = await second.ReceiveAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(100, frame.Length);
        }
    }

    internal static async Task SendNumbersAsync(IMessageLink link, int count)
    {
        byte[] buffer = new byte[64];
        for (int i = 0; i < count; i++)
        {
            int length = 4 + (i % 60);
            BitConverter.TryWriteBytes(buffer, i);
            buffer.AsSpan(4, length - 4).Fill((byte)i);
            await link.SendAsync(buffer.AsMemory(0, length), (Reliability)(i % 4));
        }
    }

    internal static async Task ReceiveNumbersAsync(IMessageLink link, int count)
    {
        for (int i = 0; i < count; i++)
        {
            using LinkFrame frame = await link.ReceiveAsync();
            Assert.Equal(4 + (i % 60), frame.Length);
            Assert.Equal(i, BitConverter.ToInt32(frame.Span));
            foreach (byte b in frame.Span[4..])
            {
                Assert.Equal((byte)i, b);
            }
        }
    }
}
