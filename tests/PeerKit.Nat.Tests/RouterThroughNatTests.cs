using System.Globalization;
using System.Net;
using PeerKit.Nat.Tests.Topology;

namespace PeerKit.Nat.Tests;

/// <summary>
/// The router (src/Router: embedded in a host in the public namespace, where a test reads its relay counters, or the
/// router program) and its clients (src/Sdk/Routing) through real NAT: connect by node id, the relay, the upgrade to
/// the direct path and the fall back to the relay, and the routing modes.
/// </summary>
public sealed class RouterThroughNatTests
{
    private const int RouterPort = 7330;
    private const int ClientPort = 40000;
    private static readonly TimeSpan Reply = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Clients_behind_endpoint_independent_NATs_start_on_the_relay_then_go_direct_and_the_router_stops_relaying()
    {
        await using NatTopology topology = NatTopology.Create(NatKind.EndpointIndependent, NatKind.EndpointIndependent);
        (HostProcess router, HostProcess first, HostProcess second, string[] observed) = await StartRouterAndClients(topology, "PreferP2P", TimeSpan.FromSeconds(10));

        // The router observed each client at its NAT, from the port the client listens on (one socket for both).
        Assert.Equal($"udp://{topology.First.NatAddress}:{ClientPort}", observed[0]);
        Assert.Equal($"udp://{topology.Second.NatAddress}:{ClientPort}", observed[1]);

        await first.OkAsync($"route-connect {second.Id}", Reply);
        await first.OkAsync($"wait-path {second.Id} Direct 10000", Reply);
        await second.OkAsync($"wait-path {first.Id} Direct 10000", Reply);
        Assert.Equal($"{topology.Second.NatAddress}:{ClientPort}", (await first.OkAsync($"link {second.Id}", Reply))[1]);
        Assert.Equal($"{topology.First.NatAddress}:{ClientPort}", (await second.OkAsync($"link {first.Id}", Reply))[1]);

        // The session started on the relay (its handshake went through the router), then moved.
        long relayedBefore = await RelayedBytes(router);
        Assert.True(relayedBefore > 0, "the router relayed nothing: the session did not start on the relay");

        topology.CountPublicTraffic(RouterPort);
        string[] sent = await first.OkAsync($"route-send {second.Id} 200 1000", Reply);
        Assert.Equal("p2p=200 relay=0 queued=0 dropped=0", string.Join(' ', sent[3..]));
        Assert.Equal("count=200 last=200 inorder=true", await Received(second, first.Id, 200));

        // 200 KB went from client to client; the router relayed none of it (its port saw at most control traffic).
        long relayed = await RelayedBytes(router) - relayedBefore;
        long throughRouter = topology.PublicTrafficBytes();
        Assert.True(relayed < 2_000, $"the router relayed {relayed} bytes during a 200 KB transfer on the direct path");
        Assert.True(throughRouter < 20_000, $"{throughRouter} bytes went through the router's port during a 200 KB direct transfer");
        Assert.Contains($"Connected:{second.Id}:-", (await first.OkAsync("events", Reply))[1..]);
    }

    [Fact]
    public async Task Clients_behind_symmetric_NATs_are_relayed_and_every_message_arrives_with_SendResult_Relay()
    {
        await using NatTopology topology = NatTopology.Create(NatKind.Symmetric, NatKind.Symmetric);
        (HostProcess router, HostProcess first, HostProcess second, _) = await StartRouterAndClients(topology, "PreferP2P", TimeSpan.FromSeconds(10));

        await first.OkAsync($"route-connect {second.Id}", Reply);

        long relayedBefore = await RelayedBytes(router);
        string[] sent = await first.OkAsync($"route-send {second.Id} 200 1000", Reply);
        Assert.Equal("p2p=0 relay=200 queued=0 dropped=0", string.Join(' ', sent[3..]));
        Assert.Equal("count=200 last=200 inorder=true", await Received(second, first.Id, 200));
        string[] back = await second.OkAsync($"route-send {first.Id} 50 1000", Reply);
        Assert.Equal("p2p=0 relay=50 queued=0 dropped=0", string.Join(' ', back[3..]));
        Assert.Equal("count=50 last=50 inorder=true", await Received(first, second.Id, 50));

        long relayed = await RelayedBytes(router) - relayedBefore;
        Assert.True(relayed >= 250_000, $"the router relayed {relayed} bytes of a 250 KB exchange");
        Assert.Contains("path=Relay", await first.OkAsync($"link {second.Id}", Reply));
    }

    [Fact]
    public async Task ServerOnly_clients_stay_on_the_relay_of_the_router_program_where_a_direct_path_exists()
    {
        await using NatTopology topology = NatTopology.Create(NatKind.EndpointIndependent, NatKind.EndpointIndependent);
        (HostProcess first, HostProcess second, _) = await StartRouterProgramAndClients(topology, "ServerOnly", TimeSpan.FromSeconds(10));

        await first.OkAsync($"route-connect {second.Id}", Reply);

        topology.CountPublicTraffic(RouterPort);
        string[] sent = await first.OkAsync($"route-send {second.Id} 200 1000", Reply);
        Assert.Equal("p2p=0 relay=200 queued=0 dropped=0", string.Join(' ', sent[3..]));
        Assert.Equal("count=200 last=200 inorder=true", await Received(second, first.Id, 200));

        // Through the router both ways: in from one client and out to the other.
        long throughRouter = topology.PublicTrafficBytes();
        Assert.True(throughRouter >= 400_000, $"only {throughRouter} bytes went through the router's port during a 200 KB relayed transfer");

        // A PreferP2P link here goes direct within a second (the test above); ServerOnly never does.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Contains("path=Relay", await first.OkAsync($"link {second.Id}", Reply));
        Assert.Contains("path=Relay", await second.OkAsync($"link {first.Id}", Reply));
    }

    [Fact]
    public async Task A_direct_path_cut_mid_stream_falls_back_to_the_relay_and_every_reliable_message_arrives_once_in_order()
    {
        await using NatTopology topology = NatTopology.Create(NatKind.EndpointIndependent, NatKind.EndpointIndependent);
        (HostProcess router, HostProcess first, HostProcess second, _) = await StartRouterAndClients(topology, "PreferP2P", TimeSpan.FromSeconds(10));
        await first.OkAsync($"route-connect {second.Id}", Reply);
        await first.OkAsync($"wait-path {second.Id} Direct 10000", Reply);
        await second.OkAsync($"wait-path {first.Id} Direct 10000", Reply);
        long relayedBefore = await RelayedBytes(router);

        // 300 messages, one every 10 ms; the direct path dies a second in.
        await first.OkAsync($"send-start {second.Id} 300 10", Reply);
        await Task.Delay(TimeSpan.FromSeconds(1));
        topology.CutDirectPath();
        string[] sent = await first.OkAsync("send-wait 30000", TimeSpan.FromSeconds(40));
        Assert.Equal("300", sent[1]);

        Assert.Equal("count=300 last=300 inorder=true", await Received(second, first.Id, 300, 20_000));
        await first.OkAsync($"wait-path {second.Id} Relay 10000", Reply);
        Assert.True(topology.DirectPathDrops() > 0, "the cut dropped nothing: the stream was not on the direct path");
        long relayed = await RelayedBytes(router) - relayedBefore;
        Assert.True(relayed > 0, "the router relayed nothing after the cut");
    }

    [Fact]
    public async Task A_relayed_client_whose_NAT_forgets_its_mapping_is_followed_by_the_router_and_every_message_arrives_once_in_order()
    {
        await using NatTopology topology = NatTopology.Create(NatKind.Symmetric, NatKind.Symmetric);
        (HostProcess router, HostProcess first, HostProcess second, _) = await StartRouterAndClients(topology, "PreferP2P", TimeSpan.FromSeconds(10));
        await first.OkAsync($"route-connect {second.Id}", Reply);
        string[] before = await first.OkAsync($"route-send {second.Id} 50 1000", Reply);
        Assert.Equal("p2p=0 relay=50 queued=0 dropped=0", string.Join(' ', before[3..]));
        Assert.Equal("count=50 last=50 inorder=true", await Received(second, first.Id, 50));
        Assert.Equal("0", await RouterStat(router, "rebinds"));

        // The first NAT forgets: the first client's packets now reach the router from a new port. Its relay datagrams
        // are forged ones until its router session moves there (its next packet to the router: at most the keep-alive
        // interval, 5 s), and the router then rebinds its relay channel.
        topology.ForgetMappings(topology.First);
        string[] after = await first.OkAsync($"route-send {second.Id} 50 1000", Reply);
        Assert.Equal("p2p=0 relay=50 queued=0 dropped=0", string.Join(' ', after[3..]));
        Assert.Equal("count=100 last=100 inorder=true", await Received(second, first.Id, 100, 25_000));
        Assert.NotEqual("0", await RouterStat(router, "rebinds"));
        Assert.Contains("path=Relay", await first.OkAsync($"link {second.Id}", Reply));
    }

    [Fact]
    public async Task P2POnly_clients_behind_symmetric_NATs_get_ConnectionFailed_within_the_connect_timeout()
    {
        await using NatTopology topology = NatTopology.Create(NatKind.Symmetric, NatKind.Symmetric);
        TimeSpan timeout = TimeSpan.FromSeconds(3);
        (HostProcess router, HostProcess first, HostProcess second, string[] observed) = await StartRouterAndClients(topology, "P2POnly", timeout);
        Assert.StartsWith($"udp://{topology.First.NatAddress}:", observed[0]);
        Assert.StartsWith($"udp://{topology.Second.NatAddress}:", observed[1]);

        string reply = await first.AskAsync($"route-connect {second.Id}", Reply);

        // error RoutedConnectException <failure> <ms> <message>
        string[] words = reply.Split(' ');
        Assert.True(words.Length > 3 && words[0] == "error" && words[1] == "RoutedConnectException", reply);
        Assert.Equal("NoDirectPath", words[2]);
        Assert.InRange(long.Parse(words[3], CultureInfo.InvariantCulture), (long)timeout.TotalMilliseconds - 100, (long)timeout.TotalMilliseconds + 2000);
        Assert.Contains($"ConnectionFailed:{second.Id}:NoDirectPath", (await first.OkAsync("events", Reply))[1..]);

        // Only the router session is up on either side.
        Assert.Equal("1", (await first.OkAsync("peers", Reply))[1]);
    }

    /// <summary>
    /// Starts the router program (src/Router, as <c>dotnet run --project src/Router -- --listen udp://0.0.0.0:7330</c>
    /// runs it) in the public namespace and a router client in each client namespace; returns the client hosts and the
    /// addresses the router observed for them.
    /// </summary>
    private static async Task<(HostProcess First, HostProcess Second, string[] Observed)> StartRouterProgramAndClients(
        NatTopology topology, string mode, TimeSpan connectTimeout)
    {
        Task<RouterProcess> router = topology.StartRouterProcessAsync(RouterPort);
        Task<HostProcess> firstHost = topology.StartHostAsync(topology.First.Namespace, $"first client ({topology.First.Kind} NAT)");
        Task<HostProcess> secondHost = topology.StartHostAsync(topology.Second.Namespace, $"second client ({topology.Second.Kind} NAT)");
        HostProcess first = await firstHost, second = await secondHost;
        string[] observed = await StartClients($"udp://{(await router).Id}@{NatTopology.PublicAddress}:{RouterPort}", first, second, mode, connectTimeout);
        return (first, second, observed);
    }

    /// <summary>
    /// Starts the router in the public namespace and a router client in each client namespace (listening on
    /// <see cref="ClientPort"/>); returns the hosts and the addresses the router observed for the two clients.
    /// </summary>
    private static async Task<(HostProcess Router, HostProcess First, HostProcess Second, string[] Observed)> StartRouterAndClients(
        NatTopology topology, string mode, TimeSpan connectTimeout)
    {
        Task<HostProcess> routerHost = topology.StartHostAsync(topology.Public, "router");
        Task<HostProcess> firstHost = topology.StartHostAsync(topology.First.Namespace, $"first client ({topology.First.Kind} NAT)");
        Task<HostProcess> secondHost = topology.StartHostAsync(topology.Second.Namespace, $"second client ({topology.Second.Kind} NAT)");
        HostProcess router = await routerHost, first = await firstHost, second = await secondHost;

        string[] started = await router.OkAsync($"router udp://0.0.0.0:{RouterPort}", Reply);
        string[] observed = await StartClients($"udp://{started[1]}@{NatTopology.PublicAddress}:{RouterPort}", first, second, mode, connectTimeout);
        return (router, first, second, observed);
    }

    /// <summary>
    /// Starts a router client in each client host, listening on <see cref="ClientPort"/>, attached to
    /// <paramref name="address"/>; returns the addresses the router observed for them.
    /// </summary>
    private static async Task<string[]> StartClients(
        string address, HostProcess first, HostProcess second, string mode, TimeSpan connectTimeout)
    {
        long ms = (long)connectTimeout.TotalMilliseconds;
        Task<string[]> a = first.OkAsync($"client {address} {mode} {ms} {ClientPort}", Reply);
        Task<string[]> b = second.OkAsync($"client {address} {mode} {ms} {ClientPort}", Reply);
        string[] firstClient = await a, secondClient = await b;
        first.SetNode(NodeId.Parse(firstClient[1]), ClientPort);
        second.SetNode(NodeId.Parse(secondClient[1]), ClientPort);
        return [firstClient[3], secondClient[3]];
    }

    private static async Task<string> Received(HostProcess host, NodeId from, int expected, int timeoutMs = 10_000) =>
        string.Join(' ', (await host.OkAsync($"received {from} {expected} {timeoutMs}", Reply))[1..]);

    /// <summary>The bytes the embedded router in <paramref name="router"/> has relayed so far.</summary>
    private static async Task<string> RouterStat(HostProcess router, string name)
    {
        string[] stats = await router.OkAsync("router-stats", Reply);
        return stats.Single(w => w.StartsWith(name + "=", StringComparison.Ordinal))[(name.Length + 1)..];
    }

    private static async Task<long> RelayedBytes(HostProcess router)
    {
        string[] stats = await router.OkAsync("router-stats", Reply);
        string relayed = stats.Single(w => w.StartsWith("relayed=", StringComparison.Ordinal));
        return long.Parse(relayed["relayed=".Length..], CultureInfo.InvariantCulture);
    }
}
