using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using PeerKit.Routing;
using static PeerKit.Router.Tests.Loopback;

namespace PeerKit.Router.Tests;

public class WebSocketSessionTests
{
    private static Task<PeerKit.Routing.Router> StartWebSocketRouterAsync(Action<RouterOptions>? configure = null) =>
        StartRouterAsync(o =>
        {
            o.ListenAddresses.Add(NodeAddress.Parse("ws://127.0.0.1:0"));
            configure?.Invoke(o);
        });

    [Fact]
    public async Task The_router_listens_on_ws_at_the_default_path_and_publishes_its_id_there()
    {
        await using var router = await StartWebSocketRouterAsync();
        NodeAddress ws = router.ListenAddresses.Single(a => a.Scheme == NodeAddress.WebSocket);
        Assert.Equal("/peerkit", ws.Path);
        Assert.Equal(router.Id, ws.Id);
        Assert.NotEqual(0, ws.Port);
        Assert.Matches(@"^ws://[0-9a-f]{64}@127\.0\.0\.1:\d+/peerkit$", ws.ToString());
    }

    [Fact]
    public async Task Two_clients_on_ws_see_each_other_connect_by_node_id_and_share_a_room()
    {
        await using var router = await StartWebSocketRouterAsync();
        NodeAddress ws = router.ListenAddresses.Single(a => a.Scheme == NodeAddress.WebSocket);
        var (alice, aliceChat) = await StartClientAsync(ws);
        var (bob, bobChat) = await StartClientAsync(ws);
        await using (alice)
        await using (bob)
        {
            Assert.Equal(RouterState.Attached, alice.State);
            Assert.IsType<PeerKit.Links.WebSockets.WebSocketLink>(alice.Node.Peers.Single(p => p.Id == router.Id).Link);
            Assert.Null(alice.ObservedAddress); // no UDP session, so no server-reflexive candidate
            Assert.Equal([bob.Id], await alice.WhoIsOnlineAsync([bob.Id]));
            Assert.Contains(alice.Id, await bob.WhoIsOnlineAsync());

            // Connect by node id: signaling over the WebSocket sessions, the link itself direct over UDP (host candidates).
            Peer peer = await alice.ConnectAsync(bob.Id);
            Assert.Equal(bob.Id, peer.Id);
            Assert.Equal(0, router.RelayBindingCount);
            Assert.Equal(SendResult.P2P, await alice.SendAsync(bob.Id, new TestChat.Line("hello over a direct path")));
            await EventuallyAsync(() => bobChat.Lines.Count == 1, "bob gets alice's line");
            Assert.Equal((alice.Id, "hello over a direct path"), bobChat.Lines.Single());

            // Rooms over the WebSocket sessions.
            Assert.Equal([alice.Id], await alice.CreateRoomAsync("ws-room"));
            Assert.Contains(bob.Id, await bob.JoinRoomAsync("ws-room"));
            await EventuallyAsync(() => alice.RoomMembers("ws-room").Count == 2, "alice sees bob join");
            Assert.Equal(1, await bob.SendToRoomAsync("ws-room", new TestChat.Line("to the room")));
            await EventuallyAsync(() => aliceChat.Lines.Count == 1, "alice gets the room line");
            Assert.Equal((bob.Id, "to the room"), aliceChat.Lines.Single());
            Assert.Single(bobChat.Lines); // a sender is not a recipient of its own room message
        }
    }

    [Fact]
    public async Task A_client_dialing_the_wrong_path_or_a_dead_port_gets_router_unavailable_quickly()
    {
        await using var router = await StartWebSocketRouterAsync();
        NodeAddress ws = router.ListenAddresses.Single(a => a.Scheme == NodeAddress.WebSocket);
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<RouterUnavailableException>(() => StartClientAsync(ws with { Path = "/elsewhere" }));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        await Assert.ThrowsAsync<RouterUnavailableException>(() => StartClientAsync(ws with { Port = FreeTcpPort() }));
    }

    [Fact]
    public async Task Plain_http_requests_get_http_errors_and_the_router_keeps_serving()
    {
        await using var router = await StartWebSocketRouterAsync();
        NodeAddress ws = router.ListenAddresses.Single(a => a.Scheme == NodeAddress.WebSocket);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        HttpResponseMessage notUpgrade = await http.GetAsync($"http://127.0.0.1:{ws.Port}/peerkit");
        Assert.Equal(HttpStatusCode.UpgradeRequired, notUpgrade.StatusCode);
        HttpResponseMessage wrongPath = await http.GetAsync($"http://127.0.0.1:{ws.Port}/other");
        Assert.Equal(HttpStatusCode.NotFound, wrongPath.StatusCode);

        var (client, _) = await StartClientAsync(ws);
        await using (client)
        {
            Assert.Equal(RouterState.Attached, client.State);
        }
    }

    [Fact]
    public async Task Text_messages_garbage_and_silent_clients_fail_their_handshake_and_others_still_attach()
    {
        await using var router = await StartWebSocketRouterAsync(o => o.Node.HandshakeTimeout = TimeSpan.FromMilliseconds(500));
        NodeAddress ws = router.ListenAddresses.Single(a => a.Scheme == NodeAddress.WebSocket);
        PeerNode listener = router.Node; // its failed handshakes count every listener's (UDP: none here)
        Uri uri = ws.ToWebSocketUri();

        using var text = new ClientWebSocket();
        await text.ConnectAsync(uri, CancellationToken.None);
        await text.SendAsync("PKL hello"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);

        using var garbage = new ClientWebSocket();
        await garbage.ConnectAsync(uri, CancellationToken.None);
        await garbage.SendAsync(new byte[] { 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02 }, WebSocketMessageType.Binary, true, CancellationToken.None);

        using var silent = new ClientWebSocket();
        await silent.ConnectAsync(uri, CancellationToken.None);

        await EventuallyAsync(() => listener.FailedHandshakeCount >= 3, $"three failed handshakes ({listener.FailedHandshakeCount})");
        // The router closed each of them: their next receive ends (close or abort), bounded.
        foreach (ClientWebSocket socket in new[] { text, garbage, silent })
        {
            using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                ValueWebSocketReceiveResult result = await socket.ReceiveAsync(new byte[64].AsMemory(), bounded.Token);
                Assert.Equal(WebSocketMessageType.Close, result.MessageType);
            }
            catch (WebSocketException)
            {
                // Aborted: as good as closed.
            }
        }

        var (client, _) = await StartClientAsync(ws);
        await using (client)
        {
            Assert.Equal(RouterState.Attached, client.State);
        }
    }

    [Fact]
    public async Task A_router_stops_promptly_with_a_client_attached_and_a_handshake_pending_on_ws_and_the_client_sees_it_go()
    {
        var router = await StartWebSocketRouterAsync();
        NodeAddress ws = router.ListenAddresses.Single(a => a.Scheme == NodeAddress.WebSocket);
        var (client, _) = await StartClientAsync(ws);
        await using (client)
        {
            using var silent = new ClientWebSocket();
            await silent.ConnectAsync(ws.ToWebSocketUri(), CancellationToken.None);
            var clock = Stopwatch.StartNew();
            await router.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"stopping took {clock.Elapsed}");
            await EventuallyAsync(() => client.State != RouterState.Attached, "the client sees the router go");
        }
    }

    [Fact]
    public async Task The_router_program_listens_on_ws_and_serves_a_client_there()
    {
        var (program, address) = await RouterProgram.StartAsync(@"ws://[0-9a-f]{64}@127\.0\.0\.1:\d+/pk", "--listen", "ws://127.0.0.1:0/pk");
        await using (program)
        {
            var (client, _) = await StartClientAsync(address);
            await using (client)
            {
                Assert.Equal(RouterState.Attached, client.State);
                Assert.IsType<PeerKit.Links.WebSockets.WebSocketLink>(client.Node.Peers.Single().Link);
                Assert.Empty(await client.WhoIsOnlineAsync());
            }
        }
    }

    private static int FreeTcpPort()
    {
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
