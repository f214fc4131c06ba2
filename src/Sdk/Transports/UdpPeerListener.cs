using PeerKit.Links;
using PeerKit.Links.Udp;

namespace PeerKit.Transports;

/// <summary>A listening <see cref="UdpEndpoint"/> seen as an <see cref="IPeerListener"/>; the endpoint also serves the node's UDP dials.</summary>
internal sealed class UdpPeerListener(UdpTransport transport, UdpEndpoint endpoint, NodeAddress address) : IPeerListener
{
    public NodeAddress Address { get; } = address;

    public int PendingHandshakeCount => endpoint.GetStatistics().PendingHandshakes;

    // The endpoint counts its failed handshakes in both roles: the node's dials from it are included.
    public long FailedHandshakeCount => endpoint.GetStatistics().HandshakesFailed;

    public async ValueTask<IMessageLink> AcceptAsync(CancellationToken cancellationToken = default) =>
        await endpoint.AcceptAsync(cancellationToken).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        transport.Forget(endpoint);
        await endpoint.DisposeAsync().ConfigureAwait(false);
    }
}
