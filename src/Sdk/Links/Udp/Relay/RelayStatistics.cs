namespace PeerKit.Links.Udp;

/// <summary>
/// A snapshot of an endpoint's relay counters: on a router, what its <see cref="RelaySwitch"/> forwarded and dropped;
/// on a client, relay datagrams it received and dropped.
/// </summary>
public readonly record struct RelayStatistics
{
    /// <summary>Relay datagrams received (well-formed or not).</summary>
    public long DatagramsReceived { get; init; }

    /// <summary>Datagrams forwarded (router) or unwrapped and handed to the endpoint (client).</summary>
    public long DatagramsRelayed { get; init; }

    /// <summary>Bytes of those datagrams, relay headers included.</summary>
    public long BytesRelayed { get; init; }

    /// <summary>Too short, channel 0, or a relay datagram inside a relay datagram.</summary>
    public long DroppedMalformed { get; init; }

    /// <summary>A channel no binding (router) or relay channel (client) has.</summary>
    public long DroppedUnknownChannel { get; init; }

    /// <summary>A known channel from an address other than the bound client (router) or the router (client).</summary>
    public long DroppedForged { get; init; }

    /// <summary>Dropped because the binding was over its rate (router).</summary>
    public long DroppedRateLimited { get; init; }

    /// <summary>Dropped because the binding had relayed its total (router).</summary>
    public long DroppedLimitReached { get; init; }

    /// <summary>Bindings (router) or relay channels (client) now.</summary>
    public int Bindings { get; init; }
}
