using static PeerKit.Tests.Nodes.NodeTestKit;

namespace PeerKit.Tests.Nodes;

/// <summary>
/// Two nodes dialing each other at the same moment (hole punching; both players calling Connect) end with exactly one
/// session, the one the node with the smaller id initiated, and both connect calls return it.
/// </summary>
public sealed class SimultaneousConnectTests
{
    private const int Runs = 50;

    [Fact]
    public Task Simultaneous_connects_over_tcp_end_in_one_session_fifty_times_in_a_row() => RunAsync("tcp://127.0.0.1:0");

    [Fact]
    public Task Simultaneous_connects_over_udp_end_in_one_session_fifty_times_in_a_row() => RunAsync("udp://127.0.0.1:0");

    [Fact]
    public Task Simultaneous_connects_in_process_end_in_one_session_fifty_times_in_a_row() => RunAsync("inproc://simultaneous:0");

    [Fact]
    public async Task Simultaneous_in_process_pairs_end_in_one_session_fifty_times_in_a_row()
    {
        for (int run = 0; run < Runs; run++)
        {
            await using PeerNode a = await StartAsync(Options("a", new ChatProtocol()));
            await using PeerNode b = await StartAsync(Options("b", new ChatProtocol()));
            Task<Peer> fromA = a.ConnectInProcessAsync(b);
            Task<Peer> fromB = b.ConnectInProcessAsync(a);
            await AssertOneSessionAsync(a, b, await fromA.WaitAsync(Wait), await fromB.WaitAsync(Wait), run);
        }
    }

    [Fact]
    public async Task The_smaller_id_keeps_its_own_dial_when_the_other_nodes_session_arrives_while_it_is_dialing()
    {
        await using PeerNode a = await StartAsync(Options("a", new ChatProtocol()));
        await using PeerNode b = await StartAsync(Options("b", new ChatProtocol()));
        (PeerNode small, PeerNode large) = Admission<Peer>.Compare(a.Id, b.Id) < 0 ? (a, b) : (b, a);
        (PeerKit.Links.MemoryLink smallDials, PeerKit.Links.MemoryLink largeAccepts) = PeerKit.Links.MemoryLink.CreatePair(small.Id, large.Id);
        (PeerKit.Links.MemoryLink largeDials, PeerKit.Links.MemoryLink smallAccepts) = PeerKit.Links.MemoryLink.CreatePair(large.Id, small.Id);

        // The smaller id dials first, but its session cannot finish: the larger node has not read the link yet.
        Task<Peer> smallDial = small.AddLinkAsync(smallDials, isInbound: false);

        // The larger node's own dial arrives at the smaller node, which waits for its dial instead of admitting it.
        Task<Peer> largeDial = large.AddLinkAsync(largeDials, isInbound: false);
        Task<Peer> smallAccept = small.AddLinkAsync(smallAccepts, isInbound: true);
        await Task.Delay(200);
        Assert.Equal(0, small.PeerCount);

        // Now the larger node takes the smaller one's dial: that session wins on both sides.
        Task<Peer> largeAccept = large.AddLinkAsync(largeAccepts, isInbound: true);
        Peer atSmall = await smallDial.WaitAsync(Wait);
        Peer atLarge = await largeDial.WaitAsync(Wait);
        Assert.False(atSmall.IsInbound);
        Assert.True(atLarge.IsInbound);
        Assert.Same(atSmall, await smallAccept.WaitAsync(Wait));
        Assert.Same(atLarge, await largeAccept.WaitAsync(Wait));
        Assert.Same(atSmall, Assert.Single(small.Peers));
        Assert.Same(atLarge, Assert.Single(large.Peers));
        Assert.True(await atSmall.PingAsync().WaitAsync(Wait) > TimeSpan.Zero);
    }

    [Fact]
    public async Task A_dial_of_the_smaller_id_to_a_stale_address_holds_up_the_other_nodes_session_at_most_half_the_handshake_timeout()
    {
        NodeKey first = NodeKey.Generate();
        NodeKey second = NodeKey.Generate();
        (NodeKey smallKey, NodeKey largeKey) = Admission<Peer>.Compare(first.Id, second.Id) < 0 ? (first, second) : (second, first);
        using (first)
        using (second)
        using (var silent = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp))
        {
            silent.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0)); // the large node's old address: nobody answers
            PeerNodeOptions smallOptions = Options("small", new ChatProtocol()).Listening();
            smallOptions.Identity = smallKey;
            smallOptions.HandshakeTimeout = TimeSpan.FromSeconds(2);
            smallOptions.DialTimeout = TimeSpan.FromSeconds(20);
            PeerNodeOptions largeOptions = Options("large", new ChatProtocol());
            largeOptions.Identity = largeKey;
            largeOptions.HandshakeTimeout = TimeSpan.FromSeconds(2);
            await using PeerNode small = await StartAsync(smallOptions);
            await using PeerNode large = await StartAsync(largeOptions);

            using var stale = new CancellationTokenSource();
            Task<Peer> staleDial = small.ConnectAsync(new NodeAddress("udp", "127.0.0.1", ((System.Net.IPEndPoint)silent.LocalEndPoint!).Port, large.Id), stale.Token);
            Peer atLarge = await large.ConnectAsync(small.Address()).WaitAsync(Wait);
            Assert.True(atLarge.IsConnected);
            Assert.True(small.TryGetPeer(large.Id, out Peer? atSmall));
            Assert.True(atSmall.IsInbound);
            Assert.False(staleDial.IsCompleted); // still looking for the old address
            stale.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => staleDial.WaitAsync(Wait));
            Assert.True(atSmall.IsConnected);
        }
    }

    private static async Task RunAsync(string listen)
    {
        int raced = 0;
        for (int run = 0; run < Runs; run++)
        {
            PeerNodeOptions aOptions = Options("a", new ChatProtocol());
            aOptions.ListenAddresses.Add(NodeAddress.Parse(listen));
            PeerNodeOptions bOptions = Options("b", new ChatProtocol());
            bOptions.ListenAddresses.Add(NodeAddress.Parse(listen));
            await using PeerNode a = await StartAsync(aOptions);
            await using PeerNode b = await StartAsync(bOptions);
            var aLog = new EventLog(a);
            var bLog = new EventLog(b);

            // Both dials start before either can finish.
            Task<Peer> fromA = a.ConnectAsync(b.Address());
            Task<Peer> fromB = b.ConnectAsync(a.Address());
            Peer atA = await fromA.WaitAsync(Wait);
            Peer atB = await fromB.WaitAsync(Wait);
            await AssertOneSessionAsync(a, b, atA, atB, run);

            await aLog.WaitForAsync(e => e.Kind == PeerEventKind.PeerAdded);
            await bLog.WaitForAsync(e => e.Kind == PeerEventKind.PeerAdded);
            Assert.Single(aLog.Events, e => e.Kind == PeerEventKind.PeerAdded);
            Assert.Single(bLog.Events, e => e.Kind == PeerEventKind.PeerAdded);
            Assert.DoesNotContain(aLog.Events, e => e.Kind == PeerEventKind.PeerDropped);
            Assert.DoesNotContain(bLog.Events, e => e.Kind == PeerEventKind.PeerDropped);
            // Both links came up: each node reported its dial and the other's inbound link as connecting.
            if (aLog.Events.Count(e => e.State == ConnectionState.Connecting && e.PeerId == b.Id) == 2
                && bLog.Events.Count(e => e.State == ConnectionState.Connecting && e.PeerId == a.Id) == 2)
            {
                raced++;
            }
        }

        // The dials really raced: in most runs both links came up, and one was closed.
        Assert.True(raced >= Runs / 2, $"only {raced} of {Runs} runs had two links");
    }

    private static async Task AssertOneSessionAsync(PeerNode a, PeerNode b, Peer atA, Peer atB, int run)
    {
        Assert.True(atA.IsConnected, $"run {run}: a's peer is connected");
        Assert.True(atB.IsConnected, $"run {run}: b's peer is connected");
        Assert.Equal(b.Id, atA.Id);
        Assert.Equal(a.Id, atB.Id);
        Assert.Same(atA, Assert.Single(a.Peers));
        Assert.Same(atB, Assert.Single(b.Peers));

        // The two ends of one connection. Which one depends on timing the test cannot pin down on a loaded
        // machine (a dial that starts late finds the other session already admitted); the rule itself is tested
        // below with the order forced.
        Assert.NotEqual(atA.IsInbound, atB.IsInbound);

        // It carries traffic both ways, and the losing links are gone without taking it along.
        Assert.True(await atA.PingAsync().WaitAsync(Wait) > TimeSpan.Zero);
        Assert.True(await atB.PingAsync().WaitAsync(Wait) > TimeSpan.Zero);
        Assert.True(atA.IsConnected && atB.IsConnected, $"run {run}: the session survives the losing link's close");
        Assert.Equal(1, a.PeerCount);
        Assert.Equal(1, b.PeerCount);
    }
}
