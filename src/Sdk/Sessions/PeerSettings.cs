namespace PeerKit.Sessions;

/// <summary>
/// What a <see cref="Peer"/> needs from its node, given once at construction: the timers, the pull queue's size, and
/// two narrow hooks. A peer never holds its node; it reports its end through <see cref="Peer.Completion"/>.
/// </summary>
internal sealed class PeerSettings
{
    /// <summary>How long a ping waits for its pong, and a ping or pong may take to send.</summary>
    public required TimeSpan PingTimeout { get; init; }

    /// <summary>How often the keepalive pings.</summary>
    public required TimeSpan PingInterval { get; init; }

    /// <summary>A peer silent this long is dropped.</summary>
    public required TimeSpan IdleTimeout { get; init; }

    /// <summary>How long sending a Disconnect may take.</summary>
    public required TimeSpan DisconnectTimeout { get; init; }

    /// <summary>Messages waiting for the pull reader.</summary>
    public required int ReadQueueCapacity { get; init; }

    /// <summary>Bytes waiting for the pull reader (payload + 64 each).</summary>
    public required long ReadQueueBytes { get; init; }

    /// <summary>
    /// Lists the peer once both sides admitted it (called once, from the peer's read loop); <c>false</c> refuses it
    /// (the node stopped, or dropped the session in the meantime).
    /// </summary>
    public required Func<Peer, bool> Establish { get; init; }

    /// <summary>Reports one sub-protocol message sent or received; null when message events are off.</summary>
    public Action<PeerEventKind, Peer, ProtocolDescriptor?, int, int>? MessageEvents { get; init; }
}
