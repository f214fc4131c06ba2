using PeerKit.Links;

namespace PeerKit.Transports;

/// <summary>
/// One way to reach peers, named by an address scheme (<c>tcp</c>, <c>udp</c>, <c>inproc</c>, or your own): it
/// listens for authenticated inbound links and dials an address expecting a node id. A <see cref="PeerNode"/> makes
/// one instance per scheme from <see cref="PeerNodeOptions.Transports"/> and never sees what is underneath (sockets,
/// a relay, a radio): everything above the transport works on <see cref="IMessageLink"/>s.
/// </summary>
/// <remarks>
/// <para>Links a transport returns are authenticated: <see cref="IMessageLink.RemoteId"/> is the remote node's id
/// (proven by a handshake on secure links) and <see cref="IMessageLink.LocalId"/> is
/// <see cref="PeerTransportContext.LocalId"/>. The node runs the session handshake over them.</para>
/// <para>Failures of <see cref="ConnectAsync"/> say what went wrong with one exception each, which the node turns
/// into one <see cref="DisconnectReason"/>: <see cref="PeerUnreachableException"/> (nobody answered: a closed port,
/// no route, no reply within <see cref="PeerTransportContext.DialTimeout"/>) → <see cref="DisconnectReason.NetworkError"/>;
/// <see cref="IdentityMismatchException"/> → <see cref="DisconnectReason.UnexpectedIdentity"/>;
/// <see cref="HandshakeException"/> with <see cref="HandshakeFailure.Timeout"/> → <see cref="DisconnectReason.ReadTimeout"/>;
/// any other <see cref="HandshakeException"/> → <see cref="DisconnectReason.BreachOfProtocol"/>; anything else →
/// <see cref="DisconnectReason.NetworkError"/>.</para>
/// </remarks>
public interface IPeerTransport : IAsyncDisposable
{
    /// <summary>The address scheme this transport serves, in lower case (<c>tcp</c>).</summary>
    string Scheme { get; }

    /// <summary>Starts accepting links at <paramref name="address"/> (a port of 0 lets the transport choose).</summary>
    /// <exception cref="System.Net.Sockets.SocketException">The address cannot be bound (socket transports).</exception>
    Task<IPeerListener> ListenAsync(NodeAddress address, CancellationToken cancellationToken = default);

    /// <summary>Dials <paramref name="address"/> and authenticates the node there.</summary>
    /// <param name="address">Where to dial; its scheme is <see cref="Scheme"/>.</param>
    /// <param name="expectedId">The node expected there (the address's id, when it has one), or <c>null</c> to accept any.</param>
    /// <param name="cancellationToken">Cancels the dial; the node cancels it when it stops.</param>
    /// <exception cref="PeerUnreachableException">Nobody answered at the address.</exception>
    /// <exception cref="IdentityMismatchException">The node there is not <paramref name="expectedId"/>.</exception>
    /// <exception cref="HandshakeException">The link handshake failed or timed out.</exception>
    Task<IMessageLink> ConnectAsync(NodeAddress address, NodeId? expectedId, CancellationToken cancellationToken = default);
}
