namespace PeerKit.Links.Udp;

/// <summary>A snapshot of one <see cref="RelayBinding"/>'s counters.</summary>
public readonly record struct RelayBindingCounters
{
    /// <summary>Bytes forwarded, both directions, relay headers included (what the limits count).</summary>
    public long BytesRelayed { get; init; }

    /// <summary>Datagrams forwarded, both directions.</summary>
    public long DatagramsRelayed { get; init; }

    /// <summary>Bytes forwarded from the first client to the second.</summary>
    public long BytesFromFirst { get; init; }

    /// <summary>Bytes forwarded from the second client to the first.</summary>
    public long BytesFromSecond { get; init; }

    /// <summary>Datagrams dropped because the binding was over <see cref="RelayLimits.MaxBytesPerSecond"/>.</summary>
    public long DroppedRateLimited { get; init; }

    /// <summary>Datagrams dropped because the binding had relayed <see cref="RelayLimits.MaxBytesPerBinding"/>.</summary>
    public long DroppedLimitReached { get; init; }

    /// <summary>Datagrams on the binding's channels from an address other than the bound one (forged or stale), dropped.</summary>
    public long DroppedForged { get; init; }

    /// <summary>The binding's state now.</summary>
    public RelayStatus Status { get; init; }
}
