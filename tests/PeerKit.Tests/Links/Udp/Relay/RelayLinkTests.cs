using System.Text;
using PeerKit.Links;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>
/// Links through a router's relay switch, on a simulated network: delivery, the upgrade to a direct path, the fall
/// back to the relay, what the router sees, limits and forged datagrams.
/// </summary>
public sealed class RelayLinkTests
{
    private static async Task ReceiveNumbersAsync(UdpLink link, int count, int from = 0)
    {
        for (int expected = from; expected < count; expected++)
        {
            LinkFrame frame = await link.ReceiveAsync().AsTask().WaitAsync(UdpHarness.Timeout);
            Assert.Equal(expected, UdpHarness.ReadNumber(frame));
            frame.Dispose();
        }
    }

    [Fact]
    public async Task Reliable_messages_through_the_relay_arrive_once_in_order_under_loss()
    {
        await using var h = new RelayHarness(seed: 1, new Impairment { Loss = 0.05, Reordering = 0.05, Duplication = 0.02 });
        var (a, b, binding) = await h.ConnectAsync();
        Assert.Equal(LinkPath.Relay, a.ActivePath);
        Assert.Equal(LinkPath.Relay, b.ActivePath);
        Assert.Equal(h.AKey.Id, b.RemoteId);
        Assert.Equal(h.BKey.Id, a.RemoteId);

        const int count = 3000;
        Task sending = UdpHarness.SendNumbersAsync(a, count, Reliability.ReliableOrdered);
        await ReceiveNumbersAsync(b, count);
        await sending;
        Assert.False(b.TryReceive(out _)); // nothing twice

        Assert.Equal(0, h.DirectDatagrams); // every packet went through the router
        RelayBindingCounters counters = binding.GetCounters();
        Assert.True(counters.BytesFromFirst > count * 4, $"relayed {counters.BytesFromFirst} bytes from A");
        Assert.True(counters.BytesFromSecond > 0);
        Assert.Equal(RelayStatus.Active, counters.Status);
    }

    [Fact]
    public async Task The_link_moves_to_the_direct_path_when_it_validates_and_the_router_relays_no_more()
    {
        await using var h = new RelayHarness(seed: 2);
        var (a, b, binding) = await h.ConnectAsync();
        await UdpHarness.SendNumbersAsync(a, 100, Reliability.ReliableOrdered);
        await ReceiveNumbersAsync(b, 100);

        await h.UpgradeAsync(a, b);
        Assert.Equal(LinkPath.Direct, a.ActivePath);
        Assert.Equal(LinkPath.Direct, b.ActivePath);

        // Packets already on their way through the relay may still arrive; then it goes quiet.
        await Task.Delay(100);
        long relayed = binding.GetCounters().BytesRelayed;
        Task sending = UdpHarness.SendNumbersAsync(a, 1000, Reliability.ReliableOrdered);
        await ReceiveNumbersAsync(b, 1000);
        await sending;
        Assert.True(relayed == binding.GetCounters().BytesRelayed, $"{binding.GetCounters()} was {relayed}; a {a.ActivePath} {a.GetStatus().PathMigrations} b {b.ActivePath} {b.GetStatus().PathMigrations}");
        Assert.True(h.DirectDatagrams > 10);
        Assert.Equal(LinkPath.Direct, a.ActivePath);
    }

    [Fact]
    public async Task A_direct_path_cut_mid_stream_falls_back_to_the_relay_with_every_message_once_in_order()
    {
        await using var h = new RelayHarness(seed: 3);
        var (a, b, binding) = await h.ConnectAsync();
        await h.UpgradeAsync(a, b);

        const int count = 6000;
        Task sending = UdpHarness.SendNumbersAsync(a, count, Reliability.ReliableOrdered, delayEvery: 200);
        await ReceiveNumbersAsync(b, 1500);
        long relayedBefore = binding.GetCounters().BytesRelayed;
        h.CutDirect = true;
        await ReceiveNumbersAsync(b, count, from: 1500);
        await sending.WaitAsync(UdpHarness.Timeout);
        Assert.False(b.TryReceive(out _));

        Assert.Equal(LinkPath.Relay, a.ActivePath);
        Assert.Equal(LinkPath.Relay, b.ActivePath);
        Assert.Equal(LinkPath.Relay, a.GetStatus().ActivePath);
        Assert.True(a.GetStatus().PathFallbacks + b.GetStatus().PathFallbacks >= 1);
        Assert.True(binding.GetCounters().BytesRelayed > relayedBefore);

        // Still a working link: an answer comes back through the relay.
        await b.SendAsync(new byte[] { 1, 2, 3 });
        LinkFrame answer = await a.ReceiveAsync().AsTask().WaitAsync(UdpHarness.Timeout);
        Assert.Equal(new byte[] { 1, 2, 3 }, answer.Span.ToArray());
        answer.Dispose();
    }

    [Fact]
    public async Task The_router_never_sees_plaintext()
    {
        await using var h = new RelayHarness(seed: 4);
        h.Capture = true;
        var (a, b, binding) = await h.ConnectAsync();
        byte[] marker = Encoding.ASCII.GetBytes("PEERKIT-PLAINTEXT-MARKER-7f3a9c");
        for (int i = 0; i < 200; i++)
        {
            await a.SendAsync(marker, i % 2 == 0 ? Reliability.ReliableOrdered : Reliability.ReliableUnordered);
            await b.SendAsync(marker);
        }

        for (int i = 0; i < 200; i++)
        {
            using LinkFrame fromA = await b.ReceiveAsync().AsTask().WaitAsync(UdpHarness.Timeout);
            Assert.True(fromA.Span.SequenceEqual(marker)); // the marker did cross the router
            using LinkFrame fromB = await a.ReceiveAsync().AsTask().WaitAsync(UdpHarness.Timeout);
            Assert.True(fromB.Span.SequenceEqual(marker));
        }

        byte[][] captured = h.Captured();
        long capturedRelayBytes = captured.Where(d => d[0] == RelayWire.Marker).Sum(d => (long)d.Length);
        Assert.True(capturedRelayBytes >= binding.GetCounters().BytesRelayed, "every relayed byte was captured");
        Assert.True(binding.GetCounters().BytesRelayed > 200 * marker.Length);
        foreach (byte[] datagram in captured)
        {
            Assert.True(datagram.AsSpan().IndexOf(marker) < 0, "a datagram through the router carried the plaintext");
        }
    }

    [Fact]
    public async Task A_binding_over_its_total_reports_resource_limit_exceeded_while_another_is_still_served()
    {
        var limits = new RelayLimits { MaxBytesPerBinding = 64 * 1024 };
        await using var h = new RelayHarness(seed: 5, limits: limits);
        var (a, b, binding) = await h.ConnectAsync();

        // A second pair of clients on the same router.
        SimTransport cTransport = h.Network.CreateNode();
        SimTransport dTransport = h.Network.CreateNode();
        using NodeKey cKey = NodeKey.Generate();
        using NodeKey dKey = NodeKey.Generate();
        await using UdpEndpoint c = UdpEndpoint.Start(cTransport, cKey, h.Options);
        await using UdpEndpoint d = UdpEndpoint.Start(dTransport, dKey, h.Options);
        RelayBinding other = h.Switch.Bind(cTransport.LocalEndPoint, dTransport.LocalEndPoint);
        d.OpenRelayChannel(h.RouterAddress, other.SecondChannel);
        UdpLink cd = await c.ConnectViaRelayAsync(h.RouterAddress, other.FirstChannel, dKey.Id).WaitAsync(UdpHarness.Timeout);
        UdpLink dc = await d.AcceptAsync().AsTask().WaitAsync(UdpHarness.Timeout);

        // A and B exhaust their binding: 200 KiB cannot all go through.
        byte[] chunk = new byte[1000];
        for (int i = 0; i < 200; i++)
        {
            a.TrySend(chunk);
        }

        for (int i = 0; i < 500 && binding.GetCounters().Status != RelayStatus.ResourceLimitExceeded; i++)
        {
            await Task.Delay(10);
        }

        RelayBindingCounters exhausted = binding.GetCounters();
        Assert.Equal(RelayStatus.ResourceLimitExceeded, exhausted.Status);
        Assert.True(exhausted.BytesRelayed <= limits.MaxBytesPerBinding);
        for (int i = 0; i < 200 && binding.GetCounters().DroppedLimitReached == 0; i++)
        {
            await Task.Delay(10);
        }

        Assert.True(binding.GetCounters().DroppedLimitReached > 0);
        Assert.True(h.Switch.GetStatistics().DroppedLimitReached > 0);

        // C and D are served all the same.
        await UdpHarness.SendNumbersAsync(cd, 300, Reliability.ReliableOrdered);
        await ReceiveNumbersAsync(dc, 300);
        Assert.Equal(RelayStatus.Active, other.GetCounters().Status);
    }

    [Fact]
    public async Task A_binding_over_its_rate_reports_rate_limited_and_still_delivers_everything()
    {
        var limits = new RelayLimits { MaxBytesPerSecond = 400 * 1024, BurstBytes = 64 * 1024 };
        await using var h = new RelayHarness(seed: 6, limits: limits);
        var (a, b, binding) = await h.ConnectAsync();

        byte[] chunk = new byte[1000];
        bool sawRateLimited = false;
        Task sending = Task.Run(async () =>
        {
            for (int i = 0; i < 600; i++)
            {
                chunk[0] = (byte)i;
                await a.SendAsync(chunk);
            }
        });

        for (int i = 0; i < 600; i++)
        {
            using LinkFrame frame = await b.ReceiveAsync().AsTask().WaitAsync(UdpHarness.Timeout);
            Assert.Equal((byte)i, frame.Span[0]);
            sawRateLimited |= binding.GetCounters().Status == RelayStatus.RateLimited;
        }

        await sending;
        Assert.True(binding.GetCounters().DroppedRateLimited > 0, "the rate was never exceeded");
        Assert.True(sawRateLimited || binding.GetCounters().Status == RelayStatus.RateLimited);
    }

    [Fact]
    public async Task Forged_relay_datagrams_from_an_address_not_bound_are_dropped_and_counted()
    {
        await using var h = new RelayHarness(seed: 7);
        var (a, b, binding) = await h.ConnectAsync();
        var attacker = new System.Net.IPEndPoint(System.Net.IPAddress.Parse("10.0.0.99"), 4000);
        byte[] forged = new byte[100];
        RelayWire.WriteHeader(forged, binding.FirstChannel);
        forged[RelayWire.HeaderSize] = UdpWire.TypeData;
        for (int i = 0; i < 10; i++)
        {
            h.Network.Inject(attacker, h.RouterTransport, forged);
        }

        // And straight at B, posing as the router's relay on B's channel.
        byte[] toB = new byte[100];
        RelayWire.WriteHeader(toB, binding.SecondChannel);
        toB[RelayWire.HeaderSize] = UdpWire.TypeData;
        h.Network.Inject(attacker, h.BTransport, toB);

        await UdpHarness.SendNumbersAsync(a, 50, Reliability.ReliableOrdered);
        await ReceiveNumbersAsync(b, 50);
        Assert.Equal(10, h.Switch.GetStatistics().DroppedForged);
        Assert.Equal(10, binding.GetCounters().DroppedForged);
        Assert.Equal(1, h.B.GetRelayStatistics().DroppedForged);
        Assert.False(b.TryReceive(out _));
    }

    [Fact]
    public async Task Malformed_relay_headers_are_dropped_and_counted_and_the_router_keeps_serving()
    {
        await using var h = new RelayHarness(seed: 8);
        var (a, b, binding) = await h.ConnectAsync();
        System.Net.IPEndPoint from = h.ATransport.LocalEndPoint;
        h.Network.Inject(from, h.RouterTransport, [RelayWire.Marker]); // no channel
        h.Network.Inject(from, h.RouterTransport, [RelayWire.Marker, 0, 0, 0, 7]); // no payload
        byte[] zero = new byte[40];
        RelayWire.WriteHeader(zero, 0); // channel 0
        h.Network.Inject(from, h.RouterTransport, zero);
        byte[] nested = new byte[40];
        RelayWire.WriteHeader(nested, binding.FirstChannel);
        RelayWire.WriteHeader(nested.AsSpan(RelayWire.HeaderSize), binding.SecondChannel); // a relay datagram inside
        h.Network.Inject(from, h.RouterTransport, nested);
        byte[] unknown = new byte[40];
        RelayWire.WriteHeader(unknown, binding.FirstChannel ^ 0x5a5a5a5a);
        h.Network.Inject(from, h.RouterTransport, unknown);

        await UdpHarness.SendNumbersAsync(a, 50, Reliability.ReliableOrdered);
        await ReceiveNumbersAsync(b, 50);
        RelayStatistics stats = h.Switch.GetStatistics();
        Assert.Equal(4, stats.DroppedMalformed);
        Assert.Equal(1, stats.DroppedUnknownChannel);
    }

    [Fact]
    public async Task Closing_a_relayed_link_closes_its_channels_and_the_router_can_unbind()
    {
        await using var h = new RelayHarness(seed: 9);
        var (a, b, binding) = await h.ConnectAsync();
        Assert.NotNull(a.RelayChannel);
        Assert.Equal(binding.FirstChannel, a.RelayChannel!.Channel);
        await a.DisposeAsync();
        Assert.Equal(LinkCloseReason.RemoteClosed, await b.Completion.WaitAsync(UdpHarness.Timeout));
        Assert.Equal(0, h.A.GetRelayStatistics().Bindings);
        Assert.Equal(0, h.B.GetRelayStatistics().Bindings);
        Assert.True(h.Switch.Unbind(binding));
        Assert.False(h.Switch.Unbind(binding));
        Assert.Equal(RelayStatus.Unbound, binding.GetCounters().Status);
        Assert.Equal(0, h.Switch.BindingCount);
    }

    [Fact]
    public async Task A_direct_path_that_failed_is_probed_again_after_the_retry_interval_and_taken_when_it_works()
    {
        UdpLinkOptions options = RelayHarness.RelayOptions(probeTimeout: TimeSpan.FromMilliseconds(300), retry: TimeSpan.FromMilliseconds(800));
        await using var h = new RelayHarness(seed: 10, options: options);
        var (a, b, binding) = await h.ConnectAsync();
        h.CutDirect = true; // the hole punch fails: a NAT that drops unsolicited packets, say
        Task<bool> fromA = a.ProbeDirectPathAsync(h.BTransport.LocalEndPoint);
        Task<bool> fromB = b.ProbeDirectPathAsync(h.ATransport.LocalEndPoint);
        Assert.False(await fromA.WaitAsync(UdpHarness.Timeout));
        Assert.False(await fromB.WaitAsync(UdpHarness.Timeout));
        Assert.Equal(LinkPath.Relay, a.ActivePath);
        long probes = a.GetStatus().DirectProbesSent + b.GetStatus().DirectProbesSent;
        Assert.True(probes >= 10, $"{probes} probes");

        // Still served through the relay meanwhile.
        await UdpHarness.SendNumbersAsync(a, 100, Reliability.ReliableOrdered);
        await ReceiveNumbersAsync(b, 100);

        h.CutDirect = false; // the path works now; nobody asks again: the links retry on their own
        for (int i = 0; i < 500 && (a.ActivePath != LinkPath.Direct || b.ActivePath != LinkPath.Direct); i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(LinkPath.Direct, a.ActivePath);
        Assert.Equal(LinkPath.Direct, b.ActivePath);
        Assert.True(a.GetStatus().DirectProbesSent + b.GetStatus().DirectProbesSent > probes, "whichever side retried first, one did");
        await UdpHarness.SendNumbersAsync(a, 100, Reliability.ReliableOrdered);
        await ReceiveNumbersAsync(b, 100);
    }

    [Fact]
    public async Task Unreliable_messages_are_relayed_and_a_relayed_link_reports_the_router_path()
    {
        await using var h = new RelayHarness(seed: 11);
        var (a, b, _) = await h.ConnectAsync();
        Assert.Equal(h.RouterAddress, a.RelayChannel!.Router);
        Assert.Equal(a.RelayChannel.Address, a.RemoteAddress);
        for (int i = 0; i < 50; i++)
        {
            Assert.True(a.TrySend(new byte[] { (byte)i }, Reliability.UnreliableSequenced));
            using LinkFrame frame = await b.ReceiveAsync().AsTask().WaitAsync(UdpHarness.Timeout);
            Assert.Equal((byte)i, frame.Span[0]);
        }
    }

    [Fact]
    public async Task A_dial_that_reaches_the_peer_before_it_opened_its_channel_completes_once_it_does()
    {
        await using var h = new RelayHarness(seed: 12);
        RelayBinding binding = h.Switch.Bind(h.ATransport.LocalEndPoint, h.BTransport.LocalEndPoint);
        Task<UdpLink> dialing = h.A.ConnectViaRelayAsync(h.RouterAddress, binding.FirstChannel, h.BKey.Id);
        await Task.Delay(150); // Inits reach B on a channel it does not know yet: dropped and counted
        Assert.False(dialing.IsCompleted);
        Assert.True(h.B.GetRelayStatistics().DroppedUnknownChannel > 0);
        h.B.OpenRelayChannel(h.RouterAddress, binding.SecondChannel);
        UdpLink a = await dialing.WaitAsync(UdpHarness.Timeout);
        UdpLink b = await h.B.AcceptAsync().AsTask().WaitAsync(UdpHarness.Timeout);
        await UdpHarness.SendNumbersAsync(b, 20, Reliability.ReliableOrdered);
        await ReceiveNumbersAsync(a, 20);
    }

    [Fact]
    public async Task A_dial_whose_Init_overtook_the_peers_channel_completes_when_the_peer_opens_it_not_at_the_next_retransmission()
    {
        // One Init only (the next would go after 60 s): the router keeps it and sends it again when B's open notice
        // says B reads its channel now. Without that the dial could not complete within the test's 30 s.
        UdpLinkOptions options = RelayHarness.RelayOptions(handshakeRetransmit: TimeSpan.FromSeconds(60));
        await using var h = new RelayHarness(seed: 21, options: options);
        RelayBinding binding = h.Switch.Bind(h.ATransport.LocalEndPoint, h.BTransport.LocalEndPoint);
        Task<UdpLink> dialing = h.A.ConnectViaRelayAsync(h.RouterAddress, binding.FirstChannel, h.BKey.Id);
        await PeerKit.Tests.Nodes.NodeTestKit.EventuallyAsync(() => h.B.GetRelayStatistics().DroppedUnknownChannel > 0, "the Init dropped at B"); // the Init reached B first
        Assert.False(dialing.IsCompleted);
        h.B.OpenRelayChannel(h.RouterAddress, binding.SecondChannel);
        UdpLink a = await dialing.WaitAsync(UdpHarness.Timeout);
        UdpLink b = await h.B.AcceptAsync().AsTask().WaitAsync(UdpHarness.Timeout);
        Assert.Equal(LinkPath.Relay, a.ActivePath);
        await UdpHarness.SendNumbersAsync(a, 20, Reliability.ReliableOrdered);
        await ReceiveNumbersAsync(b, 20);
    }

    [Fact]
    public async Task A_client_whose_nat_mapping_changed_is_served_again_once_the_router_rebinds_its_channel()
    {
        await using var h = new RelayHarness(seed: 13);
        var (a, b, binding) = await h.ConnectAsync();
        await UdpHarness.SendNumbersAsync(a, 50, Reliability.ReliableOrdered);
        await ReceiveNumbersAsync(b, 50);

        var moved = new System.Net.IPEndPoint(System.Net.IPAddress.Parse("10.0.0.77"), 4100);
        h.ATransport.Rebind(moved); // A's NAT picked a new port: the router sees A's datagrams from there
        Task sending = UdpHarness.SendNumbersAsync(a, 300, Reliability.ReliableOrdered);
        await Task.Delay(100);
        Assert.True(binding.GetCounters().DroppedForged > 0); // not the bound address: not forwarded
        Assert.True(h.Switch.Rebind(binding.FirstChannel, moved)); // the control plane saw A's session move
        await ReceiveNumbersAsync(b, 300);
        await sending.WaitAsync(UdpHarness.Timeout);
        Assert.Equal(moved, binding.First);
        Assert.Equal(LinkPath.Relay, a.ActivePath);
    }

    [Fact]
    public async Task One_socket_carries_the_clients_link_with_the_router_and_the_relayed_link_at_once()
    {
        await using var h = new RelayHarness(seed: 14);
        // A's own session with the router (the router is an ordinary PeerKit UDP peer), from the same socket.
        UdpLink control = await h.A.ConnectAsync(h.RouterAddress, h.RouterKey.Id).WaitAsync(UdpHarness.Timeout);
        UdpLink routerSide = await h.Router.AcceptAsync().AsTask().WaitAsync(UdpHarness.Timeout);
        Assert.Equal(h.ATransport.LocalEndPoint, routerSide.RemoteAddress); // what the router observes: A's candidate
        var (a, b, binding) = await h.ConnectAsync();

        Task relayed = UdpHarness.SendNumbersAsync(a, 500, Reliability.ReliableOrdered);
        Task direct = UdpHarness.SendNumbersAsync(control, 500, Reliability.ReliableOrdered);
        await ReceiveNumbersAsync(b, 500);
        await ReceiveNumbersAsync(routerSide, 500);
        await Task.WhenAll(relayed, direct);
        Assert.Equal(LinkPath.Direct, control.ActivePath);
        Assert.Null(control.RelayChannel);
        Assert.Equal(LinkPath.Relay, a.ActivePath);
        Assert.True(binding.GetCounters().DatagramsRelayed > 0);
        Assert.Equal(0, h.Router.GetStatistics().DroppedMalformed); // relay datagrams never reach the router's own links
    }
}
