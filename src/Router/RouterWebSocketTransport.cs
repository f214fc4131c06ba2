using PeerKit.Links;
using PeerKit.Transports;

namespace PeerKit.Routing;

/// <summary>
/// The router's <c>ws</c> scheme: listens with Kestrel (<see cref="RouterWebSocketListener"/>) at the address's path
/// (<c>/peerkit</c> when it has none) and dials like the SDK's <see cref="WebSocketTransport"/>, whose link options
/// (frame and queue limits from <see cref="PeerNodeOptions.Tcp"/>, the node's handshake timeout) it shares.
/// </summary>
internal sealed class RouterWebSocketTransport : IPeerTransport
{
    private readonly PeerTransportContext _context;
    private readonly WebSocketTransport _dialer;

    public RouterWebSocketTransport(PeerTransportContext context)
    {
        _context = context;
        _dialer = new WebSocketTransport(context, NodeAddress.WebSocket);
    }

    public string Scheme => NodeAddress.WebSocket;

    public async Task<IPeerListener> ListenAsync(NodeAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        System.Net.IPEndPoint endPoint = await address.ResolveAsync(cancellationToken).ConfigureAwait(false);
        string path = address.Path ?? Links.WebSockets.WebSocketLinkOptions.DefaultPath;
        // Every session may be a WebSocket, plus the connections still in their handshake.
        int maxConnections = _context.Options.MaxPeers + _context.MaxPendingHandshakes;
        return await RouterWebSocketListener.StartAsync(address, endPoint, path, _context.Key, _dialer.LinkOptions, maxConnections, cancellationToken).ConfigureAwait(false);
    }

    public Task<IMessageLink> ConnectAsync(NodeAddress address, NodeId? expectedId, CancellationToken cancellationToken = default) =>
        _dialer.ConnectAsync(address, expectedId, cancellationToken);

    public ValueTask DisposeAsync() => default;
}
