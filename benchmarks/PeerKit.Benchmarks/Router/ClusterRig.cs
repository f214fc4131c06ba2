using PeerKit.Routing;

namespace PeerKit.Benchmarks.Routers;

/// <summary>
/// What the cluster benchmarks measure on: a redis-server, two routers sharing it, and three clients: Alice and Bob on
/// router 0 (the same-router baseline), Carol on router 1 (across routers). Bob and Carol echo every packet back.
/// </summary>
internal sealed class ClusterRig : IDisposable
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private readonly RedisProcess _redis;
    private TaskCompletionSource _echo = New();
    private int _awaited;
    private int _received;

    private readonly RoutingMode _mode;

    public ClusterRig(RoutingMode mode)
    {
        _mode = mode;
        _redis = RedisProcess.Start(TimeSpan.FromSeconds(15));
        try
        {
            string prefix = $"bench{Guid.NewGuid():N}:";
            Router0 = StartRouter("r0", prefix);
            Router1 = StartRouter("r1", prefix);
            RenewClients();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Replaces the three clients by new ones (new node ids, no sessions between them).</summary>
    public void RenewClients()
    {
        DisposeClients();
        Alice = StartClient(Router0, _mode);
        Bob = StartClient(Router0, _mode);
        Carol = StartClient(Router1, _mode);
        RouterClient alice = Alice;
        alice.Event += (_, e) =>
        {
            if (e.Kind == RoutingEventKind.Data && Interlocked.Increment(ref _received) >= Volatile.Read(ref _awaited))
            {
                _echo.TrySetResult();
            }
        };
        foreach (RouterClient echo in new[] { Bob, Carol })
        {
            echo.Event += (_, e) =>
            {
                if (e.Kind == RoutingEventKind.Data)
                {
                    _ = echo.SendPacketAsync(e.PeerId, e.Data);
                }
            };
        }
    }

    public PeerKit.Routing.Router Router0 { get; } = null!;

    public PeerKit.Routing.Router Router1 { get; } = null!;

    public RouterClient Alice { get; private set; } = null!;

    public RouterClient Bob { get; private set; } = null!;

    public RouterClient Carol { get; private set; } = null!;

    /// <summary>Sends <paramref name="count"/> packets from Alice to <paramref name="to"/> and waits (bounded) for every echo.</summary>
    public void Exchange(NodeId to, byte[] packet, int count)
    {
        _received = 0;
        Volatile.Write(ref _awaited, count);
        _echo = New();
        for (int i = 0; i < count; i++)
        {
            Alice.SendPacketAsync(to, packet).AsTask().GetAwaiter().GetResult();
        }

        if (!_echo.Task.Wait(Bound))
        {
            throw new TimeoutException($"{_received} of {count} echoes came back.");
        }
    }

    public void Dispose()
    {
        DisposeClients();

        Router0?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Router1?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _redis.Dispose();
    }

    private void DisposeClients()
    {
        foreach (RouterClient? client in new[] { Alice, Bob, Carol })
        {
            client?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PeerKit.Routing.Router StartRouter(string id, string prefix)
    {
        var router = new PeerKit.Routing.Router(new RouterOptions
        {
            ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") },
            Cluster = new RouterClusterOptions { ConnectionString = _redis.Url, RouterId = id, KeyPrefix = prefix },
            // Benchmarks send faster than a client's default relay budget allows.
            RelayLimits = new Links.Udp.RelayLimits { MaxBytesPerSecond = 1L << 30, BurstBytes = 1L << 28, MaxBytesPerBinding = long.MaxValue },
            SignalingRate = 1e6,
            SignalingBurst = 1_000_000,
        });
        router.StartAsync().GetAwaiter().GetResult();
        return router;
    }

    private static RouterClient StartClient(PeerKit.Routing.Router router, RoutingMode mode)
    {
        var client = new RouterClient(
            new PeerNodeOptions { ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") } },
            new RouterClientOptions { Router = router.ListenAddresses[0], RoutingMode = mode, ConnectTimeout = Bound, AttachTimeout = TimeSpan.FromSeconds(5) });
        client.StartAsync().GetAwaiter().GetResult();
        return client;
    }
}
