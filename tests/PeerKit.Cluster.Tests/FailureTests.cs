using System.Collections.Concurrent;
using System.Diagnostics;
using PeerKit.Routing;
using static PeerKit.Cluster.Tests.ClusterRig;

namespace PeerKit.Cluster.Tests;

/// <summary>A router that dies, and a Redis that restarts.</summary>
public class FailureTests
{
    [Fact]
    public async Task Clients_of_a_killed_router_move_to_another_and_rejoin_their_rooms_direct_links_lose_nothing_and_the_directory_forgets_it_within_its_ttl()
    {
        await using ClusterRig rig = await StartAsync();
        // Alice knows every router (hers first); Carol knows only hers; Bob is on another router.
        var (alice, _) = await rig.StartClientAsync(0, failover: true, configure: o => { o.ReconnectMinDelay = TimeSpan.FromMilliseconds(100); o.ReconnectMaxDelay = TimeSpan.FromSeconds(1); });
        var (carol, _) = await rig.StartClientAsync(0);
        var (bob, bobChat) = await rig.StartClientAsync(1);
        var states = new ConcurrentQueue<RouterState>();
        alice.RouterStateChanged += (_, s) => states.Enqueue(s);

        await alice.CreateRoomAsync("crew");
        await bob.JoinRoomAsync("crew");
        alice.SetRoutingMode(bob.Id, RoutingMode.P2POnly);
        await alice.ConnectAsync(bob.Id).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(SendResult.P2P, await alice.SendAsync(bob.Id, new TestChat.Line("d-1")));
        Assert.Equal([carol.Id], await bob.WhoIsOnlineAsync([carol.Id]));

        // A stream of reliable messages over the direct link, across the router's death.
        const int count = 200;
        Task sending = Task.Run(async () =>
        {
            for (int i = 0; i < count; i++)
            {
                await alice.SendAsync(bob.Id, new TestChat.Line($"d{i}"));
                await Task.Delay(10);
            }
        });

        await Task.Delay(300);
        NodeAddress dead = rig.Routers[0].ListenAddresses[0];
        var crashed = Stopwatch.StartNew();
        await rig.Routers[0].CrashAsync();
        Assert.Equal("r0", await rig.LocateAsync(carol.Id)); // a crash cleans nothing up

        // Alice moves to another router within the bound (backoff ≤ 1 s, attach ≤ 5 s) and is in her room again.
        await EventuallyAsync(() => alice.State == RouterState.Attached && alice.RouterAddress != dead, "alice attaches to another router", 10_000);
        Assert.Contains(RouterState.Reconnecting, states);
        TimeSpan moved = crashed.Elapsed;
        Assert.True(moved < TimeSpan.FromSeconds(7), $"alice moved after {moved}");
        await EventuallyAsync(async () => await rig.LocateAsync(alice.Id) is "r1" or "r2", "the directory names alice's new router");
        Assert.Equal([alice.Id], await bob.WhoIsOnlineAsync([alice.Id]));

        // She rejoined her room through her new router: room notices reach her there.
        var events = new ConcurrentQueue<RoomEvent>();
        alice.RoomChanged += (_, e) => events.Enqueue(e);
        await EventuallyAsync(() => alice.RoomMembers("crew").Contains(bob.Id), "alice's room has bob");
        await bob.LeaveRoomAsync("crew");
        await bob.JoinRoomAsync("crew");
        await EventuallyAsync(() => events.Count(e => e.Member == bob.Id) == 2, "alice hears bob leave and join at her new router");
        Assert.Equal([false, true], events.Select(e => e.Joined));

        // Nothing sent over the direct link was lost, duplicated or reordered.
        await sending.WaitAsync(TimeSpan.FromSeconds(30));
        await EventuallyAsync(() => bobChat.Lines.Count >= count + 1, $"bob gets all {count + 1} lines", 20_000);
        await Task.Delay(200);
        Assert.Equal(["d-1", .. Enumerable.Range(0, count).Select(i => $"d{i}")], bobChat.Lines.Select(l => l.Text));

        // Carol could not move: her directory entry expires within the time to live (refreshed by nobody).
        await EventuallyAsync(async () => (await bob.WhoIsOnlineAsync([carol.Id])).Count == 0, "the directory forgets carol",
            (int)SessionTtl.TotalMilliseconds + 5_000);
        Assert.True(crashed.Elapsed < SessionTtl + TimeSpan.FromSeconds(1.5), $"forgotten {crashed.Elapsed} after the crash (time to live {SessionTtl})");
        Assert.Null(await rig.LocateAsync(carol.Id));
        Assert.Equal([alice.Id], await bob.WhoIsOnlineAsync([alice.Id]));
    }

    [Fact]
    public async Task A_room_whose_members_all_went_down_with_their_router_frees_its_name_once_their_sessions_expire()
    {
        await using ClusterRig rig = await StartAsync();
        var (carol, _) = await rig.StartClientAsync(0); // knows only her router: she does not come back
        var (bob, _) = await rig.StartClientAsync(1);
        await carol.CreateRoomAsync("camp");
        RouterRequestException taken = await Assert.ThrowsAsync<RouterRequestException>(() => bob.CreateRoomAsync("camp"));
        Assert.Equal(RouterStatus.RoomExists, taken.Status);

        await rig.Routers[0].CrashAsync(); // nothing is cleaned up: carol's session key expires by itself
        await EventuallyAsync(async () => await rig.LocateAsync(carol.Id) is null, "carol's session key expires", (int)SessionTtl.TotalMilliseconds + 5_000);

        // Her room held only her: it is no room any more, and its name can be created again.
        IReadOnlyList<NodeId> members = await bob.CreateRoomAsync("camp");
        Assert.Equal([bob.Id], members);
    }

    [Fact]
    public async Task After_a_Redis_restart_routers_reconnect_and_rebuild_the_directory_and_same_router_traffic_flows_meanwhile()
    {
        await using ClusterRig rig = await StartAsync(routers: 2);
        var (alice, _) = await rig.StartClientAsync(0);
        var (bob, bobChat) = await rig.StartClientAsync(0);
        var (carol, carolChat) = await rig.StartClientAsync(1);
        await alice.CreateRoomAsync("ops");
        await carol.JoinRoomAsync("ops");

        rig.Redis.Kill();
        await EventuallyAsync(() => !rig.Routers[0].GetClusterStatistics().IsConnected, "router 0 sees Redis gone");

        // Same router: connect and send while Redis is down.
        await alice.ConnectAsync(bob.Id).WaitAsync(TimeSpan.FromSeconds(20));
        await alice.SendAsync(bob.Id, new TestChat.Line("same router, no Redis"));
        await EventuallyAsync(() => bobChat.Lines.Count == 1, "bob gets the line");

        // Across routers: a typed failure, at once.
        var clock = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAsync<RoutedConnectException>(() => alice.ConnectAsync(carol.Id).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(ConnectFailure.ClusterUnavailable, failure.Failure);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"failed after {clock.Elapsed}");
        var refusal = await Assert.ThrowsAsync<RouterRequestException>(() => bob.JoinRoomAsync("ops"));
        Assert.Equal(RouterStatus.ClusterUnavailable, refusal.Status);

        // Redis comes back empty: the routers reconnect and register their sessions and rooms again.
        await rig.Redis.StartAgainAsync();
        await EventuallyAsync(() => rig.Routers.All(r => r.GetClusterStatistics() is { IsConnected: true, Rebuilds: >= 1 }), "both routers rebuilt", 20_000);
        await EventuallyAsync(async () => (await alice.WhoIsOnlineAsync([carol.Id])).Count == 1, "carol is in the directory again");
        await alice.ConnectAsync(carol.Id).WaitAsync(TimeSpan.FromSeconds(20));
        await alice.SendAsync(carol.Id, new TestChat.Line("across routers again"));
        await EventuallyAsync(() => carolChat.Lines.Count == 1, "carol gets the line");
        Assert.Equal(["ops"], await bob.ListRoomsAsync());
        IReadOnlyList<NodeId> members = await bob.JoinRoomAsync("ops");
        Assert.Equal(new[] { alice.Id, bob.Id, carol.Id }.OrderBy(i => i.ToString()), members.OrderBy(i => i.ToString()));
    }

    [Fact]
    public async Task A_router_whose_Redis_cannot_be_reached_does_not_start_and_says_why()
    {
        using RedisServer redis = await RedisServer.StartAsync();
        int port = redis.Port;
        redis.Kill();
        var options = new RouterOptions
        {
            ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") },
            Cluster = new RouterClusterOptions { ConnectionString = $"redis://127.0.0.1:{port}", RedisTimeout = TimeSpan.FromSeconds(1) },
        };
        await using var router = new PeerKit.Routing.Router(options);
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ClusterUnavailableException>(() => router.StartAsync());
        Assert.Contains($"127.0.0.1:{port}", error.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"gave up after {clock.Elapsed}");
    }
}
