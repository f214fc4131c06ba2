using System.Net;
using PeerKit.Nat.Tests.Topology;

namespace PeerKit.Nat.Tests;

/// <summary>
/// The topology itself, with plain UDP datagrams (no PeerKit): the two kinds of NAT map as their names say, hole
/// punching by hand works through endpoint-independent NATs and not through symmetric ones, and the cut drops the
/// direct path and only it.
/// </summary>
public sealed class NatTopologyTests
{
    private static readonly TimeSpan Reply = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Endpoint_independent_NAT_shows_two_destinations_one_mapping_and_symmetric_NAT_two()
    {
        await using NatTopology topology = NatTopology.Create(NatKind.EndpointIndependent, NatKind.Symmetric);
        HostProcess pub = await topology.StartHostAsync(topology.Public, "public");
        HostProcess first = await topology.StartHostAsync(topology.First.Namespace, "client behind endpoint-independent NAT");
        HostProcess second = await topology.StartHostAsync(topology.Second.Namespace, "client behind symmetric NAT");

        IPEndPoint[] eim = await MappingsSeenFromTwoDestinations(pub, first, 5000);
        IPEndPoint[] symmetric = await MappingsSeenFromTwoDestinations(pub, second, 5001);

        // Endpoint-independent: one mapping, the NAT's address with the client's own port (kept, as it was free).
        Assert.Equal(new IPEndPoint(topology.First.NatAddress, 40000), eim[0]);
        Assert.Equal(eim[0], eim[1]);

        // Symmetric: the NAT's address, a new random port per destination (two random ports in 1024–65535 are equal
        // with probability 1.6e-5).
        Assert.All(symmetric, m => Assert.Equal(topology.Second.NatAddress, m.Address));
        Assert.NotEqual(symmetric[0].Port, symmetric[1].Port);
    }

    [Fact]
    public async Task Clients_behind_endpoint_independent_NATs_punch_a_plain_UDP_hole_while_the_direct_path_is_not_cut()
    {
        await using NatTopology topology = NatTopology.Create(NatKind.EndpointIndependent, NatKind.EndpointIndependent);
        HostProcess first = await topology.StartHostAsync(topology.First.Namespace, "first client");
        HostProcess second = await topology.StartHostAsync(topology.Second.Namespace, "second client");
        var firstMapping = new IPEndPoint(topology.First.NatAddress, 40000);
        var secondMapping = new IPEndPoint(topology.Second.NatAddress, 40002);

        (string a, string b) = await PunchAtOnce(first, 40000, secondMapping, second, 40002, firstMapping, TimeSpan.FromSeconds(3));
        Assert.Equal($"ok punched {secondMapping}", a);
        Assert.Equal($"ok punched {firstMapping}", b);

        topology.CutDirectPath();
        (a, b) = await PunchAtOnce(first, 40000, secondMapping, second, 40002, firstMapping, TimeSpan.FromSeconds(1));
        Assert.StartsWith("error TimeoutException", a);
        Assert.StartsWith("error TimeoutException", b);
        Assert.True(topology.DirectPathDrops() >= 10, $"the cut dropped {topology.DirectPathDrops()} packets");

        topology.RestoreDirectPath();
        (a, b) = await PunchAtOnce(first, 40000, secondMapping, second, 40002, firstMapping, TimeSpan.FromSeconds(3));
        Assert.Equal($"ok punched {secondMapping}", a);
        Assert.Equal($"ok punched {firstMapping}", b);
    }

    [Fact]
    public async Task Cutting_the_direct_path_leaves_both_clients_reaching_the_public_addresses()
    {
        await using NatTopology topology = NatTopology.Create(NatKind.EndpointIndependent, NatKind.Symmetric);
        HostProcess pub = await topology.StartHostAsync(topology.Public, "public");
        HostProcess first = await topology.StartHostAsync(topology.First.Namespace, "first client");
        HostProcess second = await topology.StartHostAsync(topology.Second.Namespace, "second client");
        topology.CutDirectPath();

        IPEndPoint[] a = await MappingsSeenFromTwoDestinations(pub, first, 5000);
        IPEndPoint[] b = await MappingsSeenFromTwoDestinations(pub, second, 5001);
        Assert.All(a, m => Assert.Equal(topology.First.NatAddress, m.Address));
        Assert.All(b, m => Assert.Equal(topology.Second.NatAddress, m.Address));
        Assert.Equal(0, topology.DirectPathDrops());
    }

    [Fact]
    public async Task Clients_behind_symmetric_NATs_cannot_punch_a_plain_UDP_hole_to_the_mappings_a_public_host_saw()
    {
        await using NatTopology topology = NatTopology.Create(NatKind.Symmetric, NatKind.Symmetric);
        HostProcess pub = await topology.StartHostAsync(topology.Public, "public");
        HostProcess first = await topology.StartHostAsync(topology.First.Namespace, "first client");
        HostProcess second = await topology.StartHostAsync(topology.Second.Namespace, "second client");

        // What a router would tell each client: the other's mapping as seen from the public side.
        IPEndPoint firstSeen = (await MappingsSeenFromTwoDestinations(pub, first, 5000))[0];
        IPEndPoint secondSeen = (await MappingsSeenFromTwoDestinations(pub, second, 5001))[0];

        (string a, string b) = await PunchAtOnce(first, 40000, secondSeen, second, 40000, firstSeen, TimeSpan.FromSeconds(1.5));
        Assert.StartsWith("error TimeoutException", a);
        Assert.StartsWith("error TimeoutException", b);
    }

    /// <summary>
    /// From local port 40000 of <paramref name="client"/>, one datagram to each public address (port
    /// <paramref name="port"/>); returns the source each one saw: the NAT's mapping towards that destination.
    /// </summary>
    private static async Task<IPEndPoint[]> MappingsSeenFromTwoDestinations(HostProcess pub, HostProcess client, int port)
    {
        await pub.OkAsync($"probe-listen {NatTopology.PublicAddress}:{port} {NatTopology.SecondPublicAddress}:{port}", Reply);
        await client.OkAsync($"probe-send 40000 {NatTopology.PublicAddress}:{port} {NatTopology.SecondPublicAddress}:{port}", Reply);
        string[] seen = await pub.OkAsync("probe-results 3000", Reply);
        return seen[1..].Select(s => IPEndPoint.Parse(s[(s.IndexOf('=', StringComparison.Ordinal) + 1)..])).ToArray();
    }

    private static async Task<(string, string)> PunchAtOnce(
        HostProcess a, int aPort, IPEndPoint aTarget, HostProcess b, int bPort, IPEndPoint bTarget, TimeSpan timeout)
    {
        long ms = (long)timeout.TotalMilliseconds;
        Task<string> first = a.AskAsync($"punch {aPort} {aTarget} {ms}", timeout + Reply);
        Task<string> second = b.AskAsync($"punch {bPort} {bTarget} {ms}", timeout + Reply);
        return (await first, await second);
    }
}
