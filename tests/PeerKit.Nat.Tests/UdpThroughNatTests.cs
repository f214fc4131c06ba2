using System.Globalization;
using System.Net;
using PeerKit.Nat.Tests.Topology;

namespace PeerKit.Nat.Tests;

/// <summary>
/// PeerKit UDP nodes through real NAT, without a router: a public node observes each client's mapped address (the
/// server-reflexive address a router would hand out), and two clients told each other's mapping dial at once from
/// their listening sockets: one direct session through endpoint-independent NATs (hole punching by simultaneous open),
/// a typed failure within the dial timeout through symmetric ones.
/// </summary>
public sealed class UdpThroughNatTests
{
    private const int PublicPort = 7330;
    private const int ClientPort = 40000;
    private static readonly TimeSpan Reply = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Clients_behind_both_NAT_kinds_reach_a_public_node_which_observes_their_mapped_addresses()
    {
        await using NatTopology topology = NatTopology.Create(NatKind.EndpointIndependent, NatKind.Symmetric);
        (HostProcess pub, HostProcess first, HostProcess second) = await StartNodes(topology);

        IPEndPoint firstSeen = await Register(pub, first);
        IPEndPoint secondSeen = await Register(pub, second);

        // The endpoint-independent NAT kept the port of the socket the client listens on: the dial left from it.
        Assert.Equal(new IPEndPoint(topology.First.NatAddress, ClientPort), firstSeen);
        Assert.Equal(topology.Second.NatAddress, secondSeen.Address);

        // Sessions work both ways through both NATs.
        await first.OkAsync($"send {pub.Id} 50", Reply);
        await second.OkAsync($"send {pub.Id} 50", Reply);
        await pub.OkAsync($"send {first.Id} 50", Reply);
        await pub.OkAsync($"send {second.Id} 50", Reply);
        Assert.Equal(Delivered(50), await Received(pub, first.Id, 50));
        Assert.Equal(Delivered(50), await Received(pub, second.Id, 50));
        Assert.Equal(Delivered(50), await Received(first, pub.Id, 50));
        Assert.Equal(Delivered(50), await Received(second, pub.Id, 50));
    }

    [Fact]
    public async Task Clients_behind_endpoint_independent_NATs_told_each_others_mapping_dial_at_once_and_share_one_direct_session()
    {
        await using NatTopology topology = NatTopology.Create(NatKind.EndpointIndependent, NatKind.EndpointIndependent);
        (HostProcess pub, HostProcess first, HostProcess second) = await StartNodes(topology);
        IPEndPoint firstSeen = await Register(pub, first);
        IPEndPoint secondSeen = await Register(pub, second);

        // As a router would: each is told the other's id and mapping, and both dial at once (simultaneous open).
        Task<string> firstDial = first.AskAsync($"connect udp://{second.Id}@{secondSeen} 10000", Reply);
        Task<string> secondDial = second.AskAsync($"connect udp://{first.Id}@{firstSeen} 10000", Reply);
        string a = await firstDial, b = await secondDial;
        Assert.StartsWith($"ok connected {second.Id} {secondSeen}", a);
        Assert.StartsWith($"ok connected {first.Id} {firstSeen}", b);

        // One session each way, on the direct path (the other NAT's address, not the public node's).
        Assert.Equal([$"{pub.Id}@{NatTopology.PublicAddress}:{PublicPort}", $"{second.Id}@{secondSeen}"], await PeerAddresses(first));
        Assert.Equal([$"{pub.Id}@{NatTopology.PublicAddress}:{PublicPort}", $"{first.Id}@{firstSeen}"], await PeerAddresses(second));

        await first.OkAsync($"send {second.Id} 200 100", Reply);
        await second.OkAsync($"send {first.Id} 200 100", Reply);
        Assert.Equal(Delivered(200), await Received(second, first.Id, 200));
        Assert.Equal(Delivered(200), await Received(first, second.Id, 200));

        // The public node carried none of it: it saw only its own sessions' messages (none).
        Assert.Equal(Delivered(0), await Received(pub, first.Id, 0));
    }

    [Fact]
    public async Task Clients_behind_symmetric_NATs_fail_to_dial_each_others_mapping_within_the_dial_timeout_with_a_typed_error()
    {
        await using NatTopology topology = NatTopology.Create(NatKind.Symmetric, NatKind.Symmetric);
        TimeSpan dialTimeout = TimeSpan.FromSeconds(2);
        (HostProcess pub, HostProcess first, HostProcess second) = await StartNodes(topology, dialTimeout);
        IPEndPoint firstSeen = await Register(pub, first);
        IPEndPoint secondSeen = await Register(pub, second);

        Task<string> firstDial = first.AskAsync($"connect udp://{second.Id}@{secondSeen} 10000", Reply);
        Task<string> secondDial = second.AskAsync($"connect udp://{first.Id}@{firstSeen} 10000", Reply);
        foreach (string reply in new[] { await firstDial, await secondDial })
        {
            // error PeerConnectException <reason> <ms> <inner type> <message>
            string[] words = reply.Split(' ');
            Assert.True(words.Length > 4 && words[0] == "error" && words[1] == "PeerConnectException", reply);
            Assert.Equal(nameof(DisconnectReason.NetworkError), words[2]);
            Assert.Equal("PeerUnreachableException", words[4]);
            long ms = long.Parse(words[3], CultureInfo.InvariantCulture);
            Assert.InRange(ms, (long)dialTimeout.TotalMilliseconds - 100, (long)dialTimeout.TotalMilliseconds + 2000);
        }

        // Each still has its session with the public node, and nothing else.
        Assert.Equal([$"{pub.Id}@{NatTopology.PublicAddress}:{PublicPort}"], await PeerAddresses(first));
        Assert.Equal([$"{pub.Id}@{NatTopology.PublicAddress}:{PublicPort}"], await PeerAddresses(second));
    }

    private static async Task<(HostProcess Public, HostProcess First, HostProcess Second)> StartNodes(NatTopology topology, TimeSpan? dialTimeout = null)
    {
        Task<HostProcess> pub = topology.StartHostAsync(topology.Public, "public node");
        Task<HostProcess> first = topology.StartHostAsync(topology.First.Namespace, $"first client ({topology.First.Kind} NAT)");
        Task<HostProcess> second = topology.StartHostAsync(topology.Second.Namespace, $"second client ({topology.Second.Kind} NAT)");
        await Task.WhenAll(
            (await pub).StartNodeAsync(PublicPort, dialTimeout),
            (await first).StartNodeAsync(ClientPort, dialTimeout),
            (await second).StartNodeAsync(ClientPort, dialTimeout));
        return (await pub, await first, await second);
    }

    /// <summary>The client dials the public node; returns the client's address as the public node observes it.</summary>
    private static async Task<IPEndPoint> Register(HostProcess pub, HostProcess client)
    {
        string[] connected = await client.OkAsync($"connect udp://{pub.Id}@{NatTopology.PublicAddress}:{PublicPort} 10000", Reply);
        Assert.Equal($"{NatTopology.PublicAddress}:{PublicPort}", connected[2]);
        string[] peer = await pub.OkAsync($"wait-peer {client.Id} 5000", Reply);
        Assert.Equal("inbound", peer[3]);
        return IPEndPoint.Parse(peer[2]);
    }

    /// <summary>The host's peers as <c>id@remote</c>, sorted so the public node comes first.</summary>
    private static async Task<string[]> PeerAddresses(HostProcess host)
    {
        string[] words = await host.OkAsync("peers", Reply);
        return words[2..].Select(w => w[..w.IndexOf('/', StringComparison.Ordinal)])
            .OrderBy(w => w.Contains($"@{NatTopology.PublicAddress}:", StringComparison.Ordinal) ? 0 : 1).ToArray();
    }

    private static async Task<string> Received(HostProcess host, NodeId from, int expected) =>
        string.Join(' ', (await host.OkAsync($"received {from} {expected} 10000", Reply))[1..]);

    private static string Delivered(int count) => $"count={count} last={count} inorder=true";
}
