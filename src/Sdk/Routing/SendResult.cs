namespace PeerKit.Routing;

/// <summary>What happened to a message given to <see cref="RouterClient.SendAsync{T}(NodeId, in T, Reliability, CancellationToken)"/> (CLASP's <c>SendResult</c>, plus the Oculus cases before a connection exists).</summary>
public enum SendResult
{
    /// <summary>Sent on a direct path to the peer.</summary>
    P2P = 0,

    /// <summary>Sent through the router's relay.</summary>
    Relay = 1,

    /// <summary>A reliable message waits (bounded in bytes) until the connection it opened is up; it is sent then, in order.</summary>
    Queued = 2,

    /// <summary>An unreliable message sent before a connection was up: dropped (the Oculus rule) and counted in <see cref="RouterClient.DroppedUnreliableCount"/>.</summary>
    Dropped = 3,
}
