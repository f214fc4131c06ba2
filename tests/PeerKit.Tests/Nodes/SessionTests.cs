using PeerKit.Links;
using static PeerKit.Tests.Nodes.NodeTestKit;

namespace PeerKit.Tests.Nodes;

/// <summary>Two and more nodes in one process, over memory links and over encrypted TCP on loopback.</summary>
public sealed class SessionTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Two_nodes_exchange_messages_through_handlers_and_the_pull_reader(bool overTcp)
    {
        var aliceChat = new ChatProtocol { Echo = true };
        var bobChat = new ChatProtocol { Echo = true };
        await using PeerNode alice = await StartAsync(Options("alice", aliceChat).Listening());
        await using PeerNode bob = await StartAsync(Options("bob", bobChat).Listening());

        Peer bobSeenByAlice = overTcp
            ? await alice.ConnectAsync(bob.Address()).WaitAsync(Wait)
            : await alice.ConnectInProcessAsync(bob).WaitAsync(Wait);
        Assert.True(bobSeenByAlice.IsConnected);
        Assert.Equal(bob.Id, bobSeenByAlice.Id);
        Assert.Equal("bob", bobSeenByAlice.Name);
        Assert.False(bobSeenByAlice.IsInbound);
        await EventuallyAsync(() => bob.PeerCount == 1, "bob sees alice");
        Peer aliceSeenByBob = bob.Peers[0];
        Assert.Equal(alice.Id, aliceSeenByBob.Id);
        Assert.True(aliceSeenByBob.IsInbound);
        Assert.Equal(overTcp, bobSeenByAlice.Link.Capabilities.IsSecure);

        // Say → bob's handler, which answers with a Shout; Shout has no handler, so it reaches alice's pull reader.
        await bobSeenByAlice.SendAsync(new Say("hello bob"));
        (NodeId from, string text) = await bobChat.Said.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal(alice.Id, from);
        Assert.Equal("hello bob", text);

        using (ProtocolMessage reply = await bobSeenByAlice.ReadAsync().AsTask().WaitAsync(Wait))
        {
            Assert.Equal(1, reply.Code);
            Assert.Equal("chat", reply.Protocol.Name);
            Assert.True(reply.Is<Shout>());
            Assert.False(reply.Is<Say>());
            Assert.Equal("HELLO BOB", reply.Decode<Shout>().Text);
            Assert.Throws<InvalidOperationException>(() => reply.Decode<Say>());
        }

        // An unreliable message travels (reliably, on a stream link) to the pull reader too, with a reliability override.
        await aliceSeenByBob.SendAsync(new Position(3, -4), Reliability.ReliableOrdered);
        using (ProtocolMessage position = await bobSeenByAlice.ReadAsync().AsTask().WaitAsync(Wait))
        {
            Assert.Equal(new Position(3, -4), position.Decode<Position>());
        }

        PeerStatus status = bobSeenByAlice.Status;
        Assert.Equal(1, status.MessagesOut);
        Assert.Equal(2, status.MessagesIn);
        Assert.True(status.BytesIn > 0 && status.BytesOut > 0);
    }

    [Fact]
    public async Task A_message_of_no_shared_protocol_cannot_be_sent()
    {
        await using PeerNode alice = await StartAsync(Options("alice", new ChatProtocol(), new CounterProtocol()));
        await using PeerNode bob = await StartAsync(Options("bob", new ChatProtocol()));
        Peer peer = await alice.ConnectInProcessAsync(bob).WaitAsync(Wait);
        Assert.Single(peer.Protocols);
        ProtocolNotNegotiatedException error = await Assert.ThrowsAsync<ProtocolNotNegotiatedException>(async () => await peer.SendAsync(new Boom(1)));
        Assert.Equal(typeof(Boom), error.MessageType);
    }

    [Fact]
    public async Task Negotiated_offsets_agree_on_both_sides_and_follow_the_devp2p_rule()
    {
        // alice: chat/1, chat/2, counter/1, zeta/1; bob: chat/1, chat/2, counter/1 (counter listed first on purpose).
        await using PeerNode alice = await StartAsync(Options("alice",
            new ChatProtocol("chat", 1), new ChatProtocol("chat", 2, length: 5), new CounterProtocol(), new ChatProtocol("zeta", 1)));
        await using PeerNode bob = await StartAsync(Options("bob",
            new CounterProtocol(), new ChatProtocol("chat", 2, length: 5), new ChatProtocol("chat", 1)));

        Peer atAlice = await alice.ConnectInProcessAsync(bob).WaitAsync(Wait);
        await EventuallyAsync(() => bob.PeerCount == 1, "bob sees alice");
        Peer atBob = bob.Peers[0];

        // Shared: chat (highest shared version 2, length 5) then counter (length 1), from 0x10 in name order.
        string[] expected = ["chat/2@16", "counter/1@21"];
        Assert.Equal(expected, atAlice.Protocols.Select(p => $"{p.Descriptor}@{p.Offset}"));
        Assert.Equal(expected, atBob.Protocols.Select(p => $"{p.Descriptor}@{p.Offset}"));
        Assert.Equal(4, atBob.RemoteCapabilities.Count);
    }

    [Fact]
    public async Task Handlers_run_for_many_nodes_at_once()
    {
        var hubChat = new ChatProtocol();
        await using PeerNode hub = await StartAsync(Options("hub", hubChat).Listening());
        var spokes = new List<PeerNode>();
        try
        {
            for (int i = 0; i < 6; i++)
            {
                PeerNode spoke = await StartAsync(Options($"spoke{i}", new ChatProtocol()));
                spokes.Add(spoke);
                Peer toHub = i % 2 == 0 ? await spoke.ConnectAsync(hub.Address()).WaitAsync(Wait) : await spoke.ConnectInProcessAsync(hub).WaitAsync(Wait);
                for (int n = 0; n < 50; n++)
                {
                    await toHub.SendAsync(new Say($"{i}:{n}"));
                }
            }

            var seen = new Dictionary<NodeId, int>();
            for (int k = 0; k < 6 * 50; k++)
            {
                (NodeId from, string text) = await hubChat.Said.Reader.ReadAsync().AsTask().WaitAsync(Wait);
                int n = int.Parse(text.Split(':')[1]);
                Assert.Equal(seen.GetValueOrDefault(from), n); // in order per peer
                seen[from] = n + 1;
            }

            Assert.Equal(6, seen.Count);
            Assert.Equal(6, hub.PeerCount);
        }
        finally
        {
            foreach (PeerNode spoke in spokes)
            {
                await spoke.DisposeAsync();
            }
        }

        await EventuallyAsync(() => hub.PeerCount == 0, "hub sees every spoke leave");
    }

    [Fact]
    public async Task Ping_measures_a_round_trip_time()
    {
        await using PeerNode alice = await StartAsync(Options("alice", new ChatProtocol()).Listening());
        await using PeerNode bob = await StartAsync(Options("bob", new ChatProtocol()).Listening());
        Peer peer = await alice.ConnectAsync(bob.Address()).WaitAsync(Wait);
        TimeSpan rtt = await peer.PingAsync().WaitAsync(Wait);
        Assert.True(rtt > TimeSpan.Zero && rtt < Wait, $"rtt {rtt}");
        Assert.Equal(rtt, peer.Status.Rtt);
        Assert.True(peer.Status.SmoothedRtt > TimeSpan.Zero);
    }

    [Fact]
    public async Task A_ping_to_a_peer_that_is_gone_fails_with_the_reason()
    {
        await using PeerNode alice = await StartAsync(Options("alice", new ChatProtocol()));
        await using PeerNode bob = await StartAsync(Options("bob", new ChatProtocol()));
        Peer peer = await alice.ConnectInProcessAsync(bob).WaitAsync(Wait);
        await bob.DisposeAsync();
        PeerDisconnect end = await peer.Completion.WaitAsync(Wait);
        Assert.Equal(new PeerDisconnect(DisconnectReason.ClientQuitting, IsRemote: true), end);
        PeerDisconnectedException error = await Assert.ThrowsAsync<PeerDisconnectedException>(() => peer.PingAsync());
        Assert.Equal(DisconnectReason.ClientQuitting, error.Reason);
        await Assert.ThrowsAsync<PeerDisconnectedException>(async () => await peer.SendAsync(new Say("anyone?")));
        await Assert.ThrowsAsync<PeerDisconnectedException>(async () => await peer.ReadAsync());
        Assert.Equal(ConnectionState.Closed, peer.State);
        Assert.False(peer.IsConnected);
    }

    [Fact]
    public async Task Disconnect_gives_the_reason_to_both_sides_and_events_say_so()
    {
        await using PeerNode alice = await StartAsync(Options("alice", new ChatProtocol()));
        await using PeerNode bob = await StartAsync(Options("bob", new ChatProtocol()));
        var aliceLog = new EventLog(alice);
        var bobLog = new EventLog(bob);
        Peer peer = await alice.ConnectInProcessAsync(bob).WaitAsync(Wait);
        await bobLog.WaitForAsync(e => e.Kind == PeerEventKind.PeerAdded);

        await peer.DisconnectAsync(DisconnectReason.UselessPeer);
        Assert.Equal(new PeerDisconnect(DisconnectReason.UselessPeer, false), await peer.Completion);
        PeerEvent dropped = await bobLog.WaitForAsync(e => e.Kind == PeerEventKind.PeerDropped);
        Assert.Equal(DisconnectReason.UselessPeer, dropped.Reason);
        Assert.True(dropped.IsRemoteReason);
        Assert.Equal(alice.Id, dropped.PeerId);

        PeerEvent closed = await aliceLog.WaitForAsync(e => e.Kind == PeerEventKind.StateChanged && e.State == ConnectionState.Closed);
        Assert.Equal(DisconnectReason.UselessPeer, closed.Reason);
        // Connecting, then Connected, then Closed, in that order.
        ConnectionState[] states = [.. aliceLog.Events.Where(e => e.Kind == PeerEventKind.StateChanged).Select(e => e.State)];
        Assert.Equal([ConnectionState.Connecting, ConnectionState.Connected, ConnectionState.Closed], states);
        Assert.Equal(0, alice.PeerCount);
    }

    [Fact]
    public async Task Message_events_report_each_message_when_enabled()
    {
        PeerNodeOptions options = Options("alice", new ChatProtocol());
        options.EnableMessageEvents = true;
        await using PeerNode alice = await StartAsync(options);
        await using PeerNode bob = await StartAsync(Options("bob", new ChatProtocol { Echo = true }));
        var log = new EventLog(alice);
        var bobLog = new EventLog(bob);
        Peer peer = await alice.ConnectInProcessAsync(bob).WaitAsync(Wait);
        await peer.SendAsync(new Say("counted"));
        PeerEvent sent = await log.WaitForAsync(e => e.Kind == PeerEventKind.MessageSent);
        Assert.Equal(0, sent.Code);
        Assert.Equal("chat", sent.Protocol!.Name);
        Assert.Equal(bob.Id, sent.PeerId);
        PeerEvent received = await log.WaitForAsync(e => e.Kind == PeerEventKind.MessageReceived);
        Assert.Equal(1, received.Code);
        Assert.True(received.Size > "COUNTED".Length);

        // Bob did not enable them.
        await Task.Delay(100);
        Assert.DoesNotContain(bobLog.Events, e => e.Kind is PeerEventKind.MessageSent or PeerEventKind.MessageReceived);
    }

    [Fact]
    public async Task Events_can_be_read_as_an_async_stream()
    {
        await using PeerNode alice = await StartAsync(Options("alice", new ChatProtocol()));
        await using PeerNode bob = await StartAsync(Options("bob", new ChatProtocol()));
        using var cts = new CancellationTokenSource(Wait);
        var kinds = new List<PeerEventKind>();
        Task reading = Task.Run(async () =>
        {
            await foreach (PeerEvent e in alice.ReadEventsAsync(cts.Token))
            {
                kinds.Add(e.Kind);
                if (e.Kind == PeerEventKind.PeerDropped)
                {
                    return;
                }
            }
        });
        await Task.Delay(50); // let the subscription start
        Peer peer = await alice.ConnectInProcessAsync(bob).WaitAsync(Wait);
        await peer.DisconnectAsync();
        await reading.WaitAsync(Wait);
        Assert.Contains(PeerEventKind.PeerAdded, kinds);
        Assert.Equal(PeerEventKind.PeerDropped, kinds[^1]);
    }
}
