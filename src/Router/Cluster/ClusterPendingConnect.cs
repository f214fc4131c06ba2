namespace PeerKit.Routing;

/// <summary>A connect request of a local caller for a node of another router, waiting for that router's answer.</summary>
/// <param name="Id">This router's id for it (sent in <see cref="ClusterProtocol.ConnectRequest"/>).</param>
/// <param name="CallerSession">The caller's session.</param>
/// <param name="CallerRequestId">The caller's request id.</param>
/// <param name="Target">The node asked.</param>
/// <param name="Mode">The caller's routing mode.</param>
/// <param name="Router">The router that holds the target.</param>
/// <param name="Deadline">When the caller hears <see cref="RouterStatus.Unavailable"/> if no answer came.</param>
/// <param name="Half">The caller's half of the relay pair, or null.</param>
internal sealed record ClusterPendingConnect(uint Id, RouterSession CallerSession, uint CallerRequestId, NodeId Target, RoutingMode Mode,
    string Router, DateTimeOffset Deadline, ClusterRelayHalf? Half);
