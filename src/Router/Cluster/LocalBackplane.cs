namespace PeerKit.Routing;

/// <summary>
/// The backplane of a router that runs alone (the default): the rooms live in this process (<see cref="RoomDirectory"/>),
/// every node is either local or offline, and nothing is sent anywhere.
/// </summary>
internal sealed class LocalBackplane : IRouterBackplane
{
    private readonly Lock _gate = new();
    private readonly RoomDirectory _rooms;

    public LocalBackplane(RouterOptions options, string routerId)
    {
        _rooms = new RoomDirectory(options.MaxRooms, options.MaxRoomMembers, options.MaxRoomsPerSession);
        RouterId = routerId;
    }

    public bool IsClustered => false;

    public string RouterId { get; }

    public int RoomCount
    {
        get
        {
            lock (_gate)
            {
                return _rooms.Count;
            }
        }
    }

    public Task StartAsync(IRouterBackplaneHost host, CancellationToken cancellationToken) => Task.CompletedTask;

    public void SessionOpened(NodeId node)
    {
    }

    public ValueTask<RoomChange[]> SessionEndedAsync(NodeId node)
    {
        lock (_gate)
        {
            return ValueTask.FromResult<RoomChange[]>([.. _rooms.LeaveAll(node).Select(room => new RoomChange(RouterStatus.Ok, room, _rooms.Members(room), Changed: true))]);
        }
    }

    public ValueTask<string?> LocateAsync(NodeId node) => ValueTask.FromResult<string?>(null);

    public ValueTask<NodeId[]> OnlineElsewhereAsync(IReadOnlyList<NodeId> nodes) => ValueTask.FromResult<NodeId[]>([]);

    public ValueTask<NodeId[]> ListOnlineAsync(int max, Func<NodeId, bool> include) => ValueTask.FromResult<NodeId[]>([]);

    public ValueTask<RoomChange> EnterRoomAsync(string name, NodeId member, bool create)
    {
        lock (_gate)
        {
            bool added = true;
            RouterStatus status = create ? _rooms.Create(name, member) : _rooms.Join(name, member, out added);
            return ValueTask.FromResult(new RoomChange(status, name, status == RouterStatus.Ok ? _rooms.Members(name) : [], status == RouterStatus.Ok && added));
        }
    }

    public ValueTask<RoomChange> LeaveRoomAsync(string name, NodeId member)
    {
        lock (_gate)
        {
            RouterStatus status = _rooms.Leave(name, member);
            return ValueTask.FromResult(new RoomChange(status, name, _rooms.Members(name), status == RouterStatus.Ok));
        }
    }

    public ValueTask<string[]> RoomNamesAsync(int max)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_rooms.Names(max));
        }
    }

    public ValueTask<int> TellRoomAsync(string room, NodeId who, bool joined, NodeId[] members) => ValueTask.FromResult(0);

    public ValueTask SignalAsync<T>(string router, T message) where T : IMessage<T> =>
        ValueTask.FromException(new ClusterUnavailableException("this router is not part of a cluster."));

    public void PublishRelay(string router, ReadOnlySpan<byte> datagram)
    {
    }

    public ClusterStatistics GetStatistics() => new();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
