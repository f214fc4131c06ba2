namespace PeerKit.Routing;

/// <summary>Something that happened with a peer reached through a <see cref="RouterClient"/>.</summary>
public sealed class RoutingEvent
{
    internal RoutingEvent(RoutingEventKind kind, NodeId peerId)
    {
        Kind = kind;
        PeerId = peerId;
    }

    /// <summary>What happened.</summary>
    public RoutingEventKind Kind { get; }

    /// <summary>The peer's node id.</summary>
    public NodeId PeerId { get; }

    /// <summary>For <see cref="RoutingEventKind.StateChanged"/>: the new state.</summary>
    public ConnectionState State { get; init; }

    /// <summary>For <see cref="RoutingEventKind.ConnectionFailed"/>: why.</summary>
    public ConnectFailure? Failure { get; init; }

    /// <summary>A human-readable explanation (a failure's detail, a disconnect's reason).</summary>
    public string? Detail { get; init; }

    /// <summary>For <see cref="RoutingEventKind.Data"/>: the packet's bytes.</summary>
    public ReadOnlyMemory<byte> Data { get; init; }

    /// <summary>For <see cref="RoutingEventKind.Data"/>: whether it was sent reliably.</summary>
    public bool Reliable { get; init; }

    /// <summary>For <see cref="RoutingEventKind.Connected"/> and <see cref="RoutingEventKind.Data"/>: the path (<see cref="SendResult.P2P"/> or <see cref="SendResult.Relay"/>).</summary>
    public SendResult Path { get; init; }

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        RoutingEventKind.StateChanged => $"{PeerId:s} {State}",
        RoutingEventKind.ConnectionFailed => $"{PeerId:s} connection failed: {Failure} {Detail}",
        RoutingEventKind.Data => $"{PeerId:s} data {Data.Length} B ({(Reliable ? "reliable" : "unreliable")}, {Path})",
        _ => $"{PeerId:s} {Kind} {Detail}",
    };
}
