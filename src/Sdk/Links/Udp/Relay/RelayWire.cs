using System.Buffers.Binary;

namespace PeerKit.Links.Udp;

/// <summary>
/// The relay datagram (docs/udp.md, "Relay path"): <c>marker(1) ‖ channel(4, big-endian) ‖ the relayed datagram</c>,
/// as TURN's ChannelData carries an ICE connection's packets. The marker is a first byte no other PeerKit UDP datagram
/// starts with (those start with a packet type 1–5, or 0x85 for a data packet of the other key phase), so one socket
/// carries direct packets, the router's own links and relayed packets, told apart by their first byte.
/// </summary>
internal static class RelayWire
{
    /// <summary>The first byte of every relay datagram ('R'); outside 1–5 and 0x81–0x85.</summary>
    public const byte Marker = 0x52;

    /// <summary>marker(1) ‖ channel(4).</summary>
    public const int HeaderSize = 5;

    /// <summary>The smallest datagram a relay carries: the 5 bytes every PeerKit UDP endpoint requires.</summary>
    public const int MinPayload = 5;

    /// <summary>The size of an open notice: a header and <see cref="MinPayload"/> bytes.</summary>
    public const int OpenNoticeSize = HeaderSize + MinPayload;

    /// <summary>
    /// Writes the open notice for <paramref name="channel"/>: <c>header ‖ marker ‖ "open"</c>, which a client sends
    /// its router when it opens the channel. The router's switch does not forward it (a payload starting with the
    /// marker is never relayed); it learns that the client now reads the channel and sends it again the last datagram
    /// the other client sent before that, which the client dropped (a handshake Init that overtook the signaling).
    /// </summary>
    public static void WriteOpenNotice(Span<byte> destination, uint channel)
    {
        WriteHeader(destination, channel);
        destination[HeaderSize] = Marker;
        "open"u8.CopyTo(destination[(HeaderSize + 1)..]);
    }

    /// <summary>Whether <paramref name="datagram"/> is an open notice (<see cref="WriteOpenNotice"/>), and its channel.</summary>
    public static bool IsOpenNotice(ReadOnlySpan<byte> datagram, out uint channel)
    {
        channel = 0;
        if (datagram.Length != OpenNoticeSize || datagram[0] != Marker || datagram[HeaderSize] != Marker || !datagram[(HeaderSize + 1)..].SequenceEqual("open"u8))
        {
            return false;
        }

        channel = BinaryPrimitives.ReadUInt32BigEndian(datagram[1..]);
        return channel != 0;
    }

    /// <summary>Writes the header for <paramref name="channel"/> into the first <see cref="HeaderSize"/> bytes.</summary>
    public static void WriteHeader(Span<byte> destination, uint channel)
    {
        destination[0] = Marker;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], channel);
    }

    /// <summary>
    /// Reads a relay datagram's channel; false when it is not a well-formed relay datagram: too short, a channel of 0
    /// (never allocated), or a payload that is itself a relay datagram (no nesting, so no forwarding loops).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> datagram, out uint channel)
    {
        channel = 0;
        if (datagram.Length < HeaderSize + MinPayload || datagram[0] != Marker)
        {
            return false;
        }

        channel = BinaryPrimitives.ReadUInt32BigEndian(datagram[1..]);
        return channel != 0 && datagram[HeaderSize] != Marker;
    }
}
