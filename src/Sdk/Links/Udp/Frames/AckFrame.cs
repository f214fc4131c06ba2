using PeerKit.Serialization;

namespace PeerKit.Links.Udp;

/// <summary>
/// An ACK frame as read (written by <see cref="ReceivedPackets.WriteAck"/>): the largest packet number, the ack delay
/// (µs), the credit granted, and its ranges of packet numbers, newest first, which <see cref="TryNextRange"/> walks.
/// The reader checked every range when it read the frame.
/// </summary>
internal ref struct AckFrame
{
    private ReadOnlySpan<byte> _ranges;
    private int _left;
    private ulong _lo;
    private bool _started;

    public AckFrame(ulong largest, ulong delay, ulong credit, ulong first, int extra, ReadOnlySpan<byte> ranges)
    {
        Largest = largest;
        Delay = delay;
        Credit = credit;
        First = first;
        _left = extra;
        _ranges = ranges;
    }

    public ulong Largest { get; }

    public ulong Delay { get; }

    public ulong Credit { get; }

    /// <summary>The length of the first range, below <see cref="Largest"/>.</summary>
    public ulong First { get; }

    /// <summary>The next range acknowledged, from the newest.</summary>
    public bool TryNextRange(out ulong lo, out ulong hi)
    {
        if (!_started)
        {
            _started = true;
            hi = Largest;
            lo = _lo = Largest - First;
            return true;
        }

        int pos = 0;
        if (_left == 0 || !Varint.TryRead(_ranges, ref pos, out ulong gap) || !Varint.TryRead(_ranges, ref pos, out ulong length))
        {
            lo = hi = 0;
            return false;
        }

        _ranges = _ranges[pos..];
        _left--;
        hi = _lo - gap - 2;
        lo = _lo = hi - length;
        return true;
    }
}
