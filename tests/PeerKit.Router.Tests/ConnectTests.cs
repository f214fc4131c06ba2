using System.Collections.Concurrent;
using System.Diagnostics;
using PeerKit.Routing;
using static PeerKit.Router.Tests.Loopback;

namespace PeerKit.Router.Tests;

public class ConnectTests
{
    [Fact]
    public async Task Connect_by_node_id_yields_one_direct_session_on_both_sides()
    {
        await using var router = await StartRouterAsync();
        var (alice, _) = await StartClientAsync(router.ListenAddresses[0]);
        var (bob, bobChat) = await StartClientAsync(router.ListenAddresses[0]);
        await using (alice)
        await using (bob)
        {
            var aliceEvents = new ConcurrentQueue<RoutingEvent>();
            var bobEvents = new ConcurrentQueue<RoutingEvent>();
            alice.Event += (_, e) => aliceEvents.Enqueue(e);
            bob.Event += (_, e) => bobEvents.Enqueue(e);

            Peer peer = await alice.ConnectAsync(bob.Id);
            Assert.Equal(bob.Id, peer.Id);
            await EventuallyAsync(() => bob.IsConnected(alice.Id), $"alice {alice.Id:s} peers: {string.Join(", ", alice.Node.Peers)}; bob {bob.Id:s} peers: {string.Join(", ", bob.Node.Peers)}; peer {peer} {peer.State}; alice events {string.Join(" | ", aliceEvents)}; bob events {string.Join(" | ", bobEvents)}");
            Assert.Equal(3, alice.Node.PeerCount + bob.Node.PeerCount - 1); // each: the router and the other
            var udpLink = Assert.IsType<PeerKit.Links.Udp.UdpLink>(peer.Link);

            Assert.Contains(await alice.SendAsync(bob.Id, new TestChat.Line("hello")), (SendResult[])[SendResult.Relay, SendResult.P2P]);
            Assert.Contains(await alice.SendPacketAsync(bob.Id, new byte[] { 1, 2, 3 }), (SendResult[])[SendResult.Relay, SendResult.P2P]);
            await EventuallyAsync(() => bobChat.Lines.Count == 1 && bobEvents.Any(e => e.Kind == RoutingEventKind.Data), "bob gets the line and the packet");
            Assert.Equal((alice.Id, "hello"), bobChat.Lines.Single());
            RoutingEvent data = bobEvents.Single(e => e.Kind == RoutingEventKind.Data);
            Assert.Equal(new byte[] { 1, 2, 3 }, data.Data.ToArray());
            Assert.True(data.Reliable);
            Assert.Contains(aliceEvents, e => e.Kind == RoutingEventKind.Connected && e.PeerId == bob.Id);
            Assert.Contains(aliceEvents, e => e.Kind == RoutingEventKind.StateChanged && e.State == ConnectionState.Connecting);
            Assert.Contains(bobEvents, e => e.Kind == RoutingEventKind.Connected && e.PeerId == alice.Id);

            // Connecting again returns the session that is up; closing raises Disconnected on both sides.
            Assert.Same(peer, await alice.ConnectAsync(bob.Id));
            await alice.CloseAsync(bob.Id);
            await EventuallyAsync(() => bobEvents.Any(e => e.Kind == RoutingEventKind.Disconnected), "bob sees the disconnect");
            Assert.Contains(bobEvents, e => e.Kind == RoutingEventKind.StateChanged && e.State == ConnectionState.Closed);
        }
    }

    [Fact]
    public async Task A_crossed_claim_that_no_session_follows_fails_within_the_connect_timeout_and_the_next_connect_asks_again()
    {
        await using var router = await StartRouterAsync();
        var (alice, _) = await StartClientAsync(router.ListenAddresses[0], o => o.ConnectTimeout = TimeSpan.FromSeconds(2));
        (PeerNode liarNode, _, RawRouterClient liar) = await RawRouterClient.AttachAsync(router.ListenAddresses[0]);
        await using (alice)
        await using (liarNode)
        {
            liar.ClaimCrossed = true; // "I am connecting to you": no session ever comes
            var clock = Stopwatch.StartNew();
            RoutedConnectException failed = await Assert.ThrowsAsync<RoutedConnectException>(() => alice.ConnectAsync(liarNode.Id));
            Assert.Equal(ConnectFailure.Timeout, failed.Failure);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"alice waited {clock.Elapsed}");
            Assert.Equal(1, liar.IncomingCount);

            // Not left expecting the liar: the next connect asks the router (and the liar) again.
            await Assert.ThrowsAsync<RoutedConnectException>(() => alice.ConnectAsync(liarNode.Id));
            Assert.Equal(2, liar.IncomingCount);
        }
    }

    [Fact]
    public async Task An_offline_target_fails_at_once_with_unavailable()
    {
        await using var router = await StartRouterAsync();
        var (alice, _) = await StartClientAsync(router.ListenAddresses[0]);
        await using (alice)
        {
            var failures = new ConcurrentQueue<RoutingEvent>();
            alice.Event += (_, e) => { if (e.Kind == RoutingEventKind.ConnectionFailed) failures.Enqueue(e); };
            NodeId nobody = NodeKey.Generate().Id;
            var clock = Stopwatch.StartNew();
            RoutedConnectException error = await Assert.ThrowsAsync<RoutedConnectException>(() => alice.ConnectAsync(nobody));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
            Assert.Equal(ConnectFailure.Unavailable, error.Failure);
            Assert.Equal(nobody, error.PeerId);
            RoutingEvent failed = Assert.Single(failures);
            Assert.Equal(ConnectFailure.Unavailable, failed.Failure);
        }
    }

    [Fact]
    public async Task A_refusal_looks_like_an_offline_node_unless_the_target_reveals_it()
    {
        await using var router = await StartRouterAsync();
        var (alice, _) = await StartClientAsync(router.ListenAddresses[0]);
        var (shy, _) = await StartClientAsync(router.ListenAddresses[0], o => o.AcceptPolicy = (_, _) => ValueTask.FromResult(false));
        var (frank, _) = await StartClientAsync(router.ListenAddresses[0], o => { o.AcceptPolicy = (_, _) => ValueTask.FromResult(false); o.RevealRefusals = true; });
        await using (alice)
        await using (shy)
        await using (frank)
        {
            RoutedConnectException hidden = await Assert.ThrowsAsync<RoutedConnectException>(() => alice.ConnectAsync(shy.Id));
            Assert.Equal(ConnectFailure.Unavailable, hidden.Failure);
            RoutedConnectException revealed = await Assert.ThrowsAsync<RoutedConnectException>(() => alice.ConnectAsync(frank.Id));
            Assert.Equal(ConnectFailure.Refused, revealed.Failure);
            Assert.False(alice.IsConnected(shy.Id));
            Assert.False(alice.IsConnected(frank.Id));
        }
    }

    [Fact]
    public async Task Implicit_connect_queues_reliable_messages_in_order_and_drops_unreliable_ones()
    {
        await using var router = await StartRouterAsync();
        var (alice, _) = await StartClientAsync(router.ListenAddresses[0]);
        var (bob, bobChat) = await StartClientAsync(router.ListenAddresses[0]);
        await using (alice)
        await using (bob)
        {
            Assert.Equal(SendResult.Dropped, await alice.SendAsync(bob.Id, new TestChat.Tick(1), Reliability.Unreliable));
            var results = new List<SendResult>();
            for (int i = 0; i < 20; i++)
            {
                results.Add(await alice.SendAsync(bob.Id, new TestChat.Line($"line {i}")));
            }

            Assert.Equal(SendResult.Queued, results[0]);
            await EventuallyAsync(() => bobChat.Lines.Count == 20, "bob gets all 20 lines");
            Assert.Equal(Enumerable.Range(0, 20).Select(i => $"line {i}"), bobChat.Lines.Select(l => l.Text));
            Assert.Empty(bobChat.Ticks);
            Assert.True(alice.DroppedUnreliableCount >= 1);
            await EventuallyAsync(() => alice.Node.TryGetPeer(bob.Id, out Peer? p) && p.Link is PeerKit.Links.Udp.UdpLink { ActivePath: PeerKit.Links.Udp.LinkPath.Direct }, "the link goes direct");
            Assert.Equal(SendResult.P2P, await alice.SendAsync(bob.Id, new TestChat.Line("after")));
        }
    }

    [Fact]
    public async Task Reliable_messages_that_wait_are_bounded_in_bytes()
    {
        await using var router = await StartRouterAsync();
        var (alice, _) = await StartClientAsync(router.ListenAddresses[0], o => o.MaxPendingBytesPerPeer = 1000);
        // A target that takes its time to refuse, so the first message is still waiting when the second comes.
        var (slow, _) = await StartClientAsync(router.ListenAddresses[0], o => o.AcceptPolicy = async (_, _) => { await Task.Delay(1500); return false; });
        await using (slow)
        await using (alice)
        {
            NodeId nobody = slow.Id;
            var failures = new ConcurrentQueue<RoutingEvent>();
            alice.Event += (_, e) => { if (e.Kind == RoutingEventKind.ConnectionFailed) failures.Enqueue(e); };
            Assert.Equal(SendResult.Queued, await alice.SendAsync(nobody, new TestChat.Line(new string('a', 600))));
            await Assert.ThrowsAsync<PendingSendsFullException>(async () => await alice.SendAsync(nobody, new TestChat.Line(new string('b', 600))));
            await EventuallyAsync(() => !failures.IsEmpty, "the implicit connect to an offline node fails");
            Assert.Equal(ConnectFailure.Unavailable, failures.Single().Failure);
            Assert.True(alice.DroppedReliableBytes >= 600);
        }
    }

    [Fact]
    public async Task Server_only_always_relays_and_the_router_counts_the_bytes_without_seeing_them()
    {
        await using var router = await StartRouterAsync();
        var (alice, _) = await StartClientAsync(router.ListenAddresses[0], o => o.RoutingMode = RoutingMode.ServerOnly);
        var (bob, bobChat) = await StartClientAsync(router.ListenAddresses[0]);
        await using (alice)
        await using (bob)
        {
            Peer peer = await alice.ConnectAsync(bob.Id);
            Assert.Equal(1, router.RelayBindingCount);
            var link = Assert.IsType<PeerKit.Links.Udp.UdpLink>(peer.Link);
            for (int i = 0; i < 20; i++)
            {
                Assert.Equal(SendResult.Relay, await alice.SendAsync(bob.Id, new TestChat.Line($"secret-marker-{i}")));
            }

            await EventuallyAsync(() => bobChat.Lines.Count == 20, "bob gets the 20 relayed lines");
            Assert.Equal(Enumerable.Range(0, 20).Select(i => $"secret-marker-{i}"), bobChat.Lines.Select(l => l.Text));
            long relayed = router.GetRelayStatistics().Sum(s => s.BytesRelayed);
            Assert.True(relayed > 20 * 16, $"the router relayed {relayed} bytes");
            await Task.Delay(500);
            Assert.Equal(PeerKit.Links.Udp.LinkPath.Relay, link.ActivePath);
            Assert.Equal(SendResult.Relay, await alice.SendAsync(bob.Id, new TestChat.Line("still relayed")));
        }
    }

    [Fact]
    public async Task Prefer_p2p_starts_on_the_relay_and_moves_to_the_direct_path()
    {
        await using var router = await StartRouterAsync();
        var (alice, _) = await StartClientAsync(router.ListenAddresses[0]);
        var (bob, bobChat) = await StartClientAsync(router.ListenAddresses[0]);
        await using (alice)
        await using (bob)
        {
            Peer peer = await alice.ConnectAsync(bob.Id);
            Assert.Equal(1, router.RelayBindingCount);
            var link = Assert.IsType<PeerKit.Links.Udp.UdpLink>(peer.Link);
            Assert.NotNull(link.RelayChannel);
            await EventuallyAsync(() => link.ActivePath == PeerKit.Links.Udp.LinkPath.Direct, "the link validates the direct path and moves to it");
            await Task.Delay(200);
            long before = router.GetRelayStatistics().Sum(s => s.BytesRelayed);
            for (int i = 0; i < 50; i++)
            {
                Assert.Equal(SendResult.P2P, await alice.SendAsync(bob.Id, new TestChat.Line($"direct {i}")));
            }

            await EventuallyAsync(() => bobChat.Lines.Count == 50, "bob gets the 50 direct lines");
            Assert.Equal(before, router.GetRelayStatistics().Sum(s => s.BytesRelayed));
        }
    }

    [Fact]
    public async Task P2p_only_connects_directly_without_a_relay_binding()
    {
        await using var router = await StartRouterAsync();
        var (alice, _) = await StartClientAsync(router.ListenAddresses[0]);
        var (bob, _) = await StartClientAsync(router.ListenAddresses[0]);
        await using (alice)
        await using (bob)
        {
            alice.SetRoutingMode(bob.Id, RoutingMode.P2POnly);
            Assert.Equal(RoutingMode.P2POnly, alice.GetRoutingMode(bob.Id));
            Peer peer = await alice.ConnectAsync(bob.Id);
            Assert.Equal(0, router.RelayBindingCount);
            Assert.Null(Assert.IsType<PeerKit.Links.Udp.UdpLink>(peer.Link).RelayChannel);
            Assert.Equal(SendResult.P2P, await alice.SendAsync(bob.Id, new TestChat.Line("direct")));
        }
    }

    [Fact]
    public async Task Server_only_fails_with_relay_unavailable_when_the_router_does_not_relay()
    {
        await using var router = await StartRouterAsync(o => o.EnableRelay = false);
        var (alice, _) = await StartClientAsync(router.ListenAddresses[0], o => o.RoutingMode = RoutingMode.ServerOnly);
        var (bob, _) = await StartClientAsync(router.ListenAddresses[0]);
        await using (alice)
        await using (bob)
        {
            RoutedConnectException error = await Assert.ThrowsAsync<RoutedConnectException>(() => alice.ConnectAsync(bob.Id));
            Assert.Equal(ConnectFailure.RelayUnavailable, error.Failure);
        }
    }
}

public class RelayLimitTests
{
    [Fact]
    public async Task A_pair_over_its_relay_limit_is_cut_off_while_another_pair_is_served()
    {
        await using var router = await StartRouterAsync(o => o.RelayLimits = new PeerKit.Links.Udp.RelayLimits { MaxBytesPerBinding = 64 * 1024 });
        var (alice, _) = await StartClientAsync(router.ListenAddresses[0], o => o.RoutingMode = RoutingMode.ServerOnly);
        var (bob, bobChat) = await StartClientAsync(router.ListenAddresses[0]);
        var (carol, _) = await StartClientAsync(router.ListenAddresses[0], o => o.RoutingMode = RoutingMode.ServerOnly);
        var (dave, daveChat) = await StartClientAsync(router.ListenAddresses[0]);
        await using (alice)
        await using (bob)
        await using (carol)
        await using (dave)
        {
            await alice.ConnectAsync(bob.Id);
            await carol.ConnectAsync(dave.Id);
            Assert.Equal(2, router.RelayBindingCount);

            // Alice pushes 256 KiB through a binding allowed 64 KiB.
            using (var pushing = new CancellationTokenSource(TimeSpan.FromSeconds(3)))
            {
                string kib = new('x', 1024);
                try
                {
                    for (int i = 0; i < 256; i++)
                    {
                        await alice.SendAsync(bob.Id, new TestChat.Line(kib), Reliability.ReliableOrdered, pushing.Token);
                    }
                }
                catch (OperationCanceledException)
                {
                }
            }

            await EventuallyAsync(() => router.GetRelayStatistics().Sum(s => s.DroppedLimitReached) > 0, "the relay drops what is over the binding's limit");
            Assert.True(bobChat.Lines.Count < 256, $"bob got {bobChat.Lines.Count} KiB through a 64 KiB binding");

            // The other pair's binding is untouched.
            for (int i = 0; i < 10; i++)
            {
                Assert.Equal(SendResult.Relay, await carol.SendAsync(dave.Id, new TestChat.Line($"c{i}")));
            }

            await EventuallyAsync(() => daveChat.Lines.Count == 10, "dave gets carol's 10 lines through the relay");
        }
    }
}

public class RelayPrivacyTests
{
    [Fact]
    public async Task Relayed_messages_never_appear_in_plaintext_on_the_router_side()
    {
        await using var router = await StartRouterAsync();
        NodeAddress routerAddress = router.ListenAddresses[0];
        var routerEndPoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, routerAddress.Port);
        await using var aliceTap = new UdpTap(routerEndPoint);
        await using var bobTap = new UdpTap(routerEndPoint);
        var (alice, _) = await StartClientAsync(routerAddress with { Port = aliceTap.Front.Port }, o => o.RoutingMode = RoutingMode.ServerOnly);
        var (bob, bobChat) = await StartClientAsync(routerAddress with { Port = bobTap.Front.Port });
        await using (alice)
        await using (bob)
        {
            Assert.Equal($"udp://127.0.0.1:{aliceTap.Back.Port}", alice.ObservedAddress); // the router sees the tap
            await alice.ConnectAsync(bob.Id);
            long before = aliceTap.CapturedBytes + bobTap.CapturedBytes;
            const string Marker = "PEERKIT-PLAINTEXT-MARKER";
            for (int i = 0; i < 50; i++)
            {
                Assert.Equal(SendResult.Relay, await alice.SendAsync(bob.Id, new TestChat.Line($"{Marker}-{i}")));
            }

            await EventuallyAsync(() => bobChat.Lines.Count == 50, "bob gets the 50 relayed lines");
            Assert.All(bobChat.Lines, l => Assert.StartsWith(Marker, l.Text));
            Assert.True(aliceTap.CapturedBytes + bobTap.CapturedBytes - before > 50 * Marker.Length, "the lines went through the taps");
            Assert.True(router.GetRelayStatistics().Sum(s => s.BytesRelayed) > 50 * Marker.Length, "and through the router's relay");
            byte[] marker = System.Text.Encoding.UTF8.GetBytes(Marker);
            foreach (byte[] datagram in aliceTap.Captured.Concat(bobTap.Captured))
            {
                Assert.Equal(-1, datagram.AsSpan().IndexOf(marker));
            }
        }
    }
}
