using System.Net.Sockets;
using System.Net.WebSockets;
using PeerKit.Links;
using PeerKit.Links.WebSockets;

namespace PeerKit.Transports;

/// <summary>
/// The <c>ws</c> and <c>wss</c> schemes, dialing only: <see cref="WebSocketLink"/>s (the TCP link's handshake and frames in
/// binary WebSocket messages) to <c>ws://host:port/path</c>, through <see cref="ClientWebSocket"/>. Listening needs an
/// HTTP server, which this package does not take: the router listens on <c>ws://</c> with Kestrel
/// (<c>--listen ws://0.0.0.0:7331/peerkit</c>), and your own ASP.NET Core app can hand upgrade requests to a
/// <see cref="WebSocketLinkAcceptor"/>. The links' frame and queue limits are those of <see cref="PeerNodeOptions.Tcp"/>;
/// connecting waits <see cref="PeerTransportContext.DialTimeout"/> for the WebSocket, then
/// <see cref="PeerTransportContext.HandshakeTimeout"/> for the link handshake.
/// </summary>
public sealed class WebSocketTransport : IPeerTransport
{
    private readonly PeerTransportContext _context;

    /// <summary>Creates the transport for one node and one scheme.</summary>
    /// <param name="context">The node's context.</param>
    /// <param name="scheme"><see cref="NodeAddress.WebSocket"/> or <see cref="NodeAddress.SecureWebSocket"/>.</param>
    public WebSocketTransport(PeerTransportContext context, string scheme = NodeAddress.WebSocket)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (scheme is not (NodeAddress.WebSocket or NodeAddress.SecureWebSocket))
        {
            throw new ArgumentException($"A WebSocket transport serves {NodeAddress.WebSocket} or {NodeAddress.SecureWebSocket}, not {scheme}.", nameof(scheme));
        }

        _context = context;
        Scheme = scheme;
        Links.Tcp.TcpLinkOptions user = context.Options.Tcp ?? new Links.Tcp.TcpLinkOptions();
        LinkOptions = new WebSocketLinkOptions
        {
            MaxFrameSize = user.MaxFrameSize,
            ReceiveQueueCapacity = user.ReceiveQueueCapacity,
            ReceiveQueueBytes = user.ReceiveQueueBytes,
            CloseTimeout = user.CloseTimeout,
            HandshakeTimeout = context.HandshakeTimeout,
            ConnectTimeout = context.DialTimeout,
            MaxPendingHandshakes = context.MaxPendingHandshakes,
        };
    }

    /// <inheritdoc/>
    public string Scheme { get; }

    /// <summary>The options of the links this transport makes (and that a server for this node should give its acceptor).</summary>
    public WebSocketLinkOptions LinkOptions { get; }

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">Always: listening on WebSocket needs an HTTP server (the router's Kestrel listener, or a <see cref="WebSocketLinkAcceptor"/> in your app).</exception>
    public Task<IPeerListener> ListenAsync(NodeAddress address, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"Listening on {address} needs an HTTP server: run the router (its ws:// listener uses Kestrel) or hand upgrade requests of your ASP.NET Core app to a WebSocketLinkAcceptor.");

    /// <inheritdoc/>
    public async Task<IMessageLink> ConnectAsync(NodeAddress address, NodeId? expectedId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        try
        {
            return await WebSocketLink.ConnectAsync(address.ToWebSocketUri(), _context.Key, expectedId, LinkOptions, cancellationToken).ConfigureAwait(false);
        }
        catch (WebSocketException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PeerUnreachableException(address, $"no WebSocket there ({(e.InnerException as SocketException)?.SocketErrorCode.ToString() ?? e.Message}).", e);
        }
        catch (TimeoutException e)
        {
            throw new PeerUnreachableException(address, $"no answer within the dial timeout ({_context.DialTimeout}).", e);
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => default;
}
