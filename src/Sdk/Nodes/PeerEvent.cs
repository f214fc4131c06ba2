namespace PeerKit;

/// <summary>What happened, in a <see cref="PeerEvent"/>.</summary>
public enum PeerEventKind
{
    /// <summary>A session came up; the peer is in <see cref="PeerNode.Peers"/>.</summary>
    PeerAdded,

    /// <summary>A peer disconnected; <see cref="PeerEvent.Reason"/> says why.</summary>
    PeerDropped,

    /// <summary>A connection changed state (Connecting, Connected, Timeout, Closed).</summary>
    StateChanged,

    /// <summary>A sub-protocol message was sent (only with <see cref="PeerNodeOptions.EnableMessageEvents"/>).</summary>
    MessageSent,

    /// <summary>A sub-protocol message was received (only with <see cref="PeerNodeOptions.EnableMessageEvents"/>).</summary>
    MessageReceived,
}

/// <summary>Something that happened to a peer or a connection (go-ethereum's <c>PeerEvent</c>, the Oculus state notifications).</summary>
public sealed class PeerEvent
{
    internal PeerEvent(PeerEventKind kind, NodeId peerId, string? address)
    {
        Kind = kind;
        PeerId = peerId;
        Address = address;
        Timestamp = DateTimeOffset.UtcNow;
    }

    /// <summary>What happened.</summary>
    public PeerEventKind Kind { get; }

    /// <summary>The peer's id; <c>default</c> for a dial whose id is not known yet.</summary>
    public NodeId PeerId { get; }

    /// <summary>The remote address, when there is one.</summary>
    public string? Address { get; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>The peer, for events of a session (null for a connection that never became a peer).</summary>
    public Peer? Peer { get; init; }

    /// <summary>The new state, for <see cref="PeerEventKind.StateChanged"/>.</summary>
    public ConnectionState State { get; init; }

    /// <summary>The disconnect reason, for <see cref="PeerEventKind.PeerDropped"/> and the Timeout/Closed states.</summary>
    public DisconnectReason? Reason { get; init; }

    /// <summary>Whether the peer gave <see cref="Reason"/>.</summary>
    public bool IsRemoteReason { get; init; }

    /// <summary>The exception a protocol failed with, for a <see cref="PeerEventKind.PeerDropped"/> with <see cref="DisconnectReason.SubprotocolError"/>.</summary>
    public Exception? Error { get; init; }

    /// <summary>The protocol, for message events.</summary>
    public ProtocolDescriptor? Protocol { get; init; }

    /// <summary>The code relative to <see cref="Protocol"/>, for message events.</summary>
    public int Code { get; init; }

    /// <summary>The frame size in bytes, for message events.</summary>
    public int Size { get; init; }

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        PeerEventKind.StateChanged => $"{PeerId:s} {State}{(Reason is { } r ? $" ({r})" : "")}",
        PeerEventKind.PeerDropped => $"{PeerId:s} dropped: {Reason}{(IsRemoteReason ? " (remote)" : "")}",
        PeerEventKind.MessageSent or PeerEventKind.MessageReceived => $"{PeerId:s} {Kind} {Protocol}#{Code} {Size} B",
        _ => $"{PeerId:s} {Kind}",
    };
}
