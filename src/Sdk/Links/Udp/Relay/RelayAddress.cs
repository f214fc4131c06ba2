using System.Net;
using System.Net.Sockets;

namespace PeerKit.Links.Udp;

/// <summary>
/// The address that stands for a relay path inside a <see cref="UdpEndpoint"/>: an IPv6 address in the discard-only
/// prefix <c>100::/64</c> (RFC 6666) holding the channel, with port 0. No datagram ever comes from port 0, so it can
/// never be a real peer's address. A link sends to it as to any address (the endpoint's relay layer turns the send into
/// a relay datagram to the router) and sees relayed packets arrive from it, so moving between the relay and a direct
/// path is the link's ordinary path validation and migration.
/// </summary>
internal static class RelayAddress
{
    /// <summary>The address of the relay path on <paramref name="channel"/>.</summary>
    public static IPEndPoint For(uint channel)
    {
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        bytes[0] = 0x01; // 100::/64
        bytes[8] = (byte)'P';
        bytes[9] = (byte)'K';
        bytes[10] = (byte)'R';
        bytes[11] = (byte)'L';
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes[12..], channel);
        return new IPEndPoint(new IPAddress(bytes), 0);
    }

    /// <summary>
    /// Whether <paramref name="address"/> may be a relay path's address: IPv6 with port 0 (checked without a lookup;
    /// the port sits in bytes 2–3 of every platform's socket address).
    /// </summary>
    public static bool MayBeRelay(SocketAddress address) =>
        address.Family == AddressFamily.InterNetworkV6 && address[2] == 0 && address[3] == 0;
}
