using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>The byte queue an unreliable lane keeps its whole frames in.</summary>
public sealed class FrameQueueTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Frames_come_out_in_order_with_their_bytes_through_growth_and_compaction(int seed)
    {
        var random = new Random(seed);
        var queue = new FrameQueue();
        var model = new Queue<(ulong Seq, long At, byte[] Bytes)>();
        ulong seq = 0;
        for (int step = 0; step < 20_000; step++)
        {
            // Phases that grow the queue, then drain it, then hover: every path through MakeRoom is taken.
            int phase = step / 2_000 % 3;
            bool enqueue = model.Count == 0 || random.NextDouble() < (phase == 0 ? 0.8 : phase == 1 ? 0.2 : 0.5);
            if (enqueue)
            {
                byte[] bytes = new byte[random.Next(0, 300)];
                random.NextBytes(bytes);
                long at = random.NextInt64();
                queue.Enqueue(bytes, seq, at);
                model.Enqueue((seq, at, bytes));
                seq++;
            }
            else
            {
                (ulong s, long at, byte[] bytes) = model.Dequeue();
                Assert.Equal(s, queue.PeekSeq);
                Assert.Equal(at, queue.PeekEnqueuedAt);
                Assert.True(queue.PeekFrame.SequenceEqual(bytes));
                queue.Dequeue();
            }

            Assert.Equal(model.Count, queue.Count);
        }
    }

    [Fact]
    public void A_bursts_buffer_is_kept_while_bursts_come_and_given_back_after_a_quiet_period()
    {
        var queue = new FrameQueue();
        byte[] frame = new byte[64];
        void Burst(int count)
        {
            for (int i = 0; i < count; i++)
            {
                queue.Enqueue(frame, (ulong)i, 0);
            }

            while (queue.Count > 0)
            {
                queue.Dequeue();
            }
        }

        Burst(10);
        int small = queue.Capacity;
        Assert.InRange(small, 1, FrameQueue.KeepCapacity);
        queue.Trim(); // this period queued frames
        Assert.Equal(small, queue.Capacity);
        Burst(10);
        queue.Trim();
        Assert.Equal(small, queue.Capacity); // a small buffer is kept while frames come
        queue.Trim(); // a period that queued nothing: an idle lane holds no buffer
        Assert.Equal(0, queue.Capacity);

        Burst(5_000);
        int large = queue.Capacity;
        Assert.True(large > FrameQueue.KeepCapacity);
        queue.Trim(); // this period needed it
        Assert.Equal(large, queue.Capacity);
        Burst(5_000);
        queue.Trim();
        Assert.Equal(large, queue.Capacity);

        Burst(10);
        queue.Trim(); // a period that needed little, and the queue is empty
        Assert.Equal(0, queue.Capacity);

        queue.Enqueue(frame, 1, 0);
        Assert.Equal(1, queue.Count);
        queue.Clear();
        Assert.Equal(0, queue.Count);
        Assert.Equal(0, queue.Capacity);
    }
}
