using System.Collections.Concurrent;
using PeerKit.Links;

namespace PeerKit.Tests.Links;

public sealed class FramePoolTests
{
    [Theory]
    [InlineData(1, 16)]
    [InlineData(16, 16)]
    [InlineData(17, 32)]
    [InlineData(64, 64)]
    [InlineData(65, 128)]
    [InlineData(1400, 2048)]
    [InlineData(4096, 4096)]
    public void Rent_hands_out_the_next_power_of_two_from_16(int length, int size)
    {
        var pool = new FramePool(8);
        byte[]? array = pool.Rent(length);
        Assert.NotNull(array);
        Assert.Equal(size, array.Length);
    }

    [Fact]
    public void Zero_is_null_negative_throws_and_larger_than_4_KiB_comes_from_the_shared_pool()
    {
        var pool = new FramePool(8);
        Assert.Null(pool.Rent(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(-1));
        byte[] large = pool.Rent(5000)!;
        Assert.True(large.Length >= 5000);
        pool.Return(large); // to ArrayPool.Shared, not kept here
        Assert.Equal(0, pool.Held(4096));
    }

    [Fact]
    public void A_returned_buffer_is_handed_out_again_and_the_pool_keeps_at_most_its_bound()
    {
        var pool = new FramePool(3);
        byte[] first = pool.Rent(100)!;
        pool.Return(first);
        Assert.Equal(1, pool.Held(128));
        Assert.Same(first, pool.Rent(120));
        Assert.Equal(0, pool.Held(128));

        byte[][] many = Enumerable.Range(0, 10).Select(_ => pool.Rent(128)!).ToArray();
        foreach (byte[] array in many)
        {
            pool.Return(array);
        }

        Assert.Equal(3, pool.Held(128));
        Assert.Equal(0, pool.Held(64));
    }

    [Fact]
    public void Buffers_of_a_foreign_size_are_not_kept()
    {
        var pool = new FramePool(8);
        pool.Return(new byte[100]);
        pool.Return(new byte[8]);
        Assert.Equal(0, pool.Held(128));
        Assert.Equal(0, pool.Held(16));
    }

    [Fact]
    public async Task Concurrent_renters_never_share_a_buffer_and_the_bound_holds()
    {
        var pool = new FramePool(64);
        var inUse = new ConcurrentDictionary<byte[], int>(ReferenceEqualityComparer.Instance);
        int conflicts = 0;
        Task[] workers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            var mine = new Queue<byte[]>();
            for (int i = 0; i < 50_000; i++)
            {
                byte[] array = pool.Rent(64)!;
                if (!inUse.TryAdd(array, w))
                {
                    Interlocked.Increment(ref conflicts);
                }

                mine.Enqueue(array);
                if (mine.Count > 16)
                {
                    byte[] back = mine.Dequeue();
                    inUse.TryRemove(back, out _);
                    pool.Return(back);
                }
            }

            while (mine.TryDequeue(out byte[]? back))
            {
                inUse.TryRemove(back, out _);
                pool.Return(back);
            }
        })).ToArray();
        await Task.WhenAll(workers);
        Assert.Equal(0, conflicts);
        Assert.InRange(pool.Held(64), 1, 64);
    }

    [Fact]
    public void A_byte_bound_keeps_more_of_the_small_sizes()
    {
        var pool = new FramePool(3, bytesPerSize: 1024);
        byte[][] small = Enumerable.Range(0, 40).Select(_ => pool.Rent(64)!).ToArray();
        byte[][] large = Enumerable.Range(0, 10).Select(_ => pool.Rent(4096)!).ToArray();
        foreach (byte[] array in small.Concat(large))
        {
            pool.Return(array);
        }

        Assert.Equal(16, pool.Held(64)); // 1024 / 64
        Assert.Equal(3, pool.Held(4096)); // the count bound is the larger one
    }

    [Fact]
    public void Trim_lets_go_of_what_a_period_left_unused_and_keeps_what_it_used()
    {
        var pool = new FramePool(100);
        byte[][] burst = Enumerable.Range(0, 40).Select(_ => pool.Rent(64)!).ToArray();
        foreach (byte[] array in burst)
        {
            pool.Return(array);
        }

        // The period that filled the pool ran it dry: everything held was needed.
        Assert.Equal(0, pool.Trim(keep: 2));
        Assert.Equal(40, pool.Held(64));

        // This period needs 10 at most: the other 30 go.
        byte[][] used = Enumerable.Range(0, 10).Select(_ => pool.Rent(64)!).ToArray();
        foreach (byte[] array in used)
        {
            pool.Return(array);
        }

        Assert.Equal(30, pool.Trim(keep: 2));
        Assert.Equal(10, pool.Held(64));

        // An idle period: down to what is kept.
        Assert.Equal(8, pool.Trim(keep: 2));
        Assert.Equal(2, pool.Held(64));
        Assert.Equal(0, pool.Trim(keep: 2));
        Assert.Equal(2, pool.Held(64));
    }
}
