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
