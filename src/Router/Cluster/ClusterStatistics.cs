namespace PeerKit.Routing;

/// <summary>What a router's cluster backplane did (<see cref="Router.GetClusterStatistics"/>); zeros for a router that runs alone.</summary>
public sealed record ClusterStatistics
{
    /// <summary>Whether the router is part of a cluster.</summary>
    public bool IsClustered { get; init; }

    /// <summary>Whether the cluster's store (Redis) is reachable now.</summary>
    public bool IsConnected { get; init; }

    /// <summary>Requests sent to Redis (commands, scripts and publishes).</summary>
    public long RedisOperations { get; init; }

    /// <summary>Signaling messages published to other routers.</summary>
    public long SignalsSent { get; init; }

    /// <summary>Signaling messages received from other routers.</summary>
    public long SignalsReceived { get; init; }

    /// <summary>Signaling messages that could not be sent (each answered with <see cref="RouterStatus.ClusterUnavailable"/> or counted as a dropped notice).</summary>
    public long SignalsFailed { get; init; }

    /// <summary>Relayed datagrams published to other routers.</summary>
    public long RelayedOut { get; init; }

    /// <summary>Relayed datagrams received from other routers.</summary>
    public long RelayedIn { get; init; }

    /// <summary>Relayed datagrams dropped: the publish queue was full or Redis was down (the UDP link sends again).</summary>
    public long RelayDropped { get; init; }

    /// <summary>Bytes waiting to be published now.</summary>
    public long QueuedBytes { get; init; }

    /// <summary>Times the router registered its sessions and rooms again after Redis came back.</summary>
    public long Rebuilds { get; init; }
}
