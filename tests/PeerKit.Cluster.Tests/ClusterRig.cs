using System.Diagnostics;
using PeerKit.Routing;

namespace PeerKit.Cluster.Tests;

/// <summary>A redis-server, three routers in-process sharing it, and the clients a test starts; all disposed by the test (Redis last).</summary>
internal sealed class ClusterRig : IAsyncDisposable
{
    private readonly List<(RouterClient Client, TestChat Chat)> _clients = [];

    private ClusterRig(RedisServer redis, string prefix)
    {
        Redis = redis;
        Prefix = prefix;
    }

    public RedisServer Redis { get; }

    /// <summary>The key prefix of this rig's cluster.</summary>
    public string Prefix { get; }

    public List<PeerKit.Routing.Router> Routers { get; } = [];

    /// <summary>The session directory's time to live in these tests.</summary>
    public static TimeSpan SessionTtl { get; } = TimeSpan.FromSeconds(3);

    public static async Task<ClusterRig> StartAsync(int routers = 3, string? prefix = null)
    {
        RedisServer redis = await RedisServer.StartAsync();
        var rig = new ClusterRig(redis, prefix ?? $"test{Guid.NewGuid():N}:");
        try
        {
            for (int i = 0; i < routers; i++)
            {
                rig.Routers.Add(await rig.StartRouterAsync($"r{i}"));
            }
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }

        return rig;
    }

    public RouterOptions RouterOptions(string id) => new()
    {
        ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") },
        Cluster = new RouterClusterOptions { ConnectionString = Redis.Url, RouterId = id, SessionTtl = SessionTtl, KeyPrefix = Prefix },
    };

    public async Task<PeerKit.Routing.Router> StartRouterAsync(string id)
    {
        var router = new PeerKit.Routing.Router(RouterOptions(id));
        try
        {
            await router.StartAsync();
        }
        catch
        {
            await router.DisposeAsync();
            throw;
        }

        return router;
    }

    /// <summary>A client attached to router <paramref name="home"/>; with <paramref name="failover"/>, it knows the other routers too (after its own).</summary>
    public Task<(RouterClient Client, TestChat Chat)> StartClientAsync(int home, bool failover = false, Action<RouterClientOptions>? configure = null) =>
        StartClientAsync(Routers[home].ListenAddresses[0], failover ? [.. Routers.Where((_, i) => i != home).Select(r => r.ListenAddresses[0])] : [], configure);

    /// <summary>A client attached to the router at <paramref name="router"/>, knowing <paramref name="others"/> too.</summary>
    public async Task<(RouterClient Client, TestChat Chat)> StartClientAsync(NodeAddress router, NodeAddress[] others, Action<RouterClientOptions>? configure = null)
    {
        var chat = new TestChat();
        var options = new RouterClientOptions
        {
            Router = router,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AttachTimeout = TimeSpan.FromSeconds(5),
            RequestTimeout = TimeSpan.FromSeconds(5),
        };
        foreach (NodeAddress other in others)
        {
            options.Routers.Add(other);
        }

        configure?.Invoke(options);
        var client = new RouterClient(new PeerNodeOptions { ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") }, Protocols = { chat } }, options);
        try
        {
            await client.StartAsync();
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }

        _clients.Add((client, chat));
        return (client, chat);
    }

    /// <summary>The router the directory in Redis names for <paramref name="node"/> (null: none), read with a connection of the test's own.</summary>
    public async Task<string?> LocateAsync(NodeId node)
    {
        await using StackExchange.Redis.ConnectionMultiplexer redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{Redis.Port}");
        StackExchange.Redis.RedisValue value = await redis.GetDatabase().StringGetAsync($"{Prefix}session:{Convert.ToHexString(node.ToArray())}");
        return value.IsNull ? null : value.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (client, _) in _clients)
        {
            await client.DisposeAsync();
        }

        foreach (PeerKit.Routing.Router router in Routers)
        {
            await router.DisposeAsync();
        }

        Redis.Dispose();
    }

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds; fails with <paramref name="what"/> otherwise.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what, int timeoutMs = 10_000)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.ElapsedMilliseconds > timeoutMs)
            {
                Assert.Fail($"Timed out after {timeoutMs} ms waiting for: {what}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds; fails with <paramref name="what"/> otherwise.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int timeoutMs = 10_000)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.ElapsedMilliseconds > timeoutMs)
            {
                Assert.Fail($"Timed out after {timeoutMs} ms waiting for: {what}");
            }

            await Task.Delay(50);
        }
    }
}
