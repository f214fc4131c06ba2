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

    /// <summary>Runs the handshake over <paramref name="stream"/>, throwing on failure (tests that play a raw peer).</summary>
    /// <exception cref="HandshakeException">The handshake failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<HandshakeResult> RunAsync(Stream stream, bool initiator, NodeKey localKey, NodeId? expectedRemoteId, int maxFrameSize, NoiseCipher cipher, CancellationToken cancellationToken)
    {
        using var transport = new StreamTransport(stream, null, cancellationToken);
        HandshakeOutcome outcome = await RunAsync(transport, initiator, localKey, expectedRemoteId, maxFrameSize, cipher).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return outcome.Result ?? throw outcome.ToException();
    }

    /// <summary>
    /// Runs the handshake over <paramref name="transport"/>. Whatever the peer sends, nothing is thrown: a garbage,
    /// short, oversized or forged message, a closed connection and a timeout each give a failed outcome (issue 13,
    /// finding 9). The keys of a successful outcome belong to the caller.
    /// </summary>
    public static async Task<HandshakeOutcome> RunAsync(IHandshakeTransport transport, bool initiator, NodeKey localKey, NodeId? expectedRemoteId, int maxFrameSize, NoiseCipher cipher)
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
            int received;
            if (initiator)
            {
                byte[] preamble = [(byte)'P', (byte)'K', (byte)'L', Version, (byte)cipher];
                handshake = new NoiseHandshake(cipher, initiator: true, localKey, preamble);
                preamble.CopyTo(buffer, 0);
                int length = handshake.WriteMessage(ReadOnlySpan<byte>.Empty, buffer.AsSpan(PreambleSize + 2));
                BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(PreambleSize), (ushort)length);
                if (!await transport.WriteAsync(buffer.AsMemory(0, PreambleSize + 2 + length)).ConfigureAwait(false))
                {
                    return Lost(transport);
                }

                if ((received = await ReadMessageAsync(transport, buffer).ConfigureAwait(false)) < 0)
                {
                    return received == TooLarge ? TooLargeOutcome() : Lost(transport);
                }

                if (!handshake.TryReadMessage(buffer.AsSpan(0, received), payload, out int payloadLength, out HandshakeFailure failure))
                {
                    return HandshakeOutcome.Failed(failure, NoiseHandshake.Describe(failure, 1));
                }

                if (!TryParsePayload(payload.AsSpan(0, payloadLength), out remoteMax))
                {
                    return HandshakeOutcome.Failed(HandshakeFailure.InvalidMessage, "The remote handshake payload is malformed, or announces an invalid maximum frame size.");
                }

                NodeId remoteId = NodeId.FromPublicKey(handshake.RemoteStaticKey);
                if (expectedRemoteId is { } expected && expected != remoteId)
                {
                    // Before message 3: the dialer does not reveal its static key to the wrong node.
                    return new HandshakeOutcome { Failure = HandshakeFailure.IdentityMismatch, Mismatch = (expected, remoteId) };
                }

                length = handshake.WriteMessage(ourPayload, buffer.AsSpan(2));
                BinaryPrimitives.WriteUInt16BigEndian(buffer, (ushort)length);
                if (!await transport.WriteAsync(buffer.AsMemory(0, 2 + length)).ConfigureAwait(false))
                {
                    return Lost(transport);
                }
            }
            else
            {
                if (!await transport.ReadExactlyAsync(buffer.AsMemory(0, PreambleSize)).ConfigureAwait(false))
                {
                    return Lost(transport);
                }

                HandshakeOutcome? refused = CheckPreamble(buffer.AsSpan(0, PreambleSize), out NoiseCipher requested);
                if (refused is { } preambleFailure)
                {
                    return preambleFailure;
                }

                handshake = new NoiseHandshake(requested, initiator: false, localKey, buffer.AsSpan(0, PreambleSize));
                if ((received = await ReadMessageAsync(transport, buffer).ConfigureAwait(false)) < 0)
                {
                    return received == TooLarge ? TooLargeOutcome() : Lost(transport);
                }

                if (!handshake.TryReadMessage(buffer.AsSpan(0, received), payload, out _, out HandshakeFailure failure))
                {
                    return HandshakeOutcome.Failed(failure, NoiseHandshake.Describe(failure, 0));
                }

                int length = handshake.WriteMessage(ourPayload, buffer.AsSpan(2));
                BinaryPrimitives.WriteUInt16BigEndian(buffer, (ushort)length);
                if (!await transport.WriteAsync(buffer.AsMemory(0, 2 + length)).ConfigureAwait(false))
                {
                    return Lost(transport);
                }

                if ((received = await ReadMessageAsync(transport, buffer).ConfigureAwait(false)) < 0)
                {
                    return received == TooLarge ? TooLargeOutcome() : Lost(transport);
                }

                if (!handshake.TryReadMessage(buffer.AsSpan(0, received), payload, out int payloadLength, out failure))
                {
                    return HandshakeOutcome.Failed(failure, NoiseHandshake.Describe(failure, 2));
                }

                if (!TryParsePayload(payload.AsSpan(0, payloadLength), out remoteMax))
                {
                    return HandshakeOutcome.Failed(HandshakeFailure.InvalidMessage, "The remote handshake payload is malformed, or announces an invalid maximum frame size.");
                }
            }

            byte[] remoteStatic = handshake.RemoteStaticKey.ToArray();
            (NoiseCipherState send, NoiseCipherState receive) = handshake.Split();
            return new HandshakeOutcome
            {
                Result = new HandshakeResult
                {
                    Send = send,
                    Receive = receive,
                    RemoteStaticKey = remoteStatic,
                    RemoteId = NodeId.FromPublicKey(remoteStatic),
                    RemoteMaxFrameSize = remoteMax,
                    HandshakeHash = handshake.HandshakeHash.ToArray(),
                },
            };
        }
        finally
        {
            handshake?.Dispose();
        }
    }

    private const int TooLarge = -2;

    private static HandshakeOutcome Lost(IHandshakeTransport transport) => new()
    {
        Failure = transport.Failure,
        Cancelled = transport.Cancelled,
        Message = transport.Failure switch
        {
            HandshakeFailure.Timeout => "The handshake did not complete in time.",
            HandshakeFailure.InvalidMessage => "The connection carried something the link does not speak (a WebSocket text message) during the handshake.",
            _ => "The connection closed or failed during the handshake.",
        },
    };

    private static HandshakeOutcome TooLargeOutcome() =>
        HandshakeOutcome.Failed(HandshakeFailure.MessageTooLarge, $"The remote side announced a handshake message larger than {MaxMessageSize} bytes.");

    private static HandshakeOutcome? CheckPreamble(ReadOnlySpan<byte> preamble, out NoiseCipher cipher)
    {
        cipher = (NoiseCipher)preamble[4];
        if (preamble[0] != (byte)'P' || preamble[1] != (byte)'K' || preamble[2] != (byte)'L')
        {
            return HandshakeOutcome.Failed(HandshakeFailure.InvalidMessage, "The remote side did not start a PeerKit link handshake.");
        }

        if (preamble[3] != Version)
        {
            return HandshakeOutcome.Failed(HandshakeFailure.UnsupportedProtocol, $"The remote side asked for link protocol version {preamble[3]}; this side speaks version {Version}.");
        }

        if (!NoiseCipherState.IsSupported(cipher))
        {
            return HandshakeOutcome.Failed(HandshakeFailure.UnsupportedProtocol, $"The remote side asked for cipher {preamble[4]}, which this side does not support.");
        }

        return null;
    }

    private static bool TryParsePayload(ReadOnlySpan<byte> payload, out int max)
    {
        max = 0;
        if (payload.Length < PayloadSize || payload[0] < Version)
        {
            return false;
        }

        max = BinaryPrimitives.ReadInt32BigEndian(payload[1..]);
        return max >= 1;
    }

    /// <returns>The message's length; -1 when the connection was lost, <see cref="TooLarge"/> when it announced too much.</returns>
    private static async ValueTask<int> ReadMessageAsync(IHandshakeTransport transport, byte[] buffer)
    {
        if (!await transport.ReadExactlyAsync(buffer.AsMemory(0, 2)).ConfigureAwait(false))
        {
            return -1;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(buffer);
        if (length > MaxMessageSize)
        {
            return TooLarge;
        }

        return await transport.ReadExactlyAsync(buffer.AsMemory(0, length)).ConfigureAwait(false) ? length : -1;
    }

    /// <summary>
    /// A stream as a handshake transport (its failures are exceptions, turned into false here), with an optional
    /// deadline for everything read and written through it. A stream that refuses what it carries (a WebSocket text
    /// message: <see cref="InvalidDataException"/>) fails with <see cref="HandshakeFailure.InvalidMessage"/>.
    /// </summary>
    internal sealed class StreamTransport : IHandshakeTransport, IDisposable
    {
        private readonly Stream _stream;
        private readonly CancellationToken _cancellationToken;
        private readonly CancellationTokenSource? _deadline;
        private readonly CancellationToken _token;

        /// <param name="stream">The connection; not disposed by this.</param>
        /// <param name="timeout">The deadline for the whole handshake, or null for none.</param>
        /// <param name="cancellationToken">Ends reads and writes early.</param>
        public StreamTransport(Stream stream, TimeSpan? timeout, CancellationToken cancellationToken)
        {
            _stream = stream;
            _cancellationToken = cancellationToken;
            if (timeout is { } limit)
            {
                _deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                _deadline.CancelAfter(limit);
            }

            _token = _deadline?.Token ?? cancellationToken;
        }

        public HandshakeFailure Failure { get; private set; } = HandshakeFailure.ConnectionClosed;

        public bool Cancelled => _cancellationToken.IsCancellationRequested;

        public async ValueTask<bool> ReadExactlyAsync(Memory<byte> buffer)
        {
            try
            {
                await _stream.ReadExactlyAsync(buffer, _token).ConfigureAwait(false);
                return true;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or OperationCanceledException or ObjectDisposedException)
            {
                return Lost(e);
            }
        }

        public async ValueTask<bool> WriteAsync(ReadOnlyMemory<byte> bytes)
        {
            try
            {
                await _stream.WriteAsync(bytes, _token).ConfigureAwait(false);
                await _stream.FlushAsync(_token).ConfigureAwait(false);
                return true;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or OperationCanceledException or ObjectDisposedException)
            {
                return Lost(e);
            }
        }

        public void Dispose() => _deadline?.Dispose();

        private bool Lost(Exception e)
        {
            Failure = e is InvalidDataException ? HandshakeFailure.InvalidMessage
                : _token.IsCancellationRequested && !_cancellationToken.IsCancellationRequested ? HandshakeFailure.Timeout
                : HandshakeFailure.ConnectionClosed;
            return false;
        }
    }
}
