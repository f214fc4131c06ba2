using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace PeerKit.Benchmarks.Routers;

/// <summary>
/// The little of TURN (RFC 8656) the benchmark's client needs: Allocate and ChannelBind without authentication,
/// then ChannelData (RFC 8656 §12.4: channel number, length, data).
/// </summary>
internal static class TurnWire
{
    /// <summary>The first channel number a client may bind.</summary>
    public const ushort FirstChannel = 0x4000;

    /// <summary>Size of a ChannelData header.</summary>
    public const int ChannelDataHeader = 4;

    private const uint Cookie = 0x2112A442;
    private const ushort AllocateRequest = 0x0003;
    private const ushort AllocateSuccess = 0x0103;
    private const ushort ChannelBindRequest = 0x0009;
    private const ushort ChannelBindSuccess = 0x0109;
    private const ushort RequestedTransport = 0x0019;
    private const ushort ChannelNumber = 0x000C;
    private const ushort XorPeerAddress = 0x0012;
    private const ushort XorRelayedAddress = 0x0016;

    /// <summary>Allocates a relayed UDP address on <paramref name="server"/>; false when no success arrives in time.</summary>
    public static bool TryAllocate(Socket socket, IPEndPoint server, out IPEndPoint relayed)
    {
        relayed = null!;
        byte[] request = new byte[20 + 8];
        WriteHeader(request, AllocateRequest, 8, out byte[] id);
        WriteAttribute(request.AsSpan(20), RequestedTransport, [17, 0, 0, 0]);
        if (!Exchange(socket, server, request, id, AllocateSuccess, out byte[] answer, out int length))
        {
            return false;
        }

        for (int at = 20; at + 4 <= length;)
        {
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(answer.AsSpan(at));
            ushort size = BinaryPrimitives.ReadUInt16BigEndian(answer.AsSpan(at + 2));
            if (type == XorRelayedAddress && size >= 8 && answer[at + 5] == 1)
            {
                int port = BinaryPrimitives.ReadUInt16BigEndian(answer.AsSpan(at + 6)) ^ (int)(Cookie >> 16);
                uint address = BinaryPrimitives.ReadUInt32BigEndian(answer.AsSpan(at + 8)) ^ Cookie;
                byte[] bytes = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(bytes, address);
                relayed = new IPEndPoint(new IPAddress(bytes), port);
                return true;
            }

            at += 4 + ((size + 3) & ~3);
        }

        return false;
    }

    /// <summary>Binds <paramref name="channel"/> to <paramref name="peer"/> (which also installs its permission).</summary>
    public static void ChannelBind(Socket socket, IPEndPoint server, ushort channel, IPEndPoint peer)
    {
        byte[] request = new byte[20 + 8 + 12];
        WriteHeader(request, ChannelBindRequest, 20, out byte[] id);
        byte[] number = new byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(number, channel);
        WriteAttribute(request.AsSpan(20), ChannelNumber, number);
        byte[] xor = new byte[8];
        xor[1] = 1;
        BinaryPrimitives.WriteUInt16BigEndian(xor.AsSpan(2), (ushort)(peer.Port ^ (int)(Cookie >> 16)));
        BinaryPrimitives.WriteUInt32BigEndian(xor.AsSpan(4), BinaryPrimitives.ReadUInt32BigEndian(peer.Address.GetAddressBytes()) ^ Cookie);
        WriteAttribute(request.AsSpan(28), XorPeerAddress, xor);
        if (!Exchange(socket, server, request, id, ChannelBindSuccess, out _, out _))
        {
            throw new InvalidOperationException($"turnserver refused or did not answer ChannelBind to {peer}.");
        }
    }

    /// <summary>Writes a ChannelData header for <paramref name="payloadLength"/> bytes.</summary>
    public static void WriteChannelData(Span<byte> destination, ushort channel, int payloadLength)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, channel);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payloadLength);
    }

    private static void WriteHeader(byte[] message, ushort type, int attributesLength, out byte[] id)
    {
        BinaryPrimitives.WriteUInt16BigEndian(message, type);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(2), (ushort)attributesLength);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(4), Cookie);
        id = RandomNumberGenerator.GetBytes(12);
        id.CopyTo(message, 8);
    }

    private static void WriteAttribute(Span<byte> destination, ushort type, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, type);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)value.Length);
        value.CopyTo(destination[4..]);
    }

    private static bool Exchange(Socket socket, IPEndPoint server, byte[] request, byte[] id, ushort success, out byte[] answer, out int length)
    {
        answer = new byte[1500];
        length = 0;
        for (int attempt = 0; attempt < 5; attempt++)
        {
            socket.SendTo(request, server);
            try
            {
                while (true)
                {
                    length = socket.Receive(answer);
                    if (length >= 20 && answer.AsSpan(8, 12).SequenceEqual(id))
                    {
                        return BinaryPrimitives.ReadUInt16BigEndian(answer) == success;
                    }
                }
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.ConnectionReset)
            {
            }
        }

        return false;
    }
}
