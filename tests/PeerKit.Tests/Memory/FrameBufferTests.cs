using PeerKit.Links;

namespace PeerKit.Tests.Memory;

/// <summary>Where frame buffers come from, and that the large-buffer pool gives its memory back.</summary>
[Collection(PeerKit.Tests.Hostile.ProcessWideMemory.Name)] // trims a process-wide pool
public sealed class FrameBufferTests
{
    [Fact]
    public void Large_buffers_are_reused_and_let_go_after_a_period_without_use()
    {
        FrameBuffer.TrimLarge();
        FrameBuffer.TrimLarge(); // empty: what earlier tests returned is gone
        byte[] first = FrameBuffer.Rent(300_000);
        Assert.Equal(512 * 1024, first.Length);
        FrameBuffer.Return(first);
        Assert.Same(first, FrameBuffer.Rent(300_000)); // reused while in use
        FrameBuffer.Return(first);
        FrameBuffer.TrimLarge(); // a period in which it was rented: kept
        FrameBuffer.TrimLarge(); // a period without: let go
        Assert.NotSame(first, FrameBuffer.Rent(300_000));
    }

    [Fact]
    public void The_large_buffer_pool_keeps_at_most_its_bytes_per_size()
    {
        FrameBuffer.TrimLarge();
        FrameBuffer.TrimLarge();
        byte[][] rented = [.. Enumerable.Range(0, 20).Select(_ => FrameBuffer.Rent(1 << 20))];
        foreach (byte[] array in rented)
        {
            FrameBuffer.Return(array);
        }

        int reused = 0;
        var again = new List<byte[]>();
        for (int i = 0; i < 20; i++)
        {
            byte[] array = FrameBuffer.Rent(1 << 20);
            again.Add(array);
            reused += rented.Contains(array) ? 1 : 0;
        }

        Assert.Equal(FrameBuffer.LargeBytesPerSize / (1 << 20), reused);
        again.ForEach(FrameBuffer.Return);
    }
}
