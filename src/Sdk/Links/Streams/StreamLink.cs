using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using PeerKit.Links.Noise;

namespace PeerKit.Links.Streams;

/// <summary>
/// A link over a reliable byte stream, authenticated and encrypted with a Noise XX handshake on P-256: the framing
/// and the limits of <see cref="Tcp.TcpLink"/> (a TCP connection) and <see cref="WebSockets.WebSocketLink"/> (binary
/// WebSocket messages), written once (see <c>docs/links.md</c>).
/// </summary>
/// <remarks>
/// <para><b>Framing.</b> After the handshake, each frame travels as a 4-byte big-endian length, then the frame
/// encrypted with the transport cipher (ChaCha20-Poly1305 or AES-256-GCM), tag included: the length counts the
/// ciphertext, which is the frame plus 16 bytes. Frames are not split: a frame of up to
/// <see cref="LinkOptions.MaxFrameSize"/> bytes travels as one ciphertext of up to that plus 16 bytes, in one write.</para>
/// <para><b>Delivery.</b> The stream is reliable, so every <see cref="Reliability"/>, including
/// <see cref="Reliability.Unreliable"/> and <see cref="Reliability.UnreliableSequenced"/>, is delivered
/// reliably and in order.</para>
/// <para><b>Limits.</b> A send larger than the smaller of the two sides' maximum frame sizes (exchanged in the
/// handshake) throws <see cref="FrameTooLargeException"/> and the link stays open. A length prefix from the remote
/// side beyond the local maximum closes the link with <see cref="LinkCloseReason.FrameTooLarge"/> before any
/// buffer is allocated for it. A frame's buffer grows as its bytes arrive (from 64 KiB, doubling), so a length prefix
/// alone never allocates what it claims. Received frames wait for the application up to
/// <see cref="LinkOptions.ReceiveQueueCapacity"/> frames and <see cref="StreamLinkOptions.ReceiveQueueBytes"/> bytes
/// (one frame may pass the byte limit); beyond that the link stops reading its connection. A frame that fails
/// authentication (tampered, replayed, reordered), and bytes the stream itself refuses (a WebSocket text message),
/// close it with <see cref="LinkCloseReason.ProtocolError"/>.</para>
/// </remarks>
public abstract class StreamLink : IMessageLink, IAccountedLink
{
    private const int HeaderSize = 4;
    private const int TagSize = NoiseCipherState.TagSize;

    // The read loop reads the stream through a buffer of this size, so the 4-byte header and the body of a frame,
    // and of every other frame already received, come from one read instead of two reads per frame.
    private const int ReceiveBufferSize = 16 * 1024;

    // A frame's buffer starts at this size (or the frame's, if smaller) and doubles as its bytes arrive, so a length
    // prefix alone costs at most this much, whatever it claims (issue 13, finding 2).
    internal const int InitialFrameBuffer = 64 * 1024;

    private readonly Stream _stream;
    private readonly NoiseCipherState _send;
    private readonly NoiseCipherState _receive;
    private readonly LinkInbox _inbox;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly int _maxReceiveFrameSize;
    private readonly int _receiveQueueCapacity;
    private readonly long _receiveQueueBytes;
    private readonly SemaphoreSlim _room = new(0, int.MaxValue);
    private int _awaitingRoom;
    private readonly TimeSpan _closeTimeout;
    private readonly Task _readLoop;
    private int _disposed;

    /// <summary>Starts the link over <paramref name="stream"/>, whose handshake gave <paramref name="handshake"/>; the link owns both.</summary>
    private protected StreamLink(Stream stream, HandshakeResult handshake, NodeId localId, StreamLinkOptions options, EndPoint? remoteAddress, EndPoint? localAddress)
    {
        _stream = stream;
        _send = handshake.Send;
        _receive = handshake.Receive;
        // Unbounded channel, bounded here: the read loop stops reading while the queue is full in frames or in bytes.
        _inbox = new LinkInbox(0, OnConsumed);
        _receiveQueueCapacity = options.ReceiveQueueCapacity;
        _receiveQueueBytes = options.ReceiveQueueBytes;
        _maxReceiveFrameSize = options.MaxFrameSize;
        _closeTimeout = options.CloseTimeout;
        LocalId = localId;
        RemoteId = handshake.RemoteId;
        RemoteStaticKey = handshake.RemoteStaticKey;
        HandshakeHash = handshake.HandshakeHash;
        RemoteAddress = remoteAddress;
        LocalAddress = localAddress;
        int maxSend = Math.Min(options.MaxFrameSize, handshake.RemoteMaxFrameSize);
        Capabilities = new LinkCapabilities
        {
            IsReliableStream = true,
            IsSecure = true,
            MaxFrameSize = maxSend,
            MaxUnreliableFrameSize = maxSend,
        };
        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <inheritdoc/>
    public NodeId LocalId { get; }

    /// <inheritdoc/>
    /// <remarks>Proven by the handshake: the remote side holds the private key of <see cref="RemoteStaticKey"/>.</remarks>
    public NodeId RemoteId { get; }

    /// <summary>The remote node's static public key (65-byte uncompressed P-256 point), whose SHA-256 is <see cref="RemoteId"/>.</summary>
    public ReadOnlyMemory<byte> RemoteStaticKey { get; }

    /// <summary>The Noise handshake hash: 32 bytes both sides share and that identify this session (channel binding).</summary>
    public ReadOnlyMemory<byte> HandshakeHash { get; }

    /// <inheritdoc/>
    public EndPoint? RemoteAddress { get; }

    /// <summary>The local address of the connection, when known.</summary>
    public EndPoint? LocalAddress { get; }

    /// <inheritdoc/>
    /// <remarks><see cref="LinkCapabilities.MaxFrameSize"/> is the smaller of the local and the remote maximum frame size.</remarks>
    public LinkCapabilities Capabilities { get; }

    /// <inheritdoc/>
    public Task<LinkCloseReason> Completion => _inbox.Completion;

    /// <inheritdoc/>
    void IAccountedLink.ChargeTo(Memory.MemoryAccount account)
    {
        _inbox.Account = account;
        _room.Release(); // a read loop waiting for room looks again, now at the budget too
    }

    /// <summary>The bytes of received frames waiting for the application, each counted as its length plus 64 (tests).</summary>
    internal long QueuedBytes => _inbox.CountedCostWaiting;

    /// <inheritdoc/>
    public ValueTask SendAsync(ReadOnlyMemory<byte> frame, Reliability reliability = Reliability.ReliableOrdered, CancellationToken cancellationToken = default)
    {
        if (frame.Length > Capabilities.MaxFrameSize)
        {
            return ValueTask.FromException(new FrameTooLargeException(frame.Length, Capabilities.MaxFrameSize));
        }

        if (_inbox.IsClosed)
        {
            return ValueTask.FromException(_inbox.CreateClosedException());
        }

        return SendCoreAsync(frame, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendCoreAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        byte[]? buffer = null;
        try
        {
            _inbox.ThrowIfClosed();
            cancellationToken.ThrowIfCancellationRequested();
            int cipherLength = frame.Length + TagSize;
            buffer = FrameBuffer.Rent(HeaderSize + cipherLength);
            BinaryPrimitives.WriteInt32BigEndian(buffer, cipherLength);
            _send.Encrypt(ReadOnlySpan<byte>.Empty, frame.Span, buffer.AsSpan(HeaderSize, cipherLength));
            try
            {
                await _stream.WriteAsync(buffer.AsMemory(0, HeaderSize + cipherLength), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Part of the frame may be on the wire: the stream cannot carry another frame.
                Fail(LinkCloseReason.Aborted, null);
                throw;
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                Fail(LinkCloseReason.NetworkError, e);
                throw _inbox.CreateClosedException();
            }
        }
        finally
        {
            if (buffer is not null)
            {
                FrameBuffer.Return(buffer);
            }

            _sendLock.Release();
        }
    }

    /// <inheritdoc/>
    public ValueTask<LinkFrame> ReceiveAsync(CancellationToken cancellationToken = default) => _inbox.ReceiveAsync(cancellationToken);

    /// <inheritdoc/>
    public bool TryReceive(out LinkFrame frame) => _inbox.TryReceive(out frame);

    /// <summary>
    /// Closes the link: frames not yet received are discarded, this side's close (a TCP FIN, a WebSocket close frame)
    /// follows the frames already sent, and the connection is closed once the remote side closes too or after
    /// <see cref="StreamLinkOptions.CloseTimeout"/>.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _inbox.Close(LinkCloseReason.Requested, null, discardPending: true);
        OnConsumed(); // a read loop waiting for room goes on to discard frames until the remote side's close
        await CloseOutputAsync(_closeTimeout).ConfigureAwait(false);

        if (!_readLoop.IsCompleted && _closeTimeout > TimeSpan.Zero)
        {
            // The read loop discards frames until the remote side's close; it never throws.
            await Task.WhenAny(_readLoop, Task.Delay(_closeTimeout)).ConfigureAwait(false);
        }

        _stop.Cancel();
        _stream.Dispose();
        await _readLoop.ConfigureAwait(false);

        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _send.Dispose();
            _receive.Dispose();
        }
        finally
        {
            _sendLock.Release();
        }

        _inbox.Close(LinkCloseReason.Requested, null, discardPending: true);
    }

    /// <summary>
    /// Ends this side's direction of the connection after the frames already written (a TCP FIN, a WebSocket close
    /// frame), so the remote side reads an end of stream; called once, by <see cref="DisposeAsync"/>, maybe after the
    /// connection failed. Takes at most <paramref name="timeout"/> and never throws.
    /// </summary>
    private protected abstract ValueTask CloseOutputAsync(TimeSpan timeout);

    private async Task ReadLoopAsync()
    {
        CancellationToken stop = _stop.Token;
        byte[] header = new byte[HeaderSize];
        // Only the read loop reads through it; sends write to _stream directly. Disposing _stream ends its reads.
        var input = new BufferedStream(_stream, ReceiveBufferSize);
        try
        {
            while (true)
            {
                int read = await input.ReadAtLeastAsync(header, HeaderSize, throwOnEndOfStream: false, stop).ConfigureAwait(false);
                if (read == 0)
                {
                    Fail(LinkCloseReason.RemoteClosed, null);
                    return;
                }

                if (read < HeaderSize)
                {
                    Fail(LinkCloseReason.NetworkError, new EndOfStreamException("The connection closed inside a frame header."));
                    return;
                }

                uint cipherLength = BinaryPrimitives.ReadUInt32BigEndian(header);
                if (cipherLength < TagSize)
                {
                    Fail(LinkCloseReason.ProtocolError, new InvalidDataException($"A frame of {cipherLength} bytes is shorter than its authentication tag."));
                    return;
                }

                if (cipherLength - TagSize > (uint)_maxReceiveFrameSize)
                {
                    Fail(LinkCloseReason.FrameTooLarge, new FrameTooLargeException(cipherLength - TagSize, _maxReceiveFrameSize));
                    return;
                }

                int length = (int)cipherLength;
                byte[]? buffer = null;
                bool owned = true;
                try
                {
                    buffer = await ReadBodyAsync(input, length, stop).ConfigureAwait(false);
                    if (buffer is null)
                    {
                        Fail(LinkCloseReason.NetworkError, new EndOfStreamException("The connection closed inside a frame."));
                        return;
                    }

                    if (!_receive.TryDecrypt(ReadOnlySpan<byte>.Empty, buffer.AsSpan(0, length), buffer.AsSpan(0, length - TagSize)))
                    {
                        Fail(LinkCloseReason.ProtocolError, new InvalidDataException($"Frame {_receive.Nonce} failed authentication: it was altered, replayed or reordered."));
                        return;
                    }

                    owned = false;
                    // Counted in bytes: the application taking it wakes this loop if it waits for room. After a local close the frame is discarded.
                    _inbox.TryEnqueue(new LinkFrame(buffer, length - TagSize), counted: true);

                    // Back-pressure: while the queue is full (in frames or in bytes), the connection is not read.
                    await WaitForRoomAsync(stop).ConfigureAwait(false);
                }
                finally
                {
                    if (owned && buffer is not null)
                    {
                        FrameBuffer.Return(buffer);
                    }
                }
            }
        }
        catch (EndOfStreamException e)
        {
            Fail(LinkCloseReason.NetworkError, e);
        }
        catch (Exception) when (stop.IsCancellationRequested || _inbox.IsClosed)
        {
            // Closed locally (or already failed): nothing to report.
        }
        catch (InvalidDataException e)
        {
            // The stream refused what it carried (a WebSocket text message): the peer broke the protocol.
            Fail(LinkCloseReason.ProtocolError, e);
        }
        catch (Exception e)
        {
            Fail(LinkCloseReason.NetworkError, e);
        }
    }

    /// <summary>
    /// Reads a frame body of <paramref name="length"/> bytes into a buffer that grows as the bytes arrive (from
    /// <see cref="InitialFrameBuffer"/>, doubling), never to the claimed length before the bytes are there.
    /// </summary>
    /// <returns>The buffer (from <see cref="FrameBuffer"/>), or <c>null</c> when the stream ended first.</returns>
    internal static async ValueTask<byte[]?> ReadBodyAsync(Stream input, int length, CancellationToken cancellationToken)
    {
        byte[] buffer = FrameBuffer.Rent(Math.Min(length, InitialFrameBuffer));
        int filled = 0;
        try
        {
            while (filled < length)
            {
                if (filled == buffer.Length)
                {
                    byte[] bigger = FrameBuffer.Rent((int)Math.Min(length, 2L * buffer.Length));
                    buffer.AsSpan(0, filled).CopyTo(bigger);
                    FrameBuffer.Return(buffer);
                    buffer = bigger;
                }

                int read = await input.ReadAsync(buffer.AsMemory(filled, Math.Min(buffer.Length, length) - filled), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    FrameBuffer.Return(buffer);
                    return null;
                }

                filled += read;
            }

            return buffer;
        }
        catch
        {
            FrameBuffer.Return(buffer);
            throw;
        }
    }

    private bool HasRoom() =>
        _inbox.Count < _receiveQueueCapacity && _inbox.CountedCostWaiting < _receiveQueueBytes;

    private async ValueTask WaitForRoomAsync(CancellationToken stop)
    {
        while (_inbox.Account is { HasRoom: false } account && !_inbox.IsClosed)
        {
            // The node's memory budget is spent (by this peer or others): stop reading until it has room again.
            account.OnExhausted();
            await account.Budget.WhenRoomAsync().WaitAsync(stop).ConfigureAwait(false);
        }

        while (!HasRoom() && !_inbox.IsClosed)
        {
            Volatile.Write(ref _awaitingRoom, 1);
            if (HasRoom() || _inbox.IsClosed)
            {
                Volatile.Write(ref _awaitingRoom, 0);
                return;
            }

            await _room.WaitAsync(stop).ConfigureAwait(false);
        }
    }

    private void OnConsumed()
    {
        if (Interlocked.Exchange(ref _awaitingRoom, 0) == 1)
        {
            _room.Release();
        }
    }

    /// <summary>Closes the link for a transport reason and tears the connection down; frames already received stay receivable.</summary>
    private void Fail(LinkCloseReason reason, Exception? cause)
    {
        if (_inbox.Close(reason, cause, discardPending: false) || reason == LinkCloseReason.Aborted)
        {
            try
            {
                _stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }

            _stream.Dispose();
        }
    }
}
