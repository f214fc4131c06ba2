using System.Globalization;
using System.Net;
using PeerKit.Nat.Tests.Topology;

namespace PeerKit.Nat.Tests;

/// <summary>
/// The router (src/Router, embedded in a host in the public namespace) and its clients (src/Sdk/Routing) through real
/// NAT: connect by node id, the router exchanging the clients' observed addresses, and the routing modes.
/// </summary>
public sealed class RouterThroughNatTests
{
    private const int RouterPort = 7330;
    private const int ClientPort = 40000;
    private static readonly TimeSpan Reply = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Clients_behind_endpoint_independent_NATs_connect_by_id_through_the_router_and_go_direct()
    {
        await using NatTopology topology = NatTopology.Create(NatKind.EndpointIndependent, NatKind.EndpointIndependent);
        (HostProcess first, HostProcess second, string[] observed) = await StartRouterProgramAndClients(topology, "PreferP2P", TimeSpan.FromSeconds(10));

        // The router observed each client at its NAT, from the port the client listens on (one socket for both).
        Assert.Equal($"udp://{topology.First.NatAddress}:{ClientPort}", observed[0]);
        Assert.Equal($"udp://{topology.Second.NatAddress}:{ClientPort}", observed[1]);

        string[] connected = await first.OkAsync($"route-connect {second.Id}", Reply);
        Assert.Equal($"{topology.Second.NatAddress}:{ClientPort}", connected[2]); // the other NAT: a direct path

        // The first send right after the connect may still be queued (the client hands queued messages over first);
        // once it has arrived, every send goes straight to the direct session.
        await first.OkAsync($"route-send {second.Id} 1", Reply);
        Assert.Equal("count=1 last=1 inorder=true", await Received(second, first.Id, 1));

        topology.CountPublicTraffic(RouterPort);
        string[] sent = await first.OkAsync($"route-send {second.Id} 200 1000", Reply);
        Assert.Equal("p2p=200 relay=0 queued=0 dropped=0", string.Join(' ', sent[3..]));
        Assert.Equal("count=201 last=201 inorder=true", await Received(second, first.Id, 201));

        // 200 KB went from client to client; the router saw at most its own control traffic.
        long throughRouter = topology.PublicTrafficBytes();
        Assert.True(throughRouter < 20_000, $"{throughRouter} bytes went through the router during a 200 KB direct transfer");
        Assert.Contains($"Connected:{second.Id}:-", (await first.OkAsync("events", Reply))[1..]);
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

    private static async Task<string> Received(HostProcess host, NodeId from, int expected) =>
        string.Join(' ', (await host.OkAsync($"received {from} {expected} 10000", Reply))[1..]);
}
