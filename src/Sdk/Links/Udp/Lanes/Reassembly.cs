using System.Buffers;
using System.Numerics;

namespace PeerKit.Links.Udp;

/// <summary>
/// A frame being reassembled from fragments. What has arrived is tracked per <see cref="UdpWire.FragmentGranule"/>
/// bytes, not per chunk, so fragments of one frame cut to different sizes (the sender re-cut it when its path MTU
/// changed) combine, and bytes that arrive twice are not kept twice.
/// </summary>
/// <remarks>
/// Memory grows as bytes arrive, never by the size the fragments claim (issue 13, finding 1: forty fragments each
/// claiming a 16 MiB frame pinned ~645 MiB): each fragment that brings new bytes is kept in its own pooled buffer,
/// and the frame's buffer is allocated only when the last byte has come. The granule bits grow to the highest
/// fragment seen (1 bit per 16 bytes: at most 1/128 of the claimed size). <see cref="HeldBytes"/> is what the
/// reassembly holds now; the lanes bound its sum per link (<see cref="ReceiveLanes"/>).
/// </remarks>
internal sealed class Reassembly
{
    private const int GranuleShift = 4; // log2(UdpWire.FragmentGranule)

    private readonly List<Chunk> _chunks = [];

    public int Total;
    public int Granules;
    public int Received;
    public ulong[] Bits = [];

    /// <summary>The bytes the reassembly holds now: its fragments' buffers and its bits.</summary>
    public long HeldBytes { get; private set; }

    public static Reassembly Create(int total)
    {
        int granules = (int)(((long)total + UdpWire.FragmentGranule - 1) >> GranuleShift);
        return new Reassembly { Total = total, Granules = granules };
    }

    /// <summary>
    /// Keeps the fragment at <paramref name="offset"/> (a multiple of the granule; it ends on one or at the frame's
    /// end); false when every byte of it was already there.
    /// </summary>
    public bool Add(int offset, ReadOnlySpan<byte> data)
    {
        int bit = offset >> GranuleShift;
        int end = (int)(((long)offset + data.Length + UdpWire.FragmentGranule - 1) >> GranuleShift);
        EnsureBits(end);
        int added = 0;
        while (bit < end)
        {
            int low = bit & 63;
            int count = Math.Min(64 - low, end - bit);
            ulong mask = (count == 64 ? ulong.MaxValue : (1UL << count) - 1) << low;
            ref ulong word = ref Bits[bit >> 6];
            added += BitOperations.PopCount(mask & ~word);
            word |= mask;
            bit += count;
        }

        if (added == 0)
        {
            return false;
        }

        byte[] copy = FrameBuffer.Rent(data.Length);
        data.CopyTo(copy);
        _chunks.Add(new Chunk(offset, copy, data.Length));
        HeldBytes += copy.Length;
        Received += added;
        return true;
    }

    public bool IsComplete => Received == Granules;

    /// <summary>Copies the fragments into one buffer and hands it over as a frame.</summary>
    public LinkFrame TakeFrame()
    {
        byte[] buffer = FrameBuffer.Rent(Total);
        foreach (Chunk chunk in _chunks)
        {
            chunk.Array.AsSpan(0, chunk.Length).CopyTo(buffer.AsSpan(chunk.Offset));
        }

        Release();
        return new LinkFrame(buffer, Total);
    }

    public void Release()
    {
        foreach (Chunk chunk in _chunks)
        {
            FrameBuffer.Return(chunk.Array);
        }

        _chunks.Clear();
        if (Bits.Length > 0)
        {
            ArrayPool<ulong>.Shared.Return(Bits);
            Bits = [];
        }

        HeldBytes = 0;
    }

    private void EnsureBits(int granuleEnd)
    {
        int words = (granuleEnd + 63) / 64;
        if (words <= Bits.Length)
        {
            return;
        }

        int allWords = (Granules + 63) / 64;
        ulong[] bits = ArrayPool<ulong>.Shared.Rent(Math.Min(allWords, Math.Max(words, 2 * Bits.Length)));
        Bits.AsSpan().CopyTo(bits);
        Array.Clear(bits, Bits.Length, bits.Length - Bits.Length);
        HeldBytes += (bits.Length - Bits.Length) * sizeof(ulong);
        if (Bits.Length > 0)
        {
            ArrayPool<ulong>.Shared.Return(Bits);
        }

        Bits = bits;
    }

    private readonly record struct Chunk(int Offset, byte[] Array, int Length);
}
