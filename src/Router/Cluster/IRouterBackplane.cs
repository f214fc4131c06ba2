namespace PeerKit.Routing;

/// <summary>
/// What a router shares with the other routers of its cluster: the session directory (which router holds a node),
/// room membership, signaling and room notices for clients of other routers, and relayed packets between them.
/// <see cref="LocalBackplane"/> is the default (one router, nothing leaves the process); <see cref="RedisBackplane"/>
/// shares through Redis. Requests that need another router throw <see cref="ClusterUnavailableException"/> when it
/// cannot be reached; nothing between clients of one router goes through the backplane but rooms.
/// </summary>
internal interface IRouterBackplane : IAsyncDisposable
{
    /// <summary>Whether other routers may hold sessions (false: every node is local or offline).</summary>
    bool IsClustered { get; }

    /// <summary>This router's id in the cluster.</summary>
    string RouterId { get; }

    /// <summary>Rooms that exist (in the whole cluster; 0 when it cannot be asked).</summary>
    int RoomCount { get; }

    /// <summary>Connects (when clustered) and starts delivering what other routers send to <paramref name="host"/>.</summary>
    /// <exception cref="ClusterUnavailableException">The cluster's store cannot be reached at start.</exception>
    Task StartAsync(IRouterBackplaneHost host, CancellationToken cancellationToken);

    /// <summary>A session opened here: the directory says this router holds <paramref name="node"/> (kept fresh until it ends).</summary>
    void SessionOpened(NodeId node);

    /// <summary>A session ended here (and no newer session of the node took its place here): it leaves the directory and its rooms, unless another router holds the node now. Returns the rooms it left.</summary>
    ValueTask<RoomChange[]> SessionEndedAsync(NodeId node);

    /// <summary>The router that holds <paramref name="node"/>, or null when no router does.</summary>
    /// <exception cref="ClusterUnavailableException">The directory cannot be asked.</exception>
    ValueTask<string?> LocateAsync(NodeId node);

    /// <summary>Which of <paramref name="nodes"/> other routers hold.</summary>
    /// <exception cref="ClusterUnavailableException">The directory cannot be asked.</exception>
    ValueTask<NodeId[]> OnlineElsewhereAsync(IReadOnlyList<NodeId> nodes);

    /// <summary>
    /// Nodes the directory lists on any router (this one's included) for which <paramref name="include"/> is true, at
    /// most <paramref name="max"/>, in no particular order. Bounded work: a clustered backplane reads the directory in at
    /// most a fixed number of scans, so in a very large directory the list may stop short of <paramref name="max"/>.
    /// </summary>
    /// <exception cref="ClusterUnavailableException">The directory cannot be asked.</exception>
    ValueTask<NodeId[]> ListOnlineAsync(int max, Func<NodeId, bool> include);

    /// <summary>Creates (<paramref name="create"/>) or joins a room.</summary>
    /// <exception cref="ClusterUnavailableException">Room membership cannot be changed now.</exception>
    ValueTask<RoomChange> EnterRoomAsync(string name, NodeId member, bool create);

    /// <summary>Leaves a room; the last member to leave ends it.</summary>
    /// <exception cref="ClusterUnavailableException">Room membership cannot be changed now.</exception>
    ValueTask<RoomChange> LeaveRoomAsync(string name, NodeId member);

    /// <summary>The names of the rooms, in ordinal order, at most <paramref name="max"/>.</summary>
    /// <exception cref="ClusterUnavailableException">Rooms cannot be listed now.</exception>
    ValueTask<string[]> RoomNamesAsync(int max);

    /// <summary>Tells <paramref name="members"/> (none of them held by this router) that <paramref name="who"/> joined or left a room; returns how many could not be told.</summary>
    ValueTask<int> TellRoomAsync(string room, NodeId who, bool joined, NodeId[] members);

    /// <summary>Sends a signaling message to router <paramref name="router"/>.</summary>
    /// <exception cref="ClusterUnavailableException">It cannot be sent (the store is down, the publish queue is full, or no such router listens).</exception>
    ValueTask SignalAsync<T>(string router, T message) where T : IMessage<T>;

    /// <summary>Publishes a relayed datagram (header included, already rewritten for the receiving router's channel) to <paramref name="router"/>; dropped and counted when it cannot go, as a UDP relay may.</summary>
    void PublishRelay(string router, ReadOnlySpan<byte> datagram);

    /// <summary>Counters: Redis operations, publishes, drops.</summary>
    ClusterStatistics GetStatistics();
}
