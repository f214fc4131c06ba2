using System.Buffers.Binary;
using PeerKit.Serialization;

namespace PeerKit.Links.Udp;

/// <summary>
/// Reads the frames of a decrypted packet one at a time and checks their structure (varints that end, lengths that
/// fit, fragment geometry, ACK ranges that stay above zero), so the link routes only well-formed frames. What depends
/// on the link's state (an ACK of a packet never sent, a frame larger than allowed) is the link's to check.
/// </summary>
internal ref struct FrameReader
{
    private readonly ReadOnlySpan<byte> _packet;
    private int _pos;

    public FrameReader(ReadOnlySpan<byte> packet) => _packet = packet;

    /// <summary>Whether frames remain.</summary>
    public readonly bool More => _pos < _packet.Length;

    /// <summary>Reads the next frame (call while <see cref="More"/>).</summary>
    /// <returns>False when the frame is malformed: <paramref name="error"/> says how (the packet is then abandoned).</returns>
    public bool TryRead(out Frame frame, out FrameError error)
    {
        frame = default;
        error = default;
        ReadOnlySpan<byte> p = _packet;
        byte type = p[_pos++];
        if (type == UdpWire.FramePadding)
        {
            int more = p[_pos..].IndexOfAnyExcept(UdpWire.FramePadding);
            _pos = more < 0 ? p.Length : _pos + more;
            frame.Kind = FrameKind.Padding;
            return true;
        }

        if (type == UdpWire.FrameAck)
        {
            if (!TryReadAck(out AckFrame ack))
            {
                return Fail("a malformed acknowledgement", out error);
            }

            frame.Kind = FrameKind.Ack;
            frame.Ack = ack;
            return true;
        }

        if (type == UdpWire.FramePing || type == UdpWire.FrameClose || type == UdpWire.FrameResume)
        {
            frame.Kind = type == UdpWire.FramePing ? FrameKind.Ping : type == UdpWire.FrameClose ? FrameKind.Close : FrameKind.Resume;
            return true;
        }

        if (type is UdpWire.FramePathChallenge or UdpWire.FramePathResponse)
        {
            if (p.Length - _pos < 8)
            {
                return Fail("a truncated path challenge or response", out error);
            }

            frame.Kind = type == UdpWire.FramePathChallenge ? FrameKind.PathChallenge : FrameKind.PathResponse;
            frame.PathData = BinaryPrimitives.ReadUInt64LittleEndian(p[_pos..]);
            _pos += 8;
            return true;
        }

        if ((type & ~3) == UdpWire.FrameMessage)
        {
            if (!Varint.TryRead(p, ref _pos, out ulong seq) || !Varint.TryRead(p, ref _pos, out ulong length) || length > (ulong)(p.Length - _pos))
            {
                return Fail("a malformed message frame", out error);
            }

            frame.Kind = FrameKind.Message;
            frame.Class = type & 3;
            frame.Seq = seq;
            frame.Data = p.Slice(_pos, (int)length);
            _pos += (int)length;
            return true;
        }

        if ((type & ~3) == UdpWire.FrameFragment)
        {
            if (!Varint.TryRead(p, ref _pos, out ulong seq) || !Varint.TryRead(p, ref _pos, out ulong total)
                || !Varint.TryRead(p, ref _pos, out ulong chunkSize) || !Varint.TryRead(p, ref _pos, out ulong index)
                || chunkSize == 0 || chunkSize > UdpWire.MaxMtu || chunkSize % UdpWire.FragmentGranule != 0
                || total == 0 || total > int.MaxValue || index >= (total + chunkSize - 1) / chunkSize)
            {
                return Fail("a malformed fragment frame", out error);
            }

            int length = (int)Math.Min(chunkSize, total - (index * chunkSize));
            if (length > p.Length - _pos)
            {
                return Fail("a fragment cut short", out error);
            }

            frame.Kind = FrameKind.Fragment;
            frame.Class = type & 3;
            frame.Seq = seq;
            frame.Total = (long)total;
            frame.ChunkSize = (int)chunkSize;
            frame.Index = (int)index;
            frame.Data = p.Slice(_pos, length);
            _pos += length;
            return true;
        }

        return Fail($"an unknown frame type 0x{type:x2}", out error);
    }

    private static bool Fail(string what, out FrameError error)
    {
        error = FrameError.Malformed(what);
        return false;
    }

    private bool TryReadAck(out AckFrame ack)
    {
        ack = default;
        ReadOnlySpan<byte> p = _packet;
        if (!Varint.TryRead(p, ref _pos, out ulong largest) || !Varint.TryRead(p, ref _pos, out ulong delay)
            || !Varint.TryRead(p, ref _pos, out ulong credit) || !Varint.TryRead(p, ref _pos, out ulong first) || _pos >= p.Length
            || credit > long.MaxValue || first > largest)
        {
            return false;
        }

        int extra = p[_pos++];
        int start = _pos;
        ulong lo = largest - first;
        for (int i = 0; i < extra; i++)
        {
            if (!Varint.TryRead(p, ref _pos, out ulong gap) || !Varint.TryRead(p, ref _pos, out ulong length) || lo < gap + 2)
            {
                return false;
            }

            ulong hi = lo - gap - 2;
            if (length > hi)
            {
                return false;
            }

            lo = hi - length;
        }

        ack = new AckFrame(largest, delay, credit, first, extra, p[start.._pos]);
        return true;
    }
}
