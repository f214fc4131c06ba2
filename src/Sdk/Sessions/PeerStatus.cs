namespace PeerKit;

/// <summary>A snapshot of a peer's traffic and round-trip time.</summary>
public readonly record struct PeerStatus
{
    /// <summary>The most recent round-trip time measured by a ping, or <see cref="TimeSpan.Zero"/> before the first.</summary>
    public TimeSpan Rtt { get; init; }

    /// <summary>The smoothed round-trip time (RFC 6298 weights).</summary>
    public TimeSpan SmoothedRtt { get; init; }

    /// <summary>Frame bytes received from the peer (codes included, link overhead excluded).</summary>
    public long BytesIn { get; init; }

    /// <summary>Frame bytes sent to the peer.</summary>
    public long BytesOut { get; init; }

    /// <summary>Sub-protocol messages received.</summary>
    public long MessagesIn { get; init; }

    /// <summary>Sub-protocol messages sent.</summary>
    public long MessagesOut { get; init; }

    /// <summary>When the session was established.</summary>
    public DateTimeOffset ConnectedAt { get; init; }

    /// <summary>How long ago the last frame arrived.</summary>
    public TimeSpan SinceLastReceived { get; init; }
}
