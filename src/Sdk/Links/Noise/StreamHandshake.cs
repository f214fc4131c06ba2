using System.Buffers.Binary;

namespace PeerKit.Links.Noise;

/// <summary>What a completed link handshake yields.</summary>
internal sealed class HandshakeResult : IDisposable
{
    public required NoiseCipherState Send { get; init; }

    public required NoiseCipherState Receive { get; init; }

    public required NodeId RemoteId { get; init; }

    public required byte[] RemoteStaticKey { get; init; }

    /// <summary>The largest frame the remote side accepts (from its handshake payload).</summary>
    public required int RemoteMaxFrameSize { get; init; }

    public required byte[] HandshakeHash { get; init; }

    public void Dispose()
    {
        Send.Dispose();
        Receive.Dispose();
    }
}

/// <summary>
/// The link handshake over a byte stream (see docs/links.md):
/// <code>
/// initiator → responder   preamble: 'P' 'K' 'L' version(1) cipher(1 ChaChaPoly | 2 AESGCM)
/// initiator → responder   u16 length ‖ XX message 1 (e)
/// responder → initiator   u16 length ‖ XX message 2 (e, ee, s, es, payload)
/// initiator → responder   u16 length ‖ XX message 3 (s, se, payload)
/// </code>
/// The prologue is the 5-byte preamble, so both sides authenticate the version and cipher. Payloads (encrypted in
/// messages 2 and 3): version(1) ‖ u32 max frame size, big-endian; longer payloads are accepted and the extra
/// bytes ignored, for later versions.
/// </summary>
internal static class StreamHandshake
{
    public const byte Version = 1;
    public const int PreambleSize = 5;
    public const int MaxMessageSize = 1024;
    private const int PayloadSize = 5;

    public static async Task<HandshakeResult> RunAsync(Stream stream, bool initiator, NodeKey localKey, NodeId? expectedRemoteId, int maxFrameSize, NoiseCipher cipher, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[2 + MaxMessageSize + PreambleSize];
        byte[] payload = new byte[MaxMessageSize];
        byte[] ourPayload = new byte[PayloadSize];
        ourPayload[0] = Version;
        BinaryPrimitives.WriteInt32BigEndian(ourPayload.AsSpan(1), maxFrameSize);

        NoiseHandshake? handshake = null;
        try
        {
            int remoteMax;
            if (initiator)
            {
                byte[] preamble = [(byte)'P', (byte)'K', (byte)'L', Version, (byte)cipher];
                handshake = new NoiseHandshake(cipher, initiator: true, localKey, preamble);
                preamble.CopyTo(buffer, 0);
                int length = handshake.WriteMessage(ReadOnlySpan<byte>.Empty, buffer.AsSpan(PreambleSize + 2));
                BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(PreambleSize), (ushort)length);
                await WriteAsync(stream, buffer.AsMemory(0, PreambleSize + 2 + length), cancellationToken).ConfigureAwait(false);

                int received = await ReadMessageAsync(stream, buffer, cancellationToken).ConfigureAwait(false);
                int payloadLength = handshake.ReadMessage(buffer.AsSpan(0, received), payload);
                remoteMax = ParsePayload(payload.AsSpan(0, payloadLength));
                NodeId remoteId = NodeId.FromPublicKey(handshake.RemoteStaticKey);
                if (expectedRemoteId is { } expected && expected != remoteId)
                {
                    // Before message 3: the dialer does not reveal its static key to the wrong node.
                    throw new IdentityMismatchException(expected, remoteId);
                }

                length = handshake.WriteMessage(ourPayload, buffer.AsSpan(2));
                BinaryPrimitives.WriteUInt16BigEndian(buffer, (ushort)length);
                await WriteAsync(stream, buffer.AsMemory(0, 2 + length), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await ReadExactlyAsync(stream, buffer.AsMemory(0, PreambleSize), cancellationToken).ConfigureAwait(false);
                NoiseCipher requested = ParsePreamble(buffer.AsSpan(0, PreambleSize));
                handshake = new NoiseHandshake(requested, initiator: false, localKey, buffer.AsSpan(0, PreambleSize));

                int received = await ReadMessageAsync(stream, buffer, cancellationToken).ConfigureAwait(false);
                handshake.ReadMessage(buffer.AsSpan(0, received), payload);

                int length = handshake.WriteMessage(ourPayload, buffer.AsSpan(2));
                BinaryPrimitives.WriteUInt16BigEndian(buffer, (ushort)length);
                await WriteAsync(stream, buffer.AsMemory(0, 2 + length), cancellationToken).ConfigureAwait(false);

                received = await ReadMessageAsync(stream, buffer, cancellationToken).ConfigureAwait(false);
                int payloadLength = handshake.ReadMessage(buffer.AsSpan(0, received), payload);
                remoteMax = ParsePayload(payload.AsSpan(0, payloadLength));
            }

            byte[] remoteStatic = handshake.RemoteStaticKey.ToArray();
            (NoiseCipherState send, NoiseCipherState receive) = handshake.Split();
            return new HandshakeResult
            {
                Send = send,
                Receive = receive,
                RemoteStaticKey = remoteStatic,
                RemoteId = NodeId.FromPublicKey(remoteStatic),
                RemoteMaxFrameSize = remoteMax,
                HandshakeHash = handshake.HandshakeHash.ToArray(),
            };
        }
        finally
        {
            handshake?.Dispose();
        }
    }

    private static NoiseCipher ParsePreamble(ReadOnlySpan<byte> preamble)
    {
        if (preamble[0] != (byte)'P' || preamble[1] != (byte)'K' || preamble[2] != (byte)'L')
        {
            throw new HandshakeException(HandshakeFailure.InvalidMessage, "The remote side did not start a PeerKit link handshake.");
        }

        if (preamble[3] != Version)
        {
            throw new HandshakeException(HandshakeFailure.UnsupportedProtocol, $"The remote side asked for link protocol version {preamble[3]}; this side speaks version {Version}.");
        }

        var cipher = (NoiseCipher)preamble[4];
        if (!NoiseCipherState.IsSupported(cipher))
        {
            throw new HandshakeException(HandshakeFailure.UnsupportedProtocol, $"The remote side asked for cipher {preamble[4]}, which this side does not support.");
        }

        return cipher;
    }

    private static int ParsePayload(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < PayloadSize || payload[0] < Version)
        {
            throw new HandshakeException(HandshakeFailure.InvalidMessage, "The remote handshake payload is malformed.");
        }

        int max = BinaryPrimitives.ReadInt32BigEndian(payload[1..]);
        if (max < 1)
        {
            throw new HandshakeException(HandshakeFailure.InvalidMessage, $"The remote side announced an invalid maximum frame size ({max}).");
        }

        return max;
    }

    private static async ValueTask<int> ReadMessageAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        await ReadExactlyAsync(stream, buffer.AsMemory(0, 2), cancellationToken).ConfigureAwait(false);
        int length = BinaryPrimitives.ReadUInt16BigEndian(buffer);
        if (length > MaxMessageSize)
        {
            throw new HandshakeException(HandshakeFailure.MessageTooLarge, $"The remote side announced a handshake message of {length} bytes; the limit is {MaxMessageSize}.");
        }

        await ReadExactlyAsync(stream, buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        return length;
    }

    private static async ValueTask ReadExactlyAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            await stream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException e)
        {
            throw new HandshakeException(HandshakeFailure.ConnectionClosed, "The connection closed during the handshake.", e);
        }
        catch (IOException e) when (e is not LinkException && !cancellationToken.IsCancellationRequested)
        {
            throw new HandshakeException(HandshakeFailure.ConnectionClosed, "The connection failed during the handshake.", e);
        }
    }

    private static async ValueTask WriteAsync(Stream stream, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        try
        {
            await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e) when (e is not LinkException && !cancellationToken.IsCancellationRequested)
        {
            throw new HandshakeException(HandshakeFailure.ConnectionClosed, "The connection failed during the handshake.", e);
        }
    }
}
