using System.Collections.Concurrent;
using StackExchange.Redis;

namespace PeerKit.Routing;

/// <summary>
/// The backplane of a router in a cluster: the session directory (<c>session:&lt;node&gt;</c> → router id, with a time to
/// live this router refreshes), room membership (Redis sets) and one signaling and one relay channel per router (pub/sub).
/// Bounded in bytes (<see cref="PublishQueue"/>). When Redis goes away, requests that need it fail with
/// <see cref="ClusterUnavailableException"/>; when it comes back, the router registers its sessions and rooms again.
/// </summary>
internal sealed class RedisBackplane : IRouterBackplane
{
    private const int RefreshChunk = 256;
    private const int MaxCachedRouters = 4096;

    // A presence listing reads the directory with at most MaxScanCalls SCANs of ScanCount keys each (a bound on the
    // work one Who may cost Redis: about 16,000 keys looked at), stopping as soon as it has enough.
    private const int ScanCount = 1000;
    private const int MaxScanCalls = 16;

    private readonly RouterOptions _options;
    private readonly RouterClusterOptions _cluster;
    private readonly RedisKeys _keys;
    private readonly PublishQueue _queue;
    private readonly Lock _gate = new();
    private readonly HashSet<NodeId> _sessions = [];
    private readonly Dictionary<NodeId, HashSet<string>> _roomsOf = [];
    private readonly ConcurrentDictionary<string, (RedisChannel Signal, RedisChannel Relay)> _channels = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _kick = new(0, 1);
    // A refresh (which sets missing keys again) and a session's end do not interleave: a refresh that read the session
    // list before the end must not set the ended session's key again after the end deleted it.
    private readonly SemaphoreSlim _directory = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Action<Task, object?> _release;
    private ConnectionMultiplexer? _redis;
    private IDatabase? _db;
    private ISubscriber? _sub;
    private IRouterBackplaneHost? _host;
    private Task _refreshing = Task.CompletedTask;
    private volatile bool _rebuild;
    private volatile bool _connected;
    private int _disposed;
    private long _operations;
    private long _signalsSent;
    private long _signalsReceived;
    private long _signalsFailed;
    private long _relayedOut;
    private long _relayedIn;
    private long _relayDropped;
    private long _rebuilds;

    public RedisBackplane(RouterOptions options, RouterClusterOptions cluster, string routerId)
    {
        _options = options;
        _cluster = cluster;
        RouterId = routerId;
        _keys = new RedisKeys(cluster.KeyPrefix);
        _queue = new PublishQueue(cluster.MaxPublishQueueBytes);
        _release = (_, state) => _queue.Release((int)state!);
    }

    public bool IsClustered => true;

    public string RouterId { get; }

    public int RoomCount
    {
        get
        {
            try
            {
                Interlocked.Increment(ref _operations);
                return (int)Database.SetLength(_keys.Rooms);
            }
            catch (Exception e) when (IsRedisFailure(e))
            {
                return 0;
            }
        }
    }

    private IDatabase Database => _db ?? throw new ClusterUnavailableException("the router has not started.");

    private ISubscriber Subscriber => _sub ?? throw new ClusterUnavailableException("the router has not started.");

    public async Task StartAsync(IRouterBackplaneHost host, CancellationToken cancellationToken)
    {
        _host = host;
        ConfigurationOptions configuration;
        try
        {
            configuration = ConfigurationOptions.Parse(RouterClusterOptions.ToRedisConfiguration(_cluster.ConnectionString));
        }
        catch (ArgumentException e)
        {
            throw new ClusterUnavailableException($"the cluster's Redis address \"{_cluster.ConnectionString}\" is not valid: {e.Message}", e);
        }

        int timeout = (int)Math.Clamp(_cluster.RedisTimeout.TotalMilliseconds, 1, int.MaxValue);
        configuration.AbortOnConnectFail = true;
        configuration.ConnectTimeout = timeout;
        configuration.SyncTimeout = timeout;
        configuration.AsyncTimeout = timeout;
        configuration.ConnectRetry = 1;
        configuration.KeepAlive = 1;
        configuration.ReconnectRetryPolicy = new LinearRetry((int)Math.Clamp(_cluster.ReconnectDelay.TotalMilliseconds, 1, int.MaxValue));
        // Requests made while Redis is away fail at once (a typed answer to the client) rather than wait in a backlog.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ClientName = "peerkit-router";
        try
        {
            _redis = await ConnectionMultiplexer.ConnectAsync(configuration).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            throw new ClusterUnavailableException($"the cluster's Redis at {_cluster.ConnectionString} cannot be reached: {e.Message}", e);
        }

        _db = _redis.GetDatabase();
        _sub = _redis.GetSubscriber();
        _redis.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                _connected = false;
            }
        };
        _redis.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                _connected = true;
                _rebuild = true;
                Kick();
            }
        };
        // Redis answered, but the subscription connection may still be coming up (a loaded machine): a subscribe that
        // finds no connection is tried again for a bounded time before the router gives up.
        var subscribing = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan bound = TimeSpan.FromTicks(Math.Max(_cluster.RedisTimeout.Ticks * 5, TimeSpan.FromSeconds(5).Ticks));
        while (true)
        {
            try
            {
                ChannelMessageQueue signals = await _sub.SubscribeAsync(_keys.Signal(RouterId)).ConfigureAwait(false);
                signals.OnMessage(OnSignal);
                ChannelMessageQueue relays = await _sub.SubscribeAsync(_keys.Relay(RouterId)).ConfigureAwait(false);
                relays.OnMessage(OnRelay);
                break;
            }
            catch (Exception e) when (IsRedisFailure(e))
            {
                try
                {
                    await _sub.UnsubscribeAllAsync().ConfigureAwait(false); // what half succeeded goes again whole
                }
                catch (Exception again) when (IsRedisFailure(again))
                {
                }

                if (subscribing.Elapsed >= bound)
                {
                    _redis.Dispose(); // the router does not start: nothing else would close the connection
                    throw new ClusterUnavailableException($"the router could not subscribe to its channels in Redis within {bound.TotalSeconds:0.#} s: {e.Message}", e);
                }

                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }

        _connected = _redis.IsConnected;
        _refreshing = RefreshAsync(_stop.Token);
    }

    public void SessionOpened(NodeId node)
    {
        lock (_gate)
        {
            _sessions.Add(node);
        }

        // Registered at once; when Redis is away the refresh registers it once Redis is back.
        _ = RunQuietlyAsync(db => db.StringSetAsync(_keys.Session(node), RouterId, _cluster.SessionTtl));
    }

    public async ValueTask<RoomChange[]> SessionEndedAsync(NodeId node)
    {
        lock (_gate)
        {
            _sessions.Remove(node);
            _roomsOf.Remove(node);
        }

        await _directory.WaitAsync().ConfigureAwait(false);
        try
        {
            Interlocked.Increment(ref _operations);
            var result = (RedisResult[])(await Database.ScriptEvaluateAsync(RedisScripts.End,
                [_keys.Session(node), _keys.NodeRooms(node)], [RouterId, RedisKeys.Hex(node), _keys.Prefix]).ConfigureAwait(false))!;
            return [.. result.Select(entry => (RedisResult[])entry!).Select(entry => new RoomChange(RouterStatus.Ok, (string)entry[0]!, Members(entry, 1), Changed: true))];
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            // Redis is away: the session key expires by itself; its rooms drop it once its key is gone (Enter prunes).
            return [];
        }
        finally
        {
            _directory.Release();
        }
    }

    public async ValueTask<string?> LocateAsync(NodeId node)
    {
        RedisValue value = await Call(db => db.StringGetAsync(_keys.Session(node))).ConfigureAwait(false);
        return value.IsNull ? null : (string?)value;
    }

    public async ValueTask<NodeId[]> OnlineElsewhereAsync(IReadOnlyList<NodeId> nodes)
    {
        if (nodes.Count == 0)
        {
            return [];
        }

        RedisValue[] values = await Call(db => db.StringGetAsync([.. nodes.Select(_keys.Session)])).ConfigureAwait(false);
        return [.. nodes.Where((_, i) => !values[i].IsNull && values[i] != RouterId)];
    }

    public async ValueTask<NodeId[]> ListOnlineAsync(int max, Func<NodeId, bool> include)
    {
        var found = new HashSet<NodeId>();
        string pattern = EscapeGlob(_keys.Prefix) + "session:*";
        int idAt = _keys.Prefix.Length + "session:".Length;
        ulong cursor = 0;
        for (int call = 0; call < MaxScanCalls && found.Count < max; call++)
        {
            ulong from = cursor;
            var reply = (RedisResult[])(await Call(db => db.ExecuteAsync("SCAN", from, "MATCH", pattern, "COUNT", ScanCount)).ConfigureAwait(false))!;
            cursor = ulong.Parse((string)reply[0]!, System.Globalization.CultureInfo.InvariantCulture);
            foreach (RedisResult key in (RedisResult[])reply[1]!)
            {
                string? name = (string?)key;
                if (name is not null && name.Length == idAt + (NodeId.Size * 2) && TryParseHex(name[idAt..], out byte[]? bytes)
                    && new NodeId(bytes) is var node && include(node) && found.Add(node) && found.Count == max)
                {
                    break;
                }
            }

            if (cursor == 0)
            {
                break;
            }
        }

        return [.. found];
    }

    public async ValueTask<RoomChange> EnterRoomAsync(string name, NodeId member, bool create)
    {
        if (!RoomDirectory.IsValidName(name))
        {
            return new RoomChange(RouterStatus.Malformed, name, [], false);
        }

        var result = (RedisResult[])(await Call(db => db.ScriptEvaluateAsync(RedisScripts.Enter,
            [_keys.Room(name), _keys.Rooms, _keys.NodeRooms(member)],
            [RedisKeys.Hex(member), create ? 1 : 0, _options.MaxRooms, _options.MaxRoomMembers, _options.MaxRoomsPerSession, name, _keys.Prefix])).ConfigureAwait(false))!;
        var status = (RouterStatus)(int)result[0];
        if (status == RouterStatus.Ok)
        {
            lock (_gate)
            {
                if (_sessions.Contains(member))
                {
                    (_roomsOf.TryGetValue(member, out HashSet<string>? rooms) ? rooms : _roomsOf[member] = new(StringComparer.Ordinal)).Add(name);
                }
            }
        }

        return new RoomChange(status, name, status == RouterStatus.Ok ? Members(result, 2) : [], status == RouterStatus.Ok && (int)result[1] == 1);
    }

    public async ValueTask<RoomChange> LeaveRoomAsync(string name, NodeId member)
    {
        lock (_gate)
        {
            if (_roomsOf.TryGetValue(member, out HashSet<string>? rooms))
            {
                rooms.Remove(name);
            }
        }

        var result = (RedisResult[])(await Call(db => db.ScriptEvaluateAsync(RedisScripts.Leave,
            [_keys.Room(name), _keys.Rooms, _keys.NodeRooms(member)], [RedisKeys.Hex(member), name])).ConfigureAwait(false))!;
        var status = (RouterStatus)(int)result[0];
        return new RoomChange(status, name, status == RouterStatus.Ok ? Members(result, 2) : [], status == RouterStatus.Ok);
    }

    public async ValueTask<string[]> RoomNamesAsync(int max)
    {
        RedisValue[] names = await Call(db => db.SetMembersAsync(_keys.Rooms)).ConfigureAwait(false);
        return [.. names.Select(n => (string)n!).Order(StringComparer.Ordinal).Take(max)];
    }

    public async ValueTask<int> TellRoomAsync(string room, NodeId who, bool joined, NodeId[] members)
    {
        if (members.Length == 0)
        {
            return 0;
        }

        RedisValue[] routers;
        try
        {
            routers = await Call(db => db.StringGetAsync([.. members.Select(_keys.Session)])).ConfigureAwait(false);
        }
        catch (ClusterUnavailableException)
        {
            return members.Length;
        }

        int untold = 0;
        byte[] id = who.ToArray();
        foreach (IGrouping<string, NodeId> group in members.Select((m, i) => (Member: m, Router: routers[i]))
            .Where(x => !x.Router.IsNull && x.Router != RouterId).GroupBy(x => (string)x.Router!, x => x.Member, StringComparer.Ordinal))
        {
            try
            {
                await SignalAsync(group.Key, new ClusterProtocol.RoomNotice(room, id, joined, [.. group.Select(m => m.ToArray())])).ConfigureAwait(false);
            }
            catch (ClusterUnavailableException)
            {
                untold += group.Count();
            }
        }

        return untold;
    }

    public async ValueTask SignalAsync<T>(string router, T message) where T : IMessage<T>
    {
        byte[] payload = new byte[1 + MessageSerializer.GetSize(message)];
        payload[0] = (byte)T.Code;
        MessageSerializer.Write(message, payload.AsSpan(1));
        if (!_connected)
        {
            Interlocked.Increment(ref _signalsFailed);
            throw new ClusterUnavailableException("the cluster's Redis is unreachable; the router is reconnecting.");
        }

        if (!_queue.TryReserve(payload.Length))
        {
            Interlocked.Increment(ref _signalsFailed);
            throw new ClusterUnavailableException($"the router's queue to Redis is full ({_queue.MaxBytes} bytes waiting).");
        }

        long receivers;
        try
        {
            Interlocked.Increment(ref _operations);
            receivers = await Subscriber.PublishAsync(ChannelsOf(router).Signal, payload).ConfigureAwait(false);
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            Interlocked.Increment(ref _signalsFailed);
            throw new ClusterUnavailableException($"the cluster's Redis is unreachable: {e.Message}", e);
        }
        finally
        {
            _queue.Release(payload.Length);
        }

        if (receivers == 0)
        {
            Interlocked.Increment(ref _signalsFailed);
            throw new ClusterUnavailableException($"router {router} does not listen (it stopped, or lost Redis).");
        }

        Interlocked.Increment(ref _signalsSent);
    }

    public void PublishRelay(string router, ReadOnlySpan<byte> datagram)
    {
        if (!_connected || _sub is not { } sub || !_queue.TryReserve(datagram.Length))
        {
            Interlocked.Increment(ref _relayDropped);
            return;
        }

        byte[] copy = datagram.ToArray();
        Interlocked.Increment(ref _operations);
        Interlocked.Increment(ref _relayedOut);
        try
        {
            sub.PublishAsync(ChannelsOf(router).Relay, copy).ContinueWith(_release, copy.Length, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            _queue.Release(copy.Length);
            Interlocked.Increment(ref _relayDropped);
        }
    }

    public ClusterStatistics GetStatistics() => new()
    {
        IsClustered = true,
        IsConnected = _connected,
        RedisOperations = Interlocked.Read(ref _operations),
        SignalsSent = Interlocked.Read(ref _signalsSent),
        SignalsReceived = Interlocked.Read(ref _signalsReceived),
        SignalsFailed = Interlocked.Read(ref _signalsFailed),
        RelayedOut = Interlocked.Read(ref _relayedOut),
        RelayedIn = Interlocked.Read(ref _relayedIn),
        RelayDropped = Interlocked.Read(ref _relayDropped),
        QueuedBytes = _queue.Bytes,
        Rebuilds = Interlocked.Read(ref _rebuilds),
    };

    /// <summary>Stops as a crashed router would: nothing is cleaned up in Redis, so its sessions leave the directory only when their keys expire.</summary>
    internal async ValueTask AbandonAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _connected = false;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _refreshing.ConfigureAwait(false);
        if (_redis is { } redis)
        {
            await redis.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
            redis.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _refreshing.ConfigureAwait(false);
        if (_redis is { } redis)
        {
            try
            {
                await _sub!.UnsubscribeAllAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (IsRedisFailure(e))
            {
            }

            await redis.CloseAsync(allowCommandsToComplete: true).ConfigureAwait(false);
            redis.Dispose();
        }

        _stop.Dispose();
    }

    private static NodeId[] Members(RedisResult[] result, int from)
    {
        var members = new List<NodeId>(Math.Max(0, result.Length - from));
        for (int i = from; i < result.Length; i++)
        {
            string? hex = (string?)result[i];
            if (hex is { Length: NodeId.Size * 2 } && TryParseHex(hex, out byte[]? bytes))
            {
                members.Add(new NodeId(bytes));
            }
        }

        return [.. members];
    }

    private static bool TryParseHex(string hex, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? bytes)
    {
        try
        {
            bytes = Convert.FromHexString(hex);
            return true;
        }
        catch (FormatException)
        {
            bytes = null;
            return false;
        }
    }

    /// <summary>The prefix as a SCAN pattern that matches it literally.</summary>
    private static string EscapeGlob(string text)
    {
        var escaped = new System.Text.StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }

    private static bool IsRedisFailure(Exception e) => e is RedisException or ObjectDisposedException or TimeoutException or InvalidOperationException;

    private (RedisChannel Signal, RedisChannel Relay) ChannelsOf(string router)
    {
        if (_channels.TryGetValue(router, out var channels))
        {
            return channels;
        }

        channels = (_keys.Signal(router), _keys.Relay(router));
        if (_channels.Count < MaxCachedRouters)
        {
            _channels.TryAdd(router, channels);
        }

        return channels;
    }

    private async Task<TResult> Call<TResult>(Func<IDatabase, Task<TResult>> call)
    {
        if (!_connected)
        {
            throw new ClusterUnavailableException("the cluster's Redis is unreachable; the router is reconnecting.");
        }

        try
        {
            Interlocked.Increment(ref _operations);
            return await call(Database).ConfigureAwait(false);
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            throw new ClusterUnavailableException($"the cluster's Redis is unreachable: {e.Message}", e);
        }
    }

    private async Task RunQuietlyAsync<TResult>(Func<IDatabase, Task<TResult>> call)
    {
        try
        {
            await Call(call).ConfigureAwait(false);
        }
        catch (ClusterUnavailableException)
        {
        }
    }

    private void Kick()
    {
        try
        {
            _kick.Release();
        }
        catch (SemaphoreFullException)
        {
        }
    }

    /// <summary>Every third of the time to live: refresh this router's session keys (setting again those Redis lost); after a reconnect, register the rooms again too.</summary>
    private async Task RefreshAsync(CancellationToken stop)
    {
        TimeSpan period = _cluster.SessionTtl / 3;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _kick.WaitAsync(period, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (!_connected)
            {
                continue;
            }

            bool rebuild = _rebuild;
            try
            {
                await _directory.WaitAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            NodeId[] sessions;
            (NodeId Node, string[] Rooms)[] rooms;
            lock (_gate)
            {
                sessions = [.. _sessions];
                rooms = rebuild ? [.. _roomsOf.Select(r => (r.Key, r.Value.ToArray()))] : [];
            }

            try
            {
                long ttl = (long)_cluster.SessionTtl.TotalMilliseconds;
                foreach (NodeId[] chunk in sessions.Chunk(RefreshChunk))
                {
                    Interlocked.Increment(ref _operations);
                    await Database.ScriptEvaluateAsync(RedisScripts.Refresh, [.. chunk.Select(_keys.Session)], [RouterId, ttl]).ConfigureAwait(false);
                }

                foreach ((NodeId node, string[] names) in rooms.Where(r => r.Rooms.Length > 0))
                {
                    Interlocked.Increment(ref _operations);
                    await Database.ScriptEvaluateAsync(RedisScripts.Rejoin, [_keys.NodeRooms(node), _keys.Rooms],
                        [RedisKeys.Hex(node), _keys.Prefix, .. names.Select(n => (RedisValue)n)]).ConfigureAwait(false);
                }

                if (rebuild)
                {
                    _rebuild = false;
                    Interlocked.Increment(ref _rebuilds);
                }
            }
            catch (Exception e) when (IsRedisFailure(e))
            {
                // Redis went away again: the next tick (or its return) tries again.
            }
            finally
            {
                _directory.Release();
            }
        }
    }

    private void OnSignal(ChannelMessage message)
    {
        if (_host is not { } host || ((byte[]?)message.Message) is not { Length: > 1 } payload)
        {
            return;
        }

        Interlocked.Increment(ref _signalsReceived);
        try
        {
            ReadOnlyMemory<byte> body = payload.AsMemory(1);
            switch (payload[0])
            {
                case 0:
                    host.OnConnectRequest(MessageSerializer.Read<ClusterProtocol.ConnectRequest>(body));
                    break;
                case 1:
                    host.OnConnectAnswer(MessageSerializer.Read<ClusterProtocol.ConnectAnswer>(body));
                    break;
                case 2:
                    host.OnRoomNotice(MessageSerializer.Read<ClusterProtocol.RoomNotice>(body));
                    break;
            }
        }
        catch (MessageFormatException)
        {
            // Not a message of this version of the cluster protocol: ignored.
        }
    }

    private void OnRelay(ChannelMessage message)
    {
        if (_host is { } host && ((byte[]?)message.Message) is { } datagram)
        {
            Interlocked.Increment(ref _relayedIn);
            host.OnRelay(datagram);
        }
    }
}
