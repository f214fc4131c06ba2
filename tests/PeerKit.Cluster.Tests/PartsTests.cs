using PeerKit.Routing;

namespace PeerKit.Cluster.Tests;

/// <summary>The cluster's parts alone, with time as a parameter.</summary>
public class PartsTests
{
    [Fact]
    public void The_publish_queue_refuses_what_would_pass_its_byte_limit_and_counts_it()
    {
        var queue = new PublishQueue(1000);
        Assert.True(queue.TryReserve(600));
        Assert.True(queue.TryReserve(400));
        Assert.False(queue.TryReserve(1));
        Assert.Equal(1000, queue.Bytes);
        Assert.Equal(1, queue.Refused);
        queue.Release(600);
        Assert.True(queue.TryReserve(500));
        Assert.False(queue.TryReserve(101));
        Assert.Equal(900, queue.Bytes);
        Assert.Equal(2, queue.Refused);
    }

    [Fact]
    public void The_publish_queue_holds_its_limit_under_concurrent_publishers()
    {
        var queue = new PublishQueue(10_000);
        int reserved = 0;
        Parallel.For(0, 10_000, _ =>
        {
            if (queue.TryReserve(7))
            {
                Interlocked.Add(ref reserved, 7);
            }
        });
        Assert.True(reserved <= 10_000, $"{reserved} bytes reserved");
        Assert.Equal(reserved, queue.Bytes);
    }

    [Fact]
    public async Task Without_Redis_a_relayed_datagram_is_dropped_and_counted_and_a_signal_fails_typed()
    {
        var options = new RouterOptions();
        await using var backplane = new RedisBackplane(options, new RouterClusterOptions(), "r0");
        backplane.PublishRelay("r1", new byte[100]);
        backplane.PublishRelay("r1", new byte[100]);
        ClusterStatistics statistics = backplane.GetStatistics();
        Assert.Equal(2, statistics.RelayDropped);
        Assert.Equal(0, statistics.RelayedOut);
        Assert.Equal(0, statistics.QueuedBytes);
        var error = await Assert.ThrowsAsync<ClusterUnavailableException>(async () =>
            await backplane.SignalAsync("r1", new ClusterProtocol.RoomNotice("lobby", new byte[32], true, [])));
        Assert.Contains("unreachable", error.Message);
        Assert.Equal(1, backplane.GetStatistics().SignalsFailed);
        await Assert.ThrowsAsync<ClusterUnavailableException>(async () => await backplane.LocateAsync(new NodeId(new byte[32])));
    }

    [Fact]
    public async Task The_local_backplane_keeps_rooms_in_the_process_and_knows_no_other_router()
    {
        await using var local = new LocalBackplane(new RouterOptions { MaxRoomMembers = 2 }, "solo");
        Assert.False(local.IsClustered);
        NodeId a = new(Enumerable.Repeat((byte)1, 32).ToArray()), b = new(Enumerable.Repeat((byte)2, 32).ToArray()), c = new(Enumerable.Repeat((byte)3, 32).ToArray());
        Assert.Equal(RouterStatus.Ok, (await local.EnterRoomAsync("r", a, create: true)).Status);
        RoomChange joined = await local.EnterRoomAsync("r", b, create: false);
        Assert.True(joined.Changed);
        Assert.Equal([a, b], joined.Members);
        Assert.False((await local.EnterRoomAsync("r", b, create: false)).Changed);
        Assert.Equal(RouterStatus.RoomFull, (await local.EnterRoomAsync("r", c, create: false)).Status);
        Assert.Null(await local.LocateAsync(c));
        RoomChange[] left = await local.SessionEndedAsync(a);
        Assert.Equal("r", Assert.Single(left).Name);
        Assert.Equal([b], left[0].Members);
        await Assert.ThrowsAsync<ClusterUnavailableException>(async () => await local.SignalAsync("x", new ClusterProtocol.RoomNotice("r", new byte[32], true, [])));
    }

    [Fact]
    public void Router_rotation_moves_to_the_next_router_and_passes_over_those_that_failed_recently()
    {
        NodeAddress a = NodeAddress.Parse("udp://127.0.0.1:1"), b = NodeAddress.Parse("udp://127.0.0.1:2"), c = NodeAddress.Parse("udp://127.0.0.1:3");
        var rotation = new RouterRotation([a, b, c], TimeSpan.FromSeconds(30));
        Assert.Equal(a, rotation.Current);
        Assert.Equal(b, rotation.Failed(nowMs: 1_000));
        Assert.Equal(c, rotation.Failed(nowMs: 2_000));
        // All three failed within the hold: the one that failed longest ago.
        Assert.Equal(a, rotation.Failed(nowMs: 3_000));
        Assert.Equal(b, rotation.Failed(nowMs: 4_000));
        rotation.Attached();
        // b answered: when it fails again, c and a failed recently, so the longest ago of them is next (c at 2 s).
        Assert.Equal(c, rotation.Failed(nowMs: 5_000));
        // Past the hold, the next in order again.
        Assert.Equal(a, rotation.Failed(nowMs: 40_000));
    }

    [Fact]
    public void Router_rotation_with_one_router_tries_it_again()
    {
        NodeAddress a = NodeAddress.Parse("udp://127.0.0.1:1");
        var rotation = new RouterRotation([a], TimeSpan.FromSeconds(30));
        Assert.Equal(a, rotation.Failed(nowMs: 0));
        Assert.Equal(a, rotation.Failed(nowMs: 1));
        Assert.Throws<ArgumentException>(() => new RouterRotation([], TimeSpan.Zero));
    }

    [Fact]
    public void A_client_needs_a_router_or_a_router_list()
    {
        Assert.Throws<ArgumentException>(() => new RouterClient(new PeerNodeOptions(), new RouterClientOptions()));
        var options = new RouterClientOptions { Routers = { NodeAddress.Parse("udp://127.0.0.1:1"), NodeAddress.Parse("udp://127.0.0.1:2") } };
        var client = new RouterClient(new PeerNodeOptions { ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") } }, options);
        Assert.Equal(options.Routers[0], client.RouterAddress);
    }

    [Theory]
    [InlineData("redis://127.0.0.1:6390", "127.0.0.1:6390")]
    [InlineData("redis://cache.example", "cache.example:6379")]
    [InlineData("redis://:s3cret@10.0.0.2:7000", "10.0.0.2:7000,password=s3cret")]
    [InlineData("redis://[::1]:6379", "[::1]:6379")]
    [InlineData("10.0.0.2:7000,password=x", "10.0.0.2:7000,password=x")]
    public void Cluster_addresses_become_redis_configurations(string address, string configuration) =>
        Assert.Equal(configuration, RouterClusterOptions.ToRedisConfiguration(address));

    [Fact]
    public void Bad_cluster_options_are_refused_with_the_option_named()
    {
        Assert.Equal("SessionTtl", Assert.ThrowsAny<ArgumentException>(() => new RouterClusterOptions { SessionTtl = TimeSpan.FromMilliseconds(10) }.Validate()).ParamName);
        Assert.Equal("RouterId", Assert.ThrowsAny<ArgumentException>(() => new RouterClusterOptions { RouterId = "a b" }.Validate()).ParamName);
        Assert.Equal("MaxPublishQueueBytes", Assert.ThrowsAny<ArgumentException>(() => new RouterClusterOptions { MaxPublishQueueBytes = 10 }.Validate()).ParamName);
        Assert.Throws<ArgumentException>(() => RouterClusterOptions.ToRedisConfiguration("redis://"));
        Assert.ThrowsAny<ArgumentException>(() => new PeerKit.Routing.Router(new RouterOptions { Cluster = new RouterClusterOptions { SessionTtl = TimeSpan.Zero } }));
    }

    [Fact]
    public void Cluster_messages_round_trip_and_a_malformed_one_is_refused()
    {
        var request = new ClusterProtocol.ConnectRequest("r1", 0x8000_0001, new byte[32], Enumerable.Repeat((byte)7, 32).ToArray(), "lobby",
            RoutingMode.PreferP2P, ["udp://10.0.0.1:5000"], 1234);
        byte[] bytes = MessageSerializer.ToArray(request);
        ClusterProtocol.ConnectRequest back = MessageSerializer.Read<ClusterProtocol.ConnectRequest>(bytes);
        Assert.Equal(request.FromRouter, back.FromRouter);
        Assert.Equal(request.Target, back.Target);
        Assert.Equal(request.Addresses, back.Addresses);
        Assert.Equal(1234u, back.RelayChannel);
        Assert.False(MessageSerializer.TryRead<ClusterProtocol.ConnectRequest>(bytes.AsSpan(0, bytes.Length / 2), out _));
    }
}
