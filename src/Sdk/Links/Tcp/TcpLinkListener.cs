using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace PeerKit.Links.Tcp;

/// <summary>
/// Accepts TCP connections and hands out authenticated <see cref="TcpLink"/>s. Each connection's handshake runs
/// on its own, under <see cref="TcpLinkOptions.HandshakeTimeout"/>, so a slow, silent or hostile client cannot
/// hold up the others; failed handshakes are reported through <see cref="HandshakeFailed"/> and the listener
/// keeps serving.
/// </summary>
public sealed class TcpLinkListener : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NodeKey _localKey;
    private readonly TcpLinkOptions _options;
    private readonly Channel<TcpLink> _accepted;
    private readonly SemaphoreSlim _pending;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private int _disposed;
    private int _handshaking;

    private TcpLinkListener(Socket socket, NodeKey localKey, TcpLinkOptions options)
    {
        _socket = socket;
        _localKey = localKey;
        _options = options;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _pending = new SemaphoreSlim(options.MaxPendingHandshakes, options.MaxPendingHandshakes);
        _accepted = Channel.CreateBounded<TcpLink>(new BoundedChannelOptions(options.MaxPendingHandshakes) { FullMode = BoundedChannelFullMode.Wait });
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>
    /// Raised, on a thread-pool thread, when an incoming connection fails its handshake (garbage, timeout, a
    /// tampered message, a connection closed early). The connection is already closed. Exceptions thrown by
    /// handlers are ignored.
    /// </summary>
    public event EventHandler<HandshakeFailedEventArgs>? HandshakeFailed;

    /// <summary>The address the listener is bound to; the real port when it was started on port 0.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Accepted connections whose handshake is in progress now.</summary>
    public int PendingHandshakeCount => Volatile.Read(ref _handshaking);

    /// <summary>This node's identity, which accepted links prove to their clients.</summary>
    public NodeId LocalId => _localKey.Id;

    /// <summary>Binds to <paramref name="localEndPoint"/> (port 0: the system picks a free port) and starts accepting.</summary>
    /// <param name="localEndPoint">The address and port to listen on.</param>
    /// <param name="localKey">This node's key; the listener and its links do not dispose it.</param>
    /// <param name="options">Limits and timeouts for every accepted link; <c>null</c> for the defaults.</param>
    /// <param name="backlog">The operating system's queue of connections not yet accepted.</param>
    /// <exception cref="SocketException">The address cannot be bound (for example, in use).</exception>
    public static TcpLinkListener Start(IPEndPoint localEndPoint, NodeKey localKey, TcpLinkOptions? options = null, int backlog = 128)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        ArgumentNullException.ThrowIfNull(localKey);
        var socket = new Socket(localEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(localEndPoint);
            socket.Listen(backlog);
            return new TcpLinkListener(socket, localKey, options ?? new TcpLinkOptions());
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Waits for the next authenticated link.</summary>
    /// <exception cref="ObjectDisposedException">The listener was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<TcpLink> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (await _accepted.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_accepted.Reader.TryRead(out TcpLink? link))
            {
                return link;
            }
        }

        throw new ObjectDisposedException(nameof(TcpLinkListener));
    }

    /// <summary>Stops listening, abandons handshakes in progress and closes links not yet accepted.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        _socket.Dispose();
        await _acceptLoop.ConfigureAwait(false);

        // Wait for the handshakes in progress: each holds a slot until it ends (cancelled by _stop).
        for (int i = 0; i < _options.MaxPendingHandshakes; i++)
        {
            await _pending.WaitAsync().ConfigureAwait(false);
        }

        _accepted.Writer.TryComplete();
        while (_accepted.Reader.TryRead(out TcpLink? link))
        {
            await link.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task AcceptLoopAsync()
    {
        CancellationToken stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _pending.WaitAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            Socket client;
            try
            {
                client = await _socket.AcceptAsync(stop).ConfigureAwait(false);
            }
            catch (Exception e) when (stop.IsCancellationRequested || e is ObjectDisposedException)
            {
                _pending.Release();
                return;
            }
            catch (SocketException)
            {
                // A connection reset before it was accepted, or a transient resource error: keep serving.
                _pending.Release();
                continue;
            }

            Interlocked.Increment(ref _handshaking);
            _ = Task.Run(() => HandshakeAsync(client, stop));
        }
    }

    private async Task HandshakeAsync(Socket client, CancellationToken stop)
    {
        EndPoint? remote = null;
        try
        {
            remote = client.RemoteEndPoint;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        try
        {
            TcpLink link;
            try
            {
                link = await TcpLink.AuthenticateAsync(client, _localKey, isInitiator: false, expectedRemoteId: null, _options, stop).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _handshaking);
            }

            bool queued = false;
            try
            {
                queued = await _accepted.Writer.WaitToWriteAsync(stop).ConfigureAwait(false) && _accepted.Writer.TryWrite(link);
            }
            catch (OperationCanceledException)
            {
            }

            if (!queued)
            {
                await link.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (!stop.IsCancellationRequested)
        {
            try
            {
                HandshakeFailed?.Invoke(this, new HandshakeFailedEventArgs(remote, e));
            }
            catch
            {
                // A handler's failure must not stop the listener.
            }
        }
        catch (Exception)
        {
            // The listener is being disposed.
        }
        finally
        {
            _pending.Release();
        }
    }
}

/// <summary>An incoming connection failed its handshake.</summary>
public sealed class HandshakeFailedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    /// <param name="remoteEndPoint">The client's address, if known.</param>
    /// <param name="exception">What went wrong: usually a <see cref="HandshakeException"/>.</param>
    public HandshakeFailedEventArgs(EndPoint? remoteEndPoint, Exception exception)
    {
        RemoteEndPoint = remoteEndPoint;
        Exception = exception;
    }

    /// <summary>The client's address, if known.</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>What went wrong: usually a <see cref="HandshakeException"/>.</summary>
    public Exception Exception { get; }
}
