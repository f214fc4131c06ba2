using System.Buffers;
using System.Numerics;

namespace PeerKit.Links.Udp;

/// <summary>
/// A frame being reassembled from fragments. What has arrived is tracked per <see cref="UdpWire.FragmentGranule"/>
/// bytes, not per chunk, so fragments of one frame cut to different sizes (the sender re-cut it when its path MTU
/// changed) combine, and bytes that arrive twice are copied in again harmlessly.
/// </summary>
internal sealed class Reassembly
{
    private const int GranuleShift = 4; // log2(UdpWire.FragmentGranule)

    public byte[] Buffer = [];
    public int Total;
    public int Granules;
    public int Received;
    public ulong[] Bits = [];

    public static Reassembly Create(int total)
    {
        int granules = (int)(((long)total + UdpWire.FragmentGranule - 1) >> GranuleShift);
        int words = (granules + 63) / 64;
        var reassembly = new Reassembly
        {
            Buffer = ArrayPool<byte>.Shared.Rent(total),
            Total = total,
            Granules = granules,
            Bits = ArrayPool<ulong>.Shared.Rent(words),
        };
        Array.Clear(reassembly.Bits, 0, words);
        return reassembly;
    }

    /// <summary>
    /// Copies in the fragment at <paramref name="offset"/> (a multiple of the granule; it ends on one or at the frame's
    /// end); false when every byte of it was already there.
    /// </summary>
    public bool Add(int offset, ReadOnlySpan<byte> data)
    {
        int bit = offset >> GranuleShift;
        int end = (int)(((long)offset + data.Length + UdpWire.FragmentGranule - 1) >> GranuleShift);
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

        data.CopyTo(Buffer.AsSpan(offset));
        Received += added;
        return true;
    }

    public bool IsComplete => Received == Granules;

    /// <summary>Hands the buffer over as a frame.</summary>
    public LinkFrame TakeFrame()
    {
        var frame = new LinkFrame(Buffer, Total);
        Buffer = [];
        ReturnBits();
        return frame;
    }

    public void Release()
    {
        if (Buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
            Buffer = [];
        }

        ReturnBits();
    }

    private void ReturnBits()
    {
        if (Bits.Length > 0)
        {
            ArrayPool<ulong>.Shared.Return(Bits);
            Bits = [];
        }
    }
}
