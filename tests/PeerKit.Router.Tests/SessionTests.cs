using System.Diagnostics;
using PeerKit.Routing;
using static PeerKit.Router.Tests.Loopback;

namespace PeerKit.Router.Tests;

public class SessionTests
{
    private static readonly byte[] Secret = Enumerable.Range(0, 32).Select(i => (byte)(i * 13 + 1)).ToArray();

    [Fact]
    public async Task A_client_disposed_twice_goes_offline_once_and_the_second_dispose_does_nothing()
    {
        await using var router = await StartRouterAsync();
        var (alice, _) = await StartClientAsync(router.ListenAddresses[0]);
        var (bob, _) = await StartClientAsync(router.ListenAddresses[0]);
        await using (bob)
        {
            Assert.Equal([alice.Id], await bob.WhoIsOnlineAsync([alice.Id]));
            await alice.DisposeAsync();
            await alice.DisposeAsync(); // threw ObjectDisposedException before
            Assert.Equal(RouterState.Closed, alice.State);
            await EventuallyAsync(() => bob.WhoIsOnlineAsync([alice.Id]).Result.Count == 0, "the router forgets alice");
        }
    }

    [Fact]
    public async Task A_session_opens_with_the_node_id_and_learns_its_observed_udp_address()
    {
        await using var router = await StartRouterAsync();
        var (client, _) = await StartClientAsync(router.ListenAddresses[0]);
        await using (client)
        {
            Assert.Equal(RouterState.Attached, client.State);
            Assert.Equal(router.Id, client.RouterId);
            int port = client.Node.ListenAddresses[0].Port;
            Assert.Equal($"udp://127.0.0.1:{port}", client.ObservedAddress);
            Assert.True(router.Node.TryGetPeer(client.Id, out _));
            Assert.Equal(1, router.SessionCount);
        }
    }

    [Fact]
    public async Task A_session_without_a_token_is_refused_as_unauthorised_when_the_router_asks_for_one()
    {
        await using var router = await StartRouterAsync(o => o.TokenSecret = Secret);
        var error = await Assert.ThrowsAsync<RouterRequestException>(() => StartClientAsync(router.ListenAddresses[0]));
        Assert.Equal(RouterStatus.Unauthorised, error.Status);
        Assert.Equal(0, router.SessionCount);
        Assert.True(router.RefusedSessionCount >= 1);
    }

    [Fact]
    public async Task An_expired_token_is_refused_as_expired_and_a_valid_one_opens()
    {
        await using var router = await StartRouterAsync(o => o.TokenSecret = Secret);
        var key = NodeKey.Generate();
        var chat = new TestChat();
        await using (var expired = new RouterClient(
            new PeerNodeOptions { Identity = key, ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") } },
            new RouterClientOptions { Router = router.ListenAddresses[0], Token = RouterAccessToken.Create(Secret, key.Id, DateTimeOffset.UtcNow.AddMinutes(-1)) }))
        {
            var error = await Assert.ThrowsAsync<RouterRequestException>(() => expired.StartAsync());
            Assert.Equal(RouterStatus.Expired, error.Status);
            Assert.Contains("expired", error.Message, StringComparison.OrdinalIgnoreCase);
        }

        var other = NodeKey.Generate();
        await using (var stolen = new RouterClient(
            new PeerNodeOptions { Identity = other, ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") } },
            new RouterClientOptions { Router = router.ListenAddresses[0], Token = RouterAccessToken.Create(Secret, key.Id, DateTimeOffset.UtcNow.AddHours(1)) }))
        {
            var error = await Assert.ThrowsAsync<RouterRequestException>(() => stolen.StartAsync());
            Assert.Equal(RouterStatus.Unauthorised, error.Status);
        }

        var key2 = NodeKey.Generate();
        await using var valid = new RouterClient(
            new PeerNodeOptions { Identity = key2, ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") } },
            new RouterClientOptions { Router = router.ListenAddresses[0], Token = RouterAccessToken.Create(Secret, key2.Id, DateTimeOffset.UtcNow.AddHours(1)) });
        await valid.StartAsync();
        Assert.Equal(RouterState.Attached, valid.State);
        Assert.Equal(1, router.SessionCount);
    }

    [Fact]
    public void A_token_checks_its_mac_its_node_and_its_expiry()
    {
        NodeId a = NodeKey.Generate().Id, b = NodeKey.Generate().Id;
        var now = new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
        RouterAccessToken token = RouterAccessToken.Create(Secret, a, now.AddSeconds(10));
        Assert.Equal(RouterStatus.Ok, RouterAccessToken.Check(token, Secret, a, now));
        Assert.Equal(RouterStatus.Expired, RouterAccessToken.Check(token, Secret, a, now.AddSeconds(10)));
        Assert.Equal(RouterStatus.Unauthorised, RouterAccessToken.Check(token, Secret, b, now));
        Assert.Equal(RouterStatus.Unauthorised, RouterAccessToken.Check(token with { ExpiresAt = token.ExpiresAt + 3600 }, Secret, a, now));
        Assert.Equal(RouterStatus.Unauthorised, RouterAccessToken.Check(null, Secret, a, now));
        Assert.Equal(RouterStatus.Unauthorised, RouterAccessToken.Check(token with { Mac = [1, 2] }, Secret, a, now));
        Assert.Throws<ArgumentException>(() => RouterAccessToken.Create(new byte[8], a, now));
    }

    [Fact]
    public async Task Router_down_at_start_is_a_typed_error_within_the_attach_timeout()
    {
        // A router id and a port nobody answers on.
        var nobody = NodeAddress.Parse($"udp://{NodeKey.Generate().Id}@127.0.0.1:9");
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<RouterUnavailableException>(() => StartClientAsync(nobody, o => o.AttachTimeout = TimeSpan.FromSeconds(1)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.Equal(nobody, error.Router);
    }

    [Fact]
    public async Task Presence_lists_online_nodes_and_not_offline_ones()
    {
        await using var router = await StartRouterAsync();
        var (alice, _) = await StartClientAsync(router.ListenAddresses[0]);
        var (bob, _) = await StartClientAsync(router.ListenAddresses[0]);
        await using (alice)
        {
            NodeId offline = NodeKey.Generate().Id;
            NodeId bobId = bob.Id;
            await using (bob)
            {
                IReadOnlyList<NodeId> online = await alice.WhoIsOnlineAsync([bobId, offline]);
                Assert.Equal([bobId], online);
                Assert.Equal([bobId], await alice.WhoIsOnlineAsync());
            }

            await EventuallyAsync(() => router.SessionCount == 1, "bob's session ends at the router");
            Assert.Empty(await alice.WhoIsOnlineAsync([bobId]));
        }
    }

    [Fact]
    public async Task A_signaling_flood_is_throttled_while_other_sessions_are_served()
    {
        await using var router = await StartRouterAsync(o => { o.SignalingRate = 20; o.SignalingBurst = 40; });
        var (flooder, _) = await StartClientAsync(router.ListenAddresses[0]);
        var (calm, _) = await StartClientAsync(router.ListenAddresses[0]);
        await using (flooder)
        await using (calm)
        {
            Assert.True(flooder.Node.TryGetPeer(router.Id, out Peer? routerPeer));
            for (uint i = 0; i < 2000; i++)
            {
                await routerPeer.SendAsync(new RouterProtocol.Who(1_000_000 + i, []));
            }

            await EventuallyAsync(() => router.ThrottledCount >= 1500, "the router throttles the flood");
            var clock = Stopwatch.StartNew();
            IReadOnlyList<NodeId> online = await calm.WhoIsOnlineAsync([flooder.Id]);
            Assert.Equal([flooder.Id], online);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"the calm client waited {clock.Elapsed}");

            // The flooder's own requests are refused with a reason while its bucket is empty, then served again.
            await Task.Delay(2500);
            for (int i = 0; i < 50; i++)
            {
                await routerPeer.SendAsync(new RouterProtocol.Who(2_000_000 + (uint)i, []));
            }

            RouterRequestException throttled = await Assert.ThrowsAsync<RouterRequestException>(() => flooder.WhoIsOnlineAsync([calm.Id]));
            Assert.Equal(RouterStatus.Throttled, throttled.Status);
            await Task.Delay(2500);
            Assert.Equal([calm.Id], await flooder.WhoIsOnlineAsync([calm.Id]));
        }
    }

    [Fact]
    public async Task Malformed_control_messages_are_refused_and_the_router_keeps_serving()
    {
        await using var router = await StartRouterAsync();
        var (alice, _) = await StartClientAsync(router.ListenAddresses[0]);
        await using (alice)
        {
            Assert.True(alice.Node.TryGetPeer(router.Id, out Peer? routerPeer));

            // Well-formed protobuf, wrong content: refused with a reason, the session stays.
            long before = router.MalformedCount;
            RoutedConnectException bad = await Assert.ThrowsAsync<RoutedConnectException>(() => alice.ConnectAsync(alice.Id));
            Assert.Equal(ConnectFailure.Unavailable, bad.Failure);
            await routerPeer.SendAsync(new RouterProtocol.Connect(77, [1, 2, 3], "", RoutingMode.PreferP2P));
            await routerPeer.SendAsync(new RouterProtocol.Answer(12345, true, false));
            var roomError = await Assert.ThrowsAsync<RouterRequestException>(() => alice.CreateRoomAsync(new string('x', 65)));
            Assert.Equal(RouterStatus.Malformed, roomError.Status);
            await EventuallyAsync(() => router.MalformedCount >= before + 3, "the router counts the malformed requests");
            Assert.True(routerPeer.IsConnected);

            // Bytes that do not decode (invalid UTF-8 in a room name): a breach of protocol, that session ends.
            await using var hostile = new PeerNode(new PeerNodeOptions { Protocols = { new RawRouterClient() } });
            await hostile.StartAsync();
            Peer hostileSession = await hostile.ConnectAsync(router.ListenAddresses[0]);
            await hostileSession.SendAsync(new RawRouterClient.BadJoinRoom(1, [0xFF, 0xFE, 0x80]));
            PeerDisconnect end = await hostileSession.Completion.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(DisconnectReason.BreachOfProtocol, end.Reason);

            // Everyone else is still served.
            Assert.Empty(await alice.WhoIsOnlineAsync());
            Assert.Equal(RouterState.Attached, alice.State);
        }
    }
}

public class TcpSessionTests
{
    [Fact]
    public async Task A_client_on_tcp_attaches_and_reaches_a_udp_client_directly_without_the_relay()
    {
        await using var router = await StartRouterAsync(o => o.ListenAddresses.Add(NodeAddress.Parse("tcp://127.0.0.1:0")));
        NodeAddress tcp = router.ListenAddresses.Single(a => a.Scheme == NodeAddress.Tcp);
        NodeAddress udp = router.ListenAddresses.Single(a => a.Scheme == NodeAddress.Udp);
        var (onTcp, _) = await StartClientAsync(tcp);
        var (onUdp, udpChat) = await StartClientAsync(udp);
        await using (onTcp)
        await using (onUdp)
        {
            Assert.Equal(RouterState.Attached, onTcp.State);
            Assert.Null(onTcp.ObservedAddress);
            Assert.NotNull(onUdp.ObservedAddress);
            Assert.Equal([onUdp.Id], await onTcp.WhoIsOnlineAsync([onUdp.Id]));

            Peer peer = await onTcp.ConnectAsync(onUdp.Id);
            Assert.Equal(0, router.RelayBindingCount);
            Assert.Equal(SendResult.P2P, await onTcp.SendAsync(onUdp.Id, new TestChat.Line("over a direct path")));
            await EventuallyAsync(() => udpChat.Lines.Count == 1, "the UDP client gets the line");
            Assert.IsType<PeerKit.Links.Udp.UdpLink>(peer.Link);
        }
    }
}

public class NoDirectPathTests
{
    [Fact]
    public async Task P2p_only_fails_with_no_direct_path_within_the_connect_timeout_when_no_side_has_a_udp_candidate()
    {
        await using var router = await StartRouterAsync(o => o.ListenAddresses.Add(NodeAddress.Parse("tcp://127.0.0.1:0")));
        NodeAddress tcp = router.ListenAddresses.Single(a => a.Scheme == NodeAddress.Tcp);
        // Two nodes on TCP only: no observed UDP address and no UDP listen address on either side, so no candidate.
        var alice = new RouterClient(
            new PeerNodeOptions { ListenAddresses = { NodeAddress.Parse("tcp://127.0.0.1:0") } },
            new RouterClientOptions { Router = tcp, RoutingMode = RoutingMode.P2POnly, ConnectTimeout = TimeSpan.FromSeconds(2) });
        await alice.StartAsync();
        await using var tcpOnly = new RouterClient(
            new PeerNodeOptions { ListenAddresses = { NodeAddress.Parse("tcp://127.0.0.1:0") } },
            new RouterClientOptions { Router = tcp });
        await tcpOnly.StartAsync();
        await using (alice)
        {
            var events = new System.Collections.Concurrent.ConcurrentQueue<RoutingEvent>();
            alice.Event += (_, e) => events.Enqueue(e);
            var clock = Stopwatch.StartNew();
            RoutedConnectException error = await Assert.ThrowsAsync<RoutedConnectException>(() => alice.ConnectAsync(tcpOnly.Id));
            Assert.Equal(ConnectFailure.NoDirectPath, error.Failure);
            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(8));
            Assert.Contains(events, e => e.Kind == RoutingEventKind.ConnectionFailed && e.Failure == ConnectFailure.NoDirectPath);
            Assert.Contains(events, e => e.Kind == RoutingEventKind.StateChanged && e.State == ConnectionState.Timeout);
            Assert.Equal(0, router.RelayBindingCount);
        }
    }
}
