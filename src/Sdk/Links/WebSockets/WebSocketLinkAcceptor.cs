using System.Net;
using System.Net.WebSockets;
using System.Threading.Channels;
using PeerKit.Links.Noise;
using PeerKit.Links.Streams;
using PeerKit.Links.Tcp;

namespace PeerKit.Links.WebSockets;

/// <summary>
/// The server half of <see cref="WebSocketLink"/> without an HTTP server of its own: an HTTP server (the router's
/// Kestrel listener, or yours) hands each upgrade request to <see cref="ServeAsync"/>, which accepts the WebSocket,
/// runs the handshake under <see cref="StreamLinkOptions.HandshakeTimeout"/> and queues the authenticated link for
/// <see cref="AcceptAsync"/>. At most <see cref="StreamLinkOptions.MaxPendingHandshakes"/> handshakes run at once, one
/// address holding at most half of them; a request beyond that is refused before its upgrade (answer it with HTTP
/// 503). Failed handshakes are counted and reported through <see cref="HandshakeFailed"/>; the acceptor keeps serving.
/// </summary>
public sealed class WebSocketLinkAcceptor : IAsyncDisposable
{
    private readonly NodeKey _localKey;
    private readonly WebSocketLinkOptions _options;
    private readonly HandshakeSlots _slots;
    private readonly Channel<WebSocketLink> _accepted;
    private readonly CancellationTokenSource _stop = new();
    private int _handshaking;
    private long _failed;
    private long _refused;
    private int _disposed;

    /// <summary>Creates an acceptor for <paramref name="localKey"/>'s node.</summary>
    /// <param name="localKey">This node's key; the acceptor and its links do not dispose it.</param>
    /// <param name="options">Limits and timeouts for every accepted link; <c>null</c> for the defaults.</param>
    public WebSocketLinkAcceptor(NodeKey localKey, WebSocketLinkOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(localKey);
        _localKey = localKey;
        _options = options ?? new WebSocketLinkOptions();
        _slots = new HandshakeSlots(_options.MaxPendingHandshakes);
        _accepted = Channel.CreateBounded<WebSocketLink>(new BoundedChannelOptions(_options.MaxPendingHandshakes) { FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>This node's identity, which accepted links prove to their clients.</summary>
    public NodeId LocalId => _localKey.Id;

    /// <summary>The options every accepted link gets.</summary>
    public WebSocketLinkOptions Options => _options;

    /// <summary>Handshakes running now.</summary>
    public int PendingHandshakeCount => Volatile.Read(ref _handshaking);

    /// <summary>Handshakes that failed (garbage, text messages, oversized or forged messages, closed connections, timeouts), each also reported by <see cref="HandshakeFailed"/>.</summary>
    public long FailedHandshakeCount => Interlocked.Read(ref _failed);

    /// <summary>Requests refused before their upgrade because every handshake slot open to their address was taken.</summary>
    public long RefusedCount => Interlocked.Read(ref _refused);

    /// <summary>
    /// Raised, on the thread serving the request, when an upgraded connection fails its handshake. The WebSocket is
    /// already aborted. Exceptions thrown by handlers are ignored.
    /// </summary>
    public event EventHandler<HandshakeFailedEventArgs>? HandshakeFailed;

    /// <summary>
    /// Serves one upgrade request: takes a handshake slot, accepts the WebSocket with <paramref name="upgrade"/>, runs
    /// the handshake and queues the link; then waits until the link has let go of the WebSocket (an HTTP server ends
    /// the request, and what the WebSocket runs on, when its handler returns); when the acceptor is disposed or
    /// <paramref name="cancellationToken"/> is cancelled first, it closes the link itself. Never throws for what the
    /// client does.
    /// </summary>
    /// <param name="remoteEndPoint">The client's address (for the per-address share of handshake slots, and the link's <see cref="IMessageLink.RemoteAddress"/>).</param>
    /// <param name="upgrade">Accepts the WebSocket (for ASP.NET Core, <c>HttpContext.WebSockets.AcceptWebSocketAsync</c>).</param>
    /// <param name="cancellationToken">The request's end (for ASP.NET Core, <c>HttpContext.RequestAborted</c>).</param>
    /// <returns>False when the request was refused before <paramref name="upgrade"/> ran (no slot, or the acceptor is disposed): answer it with HTTP 503.</returns>
    public async Task<bool> ServeAsync(EndPoint? remoteEndPoint, Func<Task<WebSocket>> upgrade, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(upgrade);
        IPAddress? address = (remoteEndPoint as IPEndPoint)?.Address;
        if (Volatile.Read(ref _disposed) != 0 || !_slots.TryTake(address))
        {
            Interlocked.Increment(ref _refused);
            return false;
        }

        WebSocketLink? link;
        HandshakeOutcome outcome;
        CancellationToken stop = _stop.Token;
        using var serving = CancellationTokenSource.CreateLinkedTokenSource(stop, cancellationToken);
        Interlocked.Increment(ref _handshaking);
        try
        {
            WebSocket webSocket;
            try
            {
                webSocket = await upgrade().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                ReportFailure(remoteEndPoint, new HandshakeException(HandshakeFailure.ConnectionClosed, $"The WebSocket upgrade failed: {e.Message}"));
                return true;
            }

            (link, outcome) = await WebSocketLink.TryAuthenticateAsync(webSocket, _localKey, isInitiator: false, expectedRemoteId: null, _options, remoteEndPoint, serving.Token).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _handshaking);
            _slots.Release(address);
        }

        if (link is null)
        {
            if (!stop.IsCancellationRequested)
            {
                ReportFailure(remoteEndPoint, outcome.ToException());
            }

            return true;
        }

        bool queued = false;
        try
        {
            queued = await _accepted.Writer.WaitToWriteAsync(serving.Token).ConfigureAwait(false) && _accepted.Writer.TryWrite(link);
        }
        catch (OperationCanceledException)
        {
        }

        if (!queued)
        {
            await link.DisposeAsync().ConfigureAwait(false);
            return true;
        }

        // The link owns the WebSocket, and the HTTP server ends the request (disposing what the WebSocket runs on) when
        // this returns: wait until the link lets go of it. When the acceptor stops or the request is aborted first,
        // close the link here (its owner closing it too is harmless) so the WebSocket is not used after the request.
        await link.WebSocketReleased.WaitAsync(serving.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!link.WebSocketReleased.IsCompleted)
        {
            await link.DisposeAsync().ConfigureAwait(false);
            await link.WebSocketReleased.ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Waits for the next authenticated link; the caller owns it.</summary>
    /// <exception cref="ObjectDisposedException">The acceptor was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<WebSocketLink> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (await _accepted.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_accepted.Reader.TryRead(out WebSocketLink? link))
            {
                return link;
            }
        }

        throw new ObjectDisposedException(nameof(WebSocketLinkAcceptor));
    }

    /// <summary>Refuses new requests, abandons handshakes in progress and closes links not yet accepted.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _accepted.Writer.TryComplete();
        while (_accepted.Reader.TryRead(out WebSocketLink? link))
        {
            await link.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void ReportFailure(EndPoint? remote, Exception failure)
    {
        Interlocked.Increment(ref _failed);
        try
        {
            HandshakeFailed?.Invoke(this, new HandshakeFailedEventArgs(remote, failure));
        }
        catch
        {
            // A handler's failure must not stop the acceptor.
        }
    }
}
