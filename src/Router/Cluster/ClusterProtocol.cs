namespace PeerKit.Routing;

/// <summary>
/// What routers of a cluster tell each other on their signaling channels in Redis: a connect request for a client of
/// another router, its answer, and a room membership change for clients of another router. The sender of every message is
/// the router that publishes it (its id is in the message); client ids in it were stamped from authenticated sessions.
/// On the wire, each message is one byte (its code) and its PeerKit encoding.
/// </summary>
[Protocol("peerkit-router-cluster", Version = 1)]
internal sealed partial class ClusterProtocol
{
    /// <summary>A caller on router <paramref name="FromRouter"/> asks to connect to a client of the router this is published to.</summary>
    /// <param name="FromRouter">The caller's router (where the answer goes).</param>
    /// <param name="RequestId">The caller's router's id for the request (echoed in <see cref="ConnectAnswer"/>).</param>
    /// <param name="Caller">The caller's node id.</param>
    /// <param name="Target">The target's node id.</param>
    /// <param name="Room">The room the request is made for, or empty.</param>
    /// <param name="Mode">The caller's routing mode.</param>
    /// <param name="Addresses">The caller's candidates.</param>
    /// <param name="RelayChannel">The caller's router's cluster-side relay channel for the pair (packets for the caller are published to it), or 0 for none.</param>
    [Message(Code = 0)]
    public sealed partial record ConnectRequest(string FromRouter, uint RequestId, byte[] Caller, byte[] Target, string Room, RoutingMode Mode,
        [MaxLength(RouterProtocol.MaxLocalAddresses + 1)] string[] Addresses, uint RelayChannel);

    /// <summary>The target's router answers a <see cref="ConnectRequest"/>.</summary>
    /// <param name="FromRouter">The target's router.</param>
    /// <param name="RequestId">The caller's router's request id.</param>
    /// <param name="Status"><see cref="RouterStatus.Ok"/> (accepted), or what the caller hears.</param>
    /// <param name="Detail">A human-readable explanation.</param>
    /// <param name="Target">The target's node id.</param>
    /// <param name="Addresses">The target's candidates (when accepted).</param>
    /// <param name="RelayChannel">The target's router's cluster-side relay channel for the pair, or 0 for none.</param>
    [Message(Code = 1)]
    public sealed partial record ConnectAnswer(string FromRouter, uint RequestId, RouterStatus Status, string Detail, byte[] Target,
        [MaxLength(RouterProtocol.MaxLocalAddresses + 1)] string[] Addresses, uint RelayChannel);

    /// <summary>A member joined or left a room; the router this is published to tells those of <paramref name="To"/> it holds.</summary>
    /// <param name="Name">The room.</param>
    /// <param name="Member">Who joined or left.</param>
    /// <param name="Joined">Joined or left.</param>
    /// <param name="To">The members of the room on the receiving router to tell (32-byte node ids).</param>
    [Message(Code = 2)]
    public sealed partial record RoomNotice(string Name, byte[] Member, bool Joined, byte[][] To);
}
