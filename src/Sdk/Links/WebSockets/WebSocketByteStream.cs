using System.Net.WebSockets;

namespace PeerKit.Links.WebSockets;

/// <summary>
/// A WebSocket as the byte stream under a <see cref="WebSocketLink"/>: each write is one binary message; reads take
/// the bytes of binary messages in order, whatever their boundaries (an intermediary may split a message into other
/// frames). The WebSocket reads a message into the caller's buffer piece by piece, so a message's size never decides
/// what is allocated: the link's length prefix and receive queue bound the memory.
/// </summary>
/// <remarks>
/// A text message is a protocol violation: reading it throws <see cref="InvalidDataException"/> (the link closes with
/// <see cref="LinkCloseReason.ProtocolError"/>, the handshake fails with <see cref="HandshakeFailure.InvalidMessage"/>).
/// A close message ends the stream (a read returns 0). Failures of the WebSocket are <see cref="IOException"/>s.
/// Disposing aborts the WebSocket and disposes it.
/// </remarks>
internal sealed class WebSocketByteStream : Stream
{
    private readonly WebSocket _webSocket;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    public WebSocketByteStream(WebSocket webSocket) => _webSocket = webSocket;

    /// <summary>Completes when the stream is disposed and the WebSocket aborted: an HTTP server may then end the request under it.</summary>
    public Task Closed => _closed.Task;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        while (true)
        {
            if (_webSocket.State is WebSocketState.CloseReceived or WebSocketState.Closed)
            {
                return 0;
            }

            ValueWebSocketReceiveResult result;
            try
            {
                result = await _webSocket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is WebSocketException or ObjectDisposedException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
            {
                throw new IOException($"The WebSocket failed: {e.Message}", e);
            }

            switch (result.MessageType)
            {
                case WebSocketMessageType.Close:
                    return 0;
                case WebSocketMessageType.Text:
                    throw new InvalidDataException("The remote side sent a WebSocket text message; a PeerKit link carries binary messages only.");
            }

            if (result.Count > 0 || buffer.IsEmpty)
            {
                return result.Count;
            }

            // An empty binary message (or fragment): nothing to return, read on.
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            await _webSocket.SendAsync(buffer, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            throw new IOException($"The WebSocket failed: {e.Message}", e);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Read asynchronously.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Write asynchronously.");

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Sends the close message after what was written, so the remote side reads an end of stream; never throws.</summary>
    public async ValueTask CloseOutputAsync(TimeSpan timeout)
    {
        if (Volatile.Read(ref _disposed) != 0 || _webSocket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        using var deadline = new CancellationTokenSource(timeout > TimeSpan.Zero ? timeout : TimeSpan.FromMilliseconds(1));
        try
        {
            await _webSocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException or InvalidOperationException)
        {
            // Already failed, aborted or closed (or the server's request ended): the connection ends anyway.
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            try
            {
                _webSocket.Abort();
                _webSocket.Dispose();
            }
            catch (Exception e) when (e is ObjectDisposedException or IOException or WebSocketException or InvalidOperationException)
            {
                // A server's WebSocket whose request already ended: nothing left to close.
            }
            finally
            {
                _closed.TrySetResult();
            }
        }

        base.Dispose(disposing);
    }
}
