namespace PeerKit.Routing;

/// <summary>A connect request from a caller on another router, forwarded to a local target and waiting for its answer.</summary>
/// <param name="Id">This router's id for it (sent to the target in <see cref="RouterProtocol.Incoming"/>).</param>
/// <param name="Request">What the caller's router sent.</param>
/// <param name="TargetSession">The target's session that was asked.</param>
/// <param name="Deadline">When it is forgotten (the caller's router times it out on its side).</param>
internal sealed record ClusterIncomingConnect(uint Id, ClusterProtocol.ConnectRequest Request, RouterSession TargetSession, DateTimeOffset Deadline);
