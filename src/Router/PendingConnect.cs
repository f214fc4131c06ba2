namespace PeerKit.Routing;

/// <summary>A connect request the router forwarded to its target and waits to hear answered.</summary>
/// <param name="Id">The router's id for the request (sent to the target in <see cref="RouterProtocol.Incoming"/>).</param>
/// <param name="Caller">The node that asked.</param>
/// <param name="CallerRequestId">The caller's request id, echoed in the caller's answer.</param>
/// <param name="Target">The node asked.</param>
/// <param name="Mode">The caller's routing mode (no relay binding for <see cref="RoutingMode.P2POnly"/>).</param>
/// <param name="Deadline">When the caller hears <see cref="RouterStatus.Unavailable"/> if the target has not answered.</param>
/// <param name="CallerSession">The caller's session that asked (a reconnect makes a new one, which this request is not part of).</param>
/// <param name="TargetSession">The target's session that was asked.</param>
internal sealed record PendingConnect(uint Id, NodeId Caller, uint CallerRequestId, NodeId Target, RoutingMode Mode, DateTimeOffset Deadline,
    RouterSession CallerSession, RouterSession TargetSession);
