using PeerKit.Links;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Hostile;

/// <summary>Issue 13, finding 1: UDP reassembly grows as bytes arrive, and partial frames are bounded in bytes per link.</summary>
public sealed class UdpReassemblyFloodTests
{
    private const int Claimed = 16 * 1024 * 1024;
    private const int Chunk = 1344;

    /// <summary>
    /// Caught: forty FRAGMENT frames (one ~1 KB packet's worth) each claiming a 16 MiB frame made reassembly rent
    /// the claimed size up front: ~645 MiB pinned. Now each holds what arrived plus its bits.
    /// </summary>
    [Fact]
    public void Forty_fragments_claiming_16_MiB_frames_hold_only_what_arrived()
    {
        var lanes = new ReceiveLanes(new LinkInbox(0), new FramePool(16), reliableWindow: 1024, maxFrameSize: Claimed, maxPartialBytes: 64L * 1024 * 1024);
        int last = ((Claimed + Chunk - 1) / Chunk) - 1;
        byte[] data = new byte[Claimed - (last * Chunk)];
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (ulong seq = 0; seq < 40; seq++)
        {
            // The last chunk of each frame: the one that made a buffer sized by offset grow to the whole frame.
            Assert.Null(lanes.ReceiveFragment(0, seq, Claimed, Chunk, last, data));
            Assert.Null(lanes.ReceiveFragment(2, seq, Claimed, Chunk, 0, data));
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(lanes.PartialBytes < 16L * 1024 * 1024, $"{lanes.PartialBytes} bytes held by partial frames");
        Assert.True(allocated < 32L * 1024 * 1024, $"{allocated} bytes allocated");
        lanes.Release();
    }

    /// <summary>
    /// Caught: partial frames were bounded only by window counts, not bytes. Now beyond the link's byte limit the
    /// unreliable partials go first, and a reliable fragment that still does not fit closes the link.
    /// </summary>
    [Fact]
    public void Partial_frames_beyond_the_byte_limit_drop_unreliable_ones_then_fail_the_link()
    {
        const long limit = 256 * 1024;
        var lanes = new ReceiveLanes(new LinkInbox(0), new FramePool(16), reliableWindow: 4096, maxFrameSize: Claimed, maxPartialBytes: limit);
        byte[] chunk = new byte[Chunk];
        FrameError? error = null;
        ulong seq = 0;
        for (; seq < 1000 && error is null; seq++)
        {
            Assert.Null(lanes.ReceiveFragment(2, seq, Claimed, Chunk, 0, chunk)); // unreliable: dropped when over
        }

        Assert.True(lanes.PartialBytes <= limit);
        Assert.True(lanes.PartialOverflowDropped > 0 || lanes.Dropped > 0);
        for (seq = 0; seq < 1000 && error is null; seq++)
        {
            error = lanes.ReceiveFragment(0, seq, Claimed, Chunk, 0, chunk);
        }

        Assert.NotNull(error);
        Assert.True(lanes.PartialBytes <= limit, $"{lanes.PartialBytes} bytes held");
        lanes.Release();
    }

    /// <summary>The chunked reassembly still rebuilds a frame from fragments cut to different sizes.</summary>
    [Fact]
    public void A_frame_reassembled_from_chunks_matches_what_was_sent()
    {
        byte[] frame = new byte[100_000];
        new Random(1).NextBytes(frame);
        Reassembly r = Reassembly.Create(frame.Length);
        for (int offset = frame.Length - (frame.Length % Chunk); offset >= 0; offset -= Chunk)
        {
            r.Add(offset, frame.AsSpan(offset, Math.Min(Chunk, frame.Length - offset)));
        }

        Assert.True(r.IsComplete);
        using LinkFrame whole = r.TakeFrame();
        Assert.True(frame.AsSpan().SequenceEqual(whole.Span));
    }
}
