using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using PeerKit.Links.Noise;

namespace PeerKit.Links.Tcp;

/// <summary>
/// Accepts TCP connections and hands out authenticated <see cref="TcpLink"/>s. Each connection's handshake runs
/// on its own, under <see cref="PeerKit.Links.Streams.StreamLinkOptions.HandshakeTimeout"/>, so a slow, silent or hostile client cannot
/// hold up the others; failed handshakes are reported through <see cref="HandshakeFailed"/> and the listener
/// keeps serving.
/// </summary>
public sealed class TcpLinkListener : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NodeKey _localKey;
    private readonly TcpLinkOptions _options;
    private readonly Channel<TcpLink> _accepted;
    private readonly StartupGate _gate;
    private readonly HandshakeSlots _handshakeSlots;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Task, byte> _handshakes = new();
    private int _disposed;
    private int _handshaking;
    private long _silent;
    private long _failed;

    private TcpLinkListener(Socket socket, NodeKey localKey, TcpLinkOptions options)
    {
        _socket = socket;
        _localKey = localKey;
        _options = options;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _gate = new StartupGate(options.MaxUnauthenticatedConnections / 2, options.MaxUnauthenticatedConnections, options.MaxUnauthenticatedPerAddress);
        _handshakeSlots = new HandshakeSlots(options.MaxPendingHandshakes);
        _accepted = Channel.CreateBounded<TcpLink>(new BoundedChannelOptions(options.MaxPendingHandshakes) { FullMode = BoundedChannelFullMode.Wait });
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>
    /// Connections closed without a handshake failure being raised, so far: refused at accept by random early drop or
    /// the per-address cap (<see cref="RefusedCount"/>), or silent past <see cref="TcpLinkOptions.FirstMessageTimeout"/>
    /// (<see cref="SilentCount"/>). Closing them throws no exception.
    /// </summary>
    public long RejectedCount => Interlocked.Read(ref _silent) + _gate.RefusedCount;

    /// <summary>Connections closed because they sent nothing within <see cref="TcpLinkOptions.FirstMessageTimeout"/>, so far.</summary>
    public long SilentCount => Interlocked.Read(ref _silent);

    /// <summary>
    /// Handshakes that failed after the client spoke (garbage, forged or oversized messages, closed connections,
    /// timeouts), each also reported by <see cref="HandshakeFailed"/>. Rejecting one throws nothing inside the listener.
    /// </summary>
    public long FailedHandshakeCount => Interlocked.Read(ref _failed);

    /// <summary>Connections refused at accept (random early drop, or their address's cap), so far.</summary>
    public long RefusedCount => _gate.RefusedCount;

    /// <summary>Accepted connections not yet authenticated (silent, or in the handshake) now.</summary>
    public int UnauthenticatedCount => _gate.Count;

    /// <summary>
    /// Raised, on a thread-pool thread, when an incoming connection fails its handshake (garbage, timeout, a
    /// tampered message, a connection closed early). The connection is already closed. Exceptions thrown by
    /// handlers are ignored.
    /// </summary>
    public event EventHandler<HandshakeFailedEventArgs>? HandshakeFailed;

    /// <summary>The address the listener is bound to; the real port when it was started on port 0.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Accepted connections running their handshake now (after their first byte; at most <see cref="PeerKit.Links.Streams.StreamLinkOptions.MaxPendingHandshakes"/>); see <see cref="UnauthenticatedCount"/> for all.</summary>
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

        // Wait for the handshakes in progress (cancelled by _stop); none starts after the accept loop ended.
        await Task.WhenAll(_handshakes.Keys).ConfigureAwait(false);

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
            Socket client;
            try
            {
                client = await _socket.AcceptAsync(stop).ConfigureAwait(false);
            }
            catch (Exception e) when (stop.IsCancellationRequested || e is ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // A connection reset before it was accepted, or a transient resource error: keep serving.
                continue;
            }

            // Every connection is accepted at once; the gate drops newcomers at random as unauthenticated
            // connections pile up (OpenSSH's MaxStartups). Silent ones wait for their first byte without a handshake
            // slot, so a client that speaks is never behind them.
            IPAddress? address = null;
            try
            {
                address = (client.RemoteEndPoint as IPEndPoint)?.Address;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }

            if (!_gate.TryEnter(address))
            {
                client.Dispose(); // refused and counted, nothing thrown
                continue;
            }

            Task handshake = Task.Run(() => HandshakeAsync(client, address, stop));
            _handshakes.TryAdd(handshake, 0);
            _ = handshake.ContinueWith(static (t, state) => ((System.Collections.Concurrent.ConcurrentDictionary<Task, byte>)state!).TryRemove(t, out _), _handshakes, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task HandshakeAsync(Socket client, IPAddress? address, CancellationToken stop)
    {
        EndPoint? remote = null;
        try
        {
            remote = client.RemoteEndPoint;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        bool slot = false;
        bool inGate = true;
        try
        {
            // First, wait for the client's first handshake byte, without throwing and without a handshake slot: a
            // connection still silent after FirstMessageTimeout is closed and counted.
            if (!await FirstMessageArrivedAsync(client, stop).ConfigureAwait(false)
                || !(slot = await _handshakeSlots.WaitAsync(address, _options.HandshakeTimeout, stop).ConfigureAwait(false)))
            {
                if (!stop.IsCancellationRequested)
                {
                    Interlocked.Increment(ref _silent);
                }

                client.Dispose();
                return;
            }

            Interlocked.Increment(ref _handshaking);
            TcpLink? link;
            HandshakeOutcome outcome;
            try
            {
                // Rejection throws nothing (issue 13, finding 9): a failed handshake is a value, counted and reported.
                (link, outcome) = await TcpLink.TryAuthenticateAsync(client, _localKey, isInitiator: false, expectedRemoteId: null, _options, stop).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _handshaking);
                _handshakeSlots.Release(address);
                slot = false;
                _gate.Exit(address);
                inGate = false;
            }

            if (link is null)
            {
                if (!stop.IsCancellationRequested)
                {
                    ReportFailure(remote, outcome.ToException());
                }

                return;
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
            ReportFailure(remote, e);
        }
        catch (Exception)
        {
            // The listener is being disposed.
        }
        finally
        {
            if (slot)
            {
                _handshakeSlots.Release(address);
            }

            if (inGate)
            {
                _gate.Exit(address);
            }
        }
    }

    /// <summary>Counts a failed handshake and raises <see cref="HandshakeFailed"/> (the exception is made, not thrown).</summary>
    private void ReportFailure(EndPoint? remote, Exception failure)
    {
        Interlocked.Increment(ref _failed);
        try
        {
            HandshakeFailed?.Invoke(this, new HandshakeFailedEventArgs(remote, failure));
        }
        catch
        {
            // A handler's failure must not stop the listener.
        }
    }

    private async Task<bool> FirstMessageArrivedAsync(Socket client, CancellationToken stop)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        Task<int> peek = client.ReceiveAsync(new byte[1], SocketFlags.Peek, deadline.Token).AsTask();
        Task timeout = Task.Delay(_options.FirstMessageTimeout, deadline.Token);
        Task first = await Task.WhenAny(peek, timeout).ConfigureAwait(false);
        deadline.Cancel();
        if (first == peek && peek.IsCompletedSuccessfully && peek.Result > 0)
        {
            return true;
        }

        // Observe the cancelled or failed receive so nothing is left unobserved.
        _ = peek.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return false;
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
