using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace PeerKit.Nat.Tests.Topology;

/// <summary>
/// Real NAT in network namespaces: a "public" namespace (where a router or a public node runs, reachable at
/// <see cref="PublicAddress"/> and <see cref="SecondPublicAddress"/>) and two clients, each in its own private namespace
/// behind its own NAT namespace doing nftables NAT of a <see cref="NatKind"/>:
/// <code>
///  c1 (10.1.0.2) ─ nat1 (10.1.0.1 | 198.51.100.2) ─┐                 ┌─ nat2 (203.0.113.2 | 10.2.0.1) ─ c2 (10.2.0.2)
///                                                  └─ pub (198.51.100.1, 203.0.113.1; 192.0.2.1 and 192.0.2.2 on lo) ─┘
/// </code>
/// The public namespace routes between the NATs, so the clients' direct path (NAT to NAT) crosses it, and
/// <see cref="CutDirectPath"/> drops it there while both keep reaching the public addresses. Every address is inside
/// these namespaces; nothing is routed to the machine's own network. The public namespace answers from
/// <see cref="PublicAddress"/> (the routes' preferred source), so a service listening on 0.0.0.0 there is reached at
/// <see cref="PublicAddress"/>; <see cref="SecondPublicAddress"/> only receives (enough to see a client's mapping
/// towards a second destination). Dispose (and a failed setup) ends the hosts
/// started in the namespaces and deletes the namespaces, which removes their interfaces and rules; namespaces left by
/// a crashed earlier run (named <c>pknat{pid}{random}-…</c>, their process gone) are deleted first.
/// </summary>
internal sealed partial class NatTopology : IAsyncDisposable
{
    /// <summary>The public address a router or public node is reached at (on the public namespace's loopback).</summary>
    public static readonly IPAddress PublicAddress = IPAddress.Parse("192.0.2.1");

    /// <summary>A second public address of the same namespace, to see a client's mapping from another destination.</summary>
    public static readonly IPAddress SecondPublicAddress = IPAddress.Parse("192.0.2.2");

    private const string Prefix = "pknat";
    private const string CutTable = "pkcut";
    private const string CountTable = "pkcount";

    private readonly string _ip;
    private readonly string _nft;
    private readonly List<string> _created = [];
    private readonly List<HostProcess> _hosts = [];
    private readonly List<RouterProcess> _routers = [];

    private NatTopology(string ip, string nft, string tag, NatKind first, NatKind second)
    {
        _ip = ip;
        _nft = nft;
        Public = $"{Prefix}{tag}-pub";
        First = new NatClient($"{Prefix}{tag}-c1", $"{Prefix}{tag}-nat1", first, IPAddress.Parse("10.1.0.2"), IPAddress.Parse("198.51.100.2"));
        Second = new NatClient($"{Prefix}{tag}-c2", $"{Prefix}{tag}-nat2", second, IPAddress.Parse("10.2.0.2"), IPAddress.Parse("203.0.113.2"));
    }

    /// <summary>The public namespace.</summary>
    public string Public { get; }

    /// <summary>The client behind the first NAT.</summary>
    public NatClient First { get; }

    /// <summary>The client behind the second NAT.</summary>
    public NatClient Second { get; }

    /// <summary>Whether <see cref="CutDirectPath"/> is in force.</summary>
    public bool IsCut { get; private set; }

    /// <summary>
    /// Builds the topology (about 40 ip and nft commands, well under a second). Needs root; installs iproute2 and
    /// nftables with apt-get when missing.
    /// </summary>
    public static NatTopology Create(NatKind first, NatKind second)
    {
        NetworkNamespaces.RequireRoot();
        string ip = SystemTools.Require("ip", "iproute2");
        string nft = SystemTools.Require("nft", "nftables");
        NetworkNamespaces.RemoveLeftovers(ip, Prefix);
        var topology = new NatTopology(ip, nft, NetworkNamespaces.NewTag(), first, second);
        try
        {
            topology.Build();
            return topology;
        }
        catch
        {
            topology.DeleteNamespaces();
            throw;
        }
    }

    /// <summary>Starts a host process (tests/PeerKit.Nat.Host) in <paramref name="ns"/>; ended with the topology.</summary>
    public async Task<HostProcess> StartHostAsync(string ns, string name)
    {
        HostProcess host = HostProcess.Start(_ip, ns, name);
        lock (_hosts)
        {
            _hosts.Add(host);
        }

        await host.WaitReadyAsync(TimeSpan.FromSeconds(30));
        return host;
    }

    /// <summary>Starts the router program (src/Router) in the public namespace, listening on UDP <paramref name="port"/>; ended with the topology.</summary>
    public async Task<RouterProcess> StartRouterProcessAsync(int port)
    {
        RouterProcess router = await RouterProcess.StartAsync(_ip, Public, port, TimeSpan.FromSeconds(30));
        lock (_routers)
        {
            _routers.Add(router);
        }

        return router;
    }

    /// <summary>
    /// Drops every packet between the two NATs' public addresses, both ways, where the public namespace forwards them:
    /// the clients' direct path dies while their paths to the public addresses stay up.
    /// </summary>
    public void CutDirectPath()
    {
        string a = First.NatAddress.ToString(), b = Second.NatAddress.ToString();
        Nft(Public, $$"""
            table ip {{CutTable}} {
              chain forward {
                type filter hook forward priority -10; policy accept;
                ip saddr {{a}} ip daddr {{b}} counter drop
                ip saddr {{b}} ip daddr {{a}} counter drop
              }
            }
            """);
        IsCut = true;
    }

    /// <summary>Packets dropped by <see cref="CutDirectPath"/> so far (0 when not cut).</summary>
    public long DirectPathDrops()
    {
        if (!IsCut)
        {
            return 0;
        }

        (int code, string output) = SystemTools.Run(_ip, $"netns exec {Public} {_nft} list table ip {CutTable}", TimeSpan.FromSeconds(10));
        if (code != 0)
        {
            throw new InvalidOperationException($"nft list table ip {CutTable} failed (exit {code}): {output}");
        }

        return PacketCounter().Matches(output).Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Counts, from now on, the UDP bytes the public namespace itself receives on <paramref name="port"/> and sends from
    /// it (a router's traffic: control and relayed; what it forwards between the NATs is not counted).
    /// </summary>
    public void CountPublicTraffic(int port) =>
        Nft(Public, $$"""
            table ip {{CountTable}} {
              chain input {
                type filter hook input priority -5; policy accept;
                udp dport {{port}} counter
              }
              chain output {
                type filter hook output priority -5; policy accept;
                udp sport {{port}} counter
              }
            }
            """);

    /// <summary>Bytes (IP packets, both ways) counted by <see cref="CountPublicTraffic"/> so far.</summary>
    public long PublicTrafficBytes()
    {
        (int code, string output) = SystemTools.Run(_ip, $"netns exec {Public} {_nft} list table ip {CountTable}", TimeSpan.FromSeconds(10));
        if (code != 0)
        {
            throw new InvalidOperationException($"nft list table ip {CountTable} failed (exit {code}): {output}");
        }

        return ByteCounter().Matches(output).Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Makes <paramref name="client"/>'s NAT forget its mappings (its connection tracking table is flushed, with
    /// <c>conntrack -F</c>, installed with apt-get when missing): the client's next packets leave from a new public port
    /// on a random-port NAT, as when a NAT reboots or its mapping times out while the client is quiet.
    /// </summary>
    public void ForgetMappings(NatClient client)
    {
        string conntrack = SystemTools.Require("conntrack", "conntrack");
        Run($"netns exec {client.NatNamespace} {conntrack} -F");
    }

    /// <summary>Removes the cut: the direct path forwards again (the NATs' mappings were kept meanwhile).</summary>
    public void RestoreDirectPath()
    {
        if (IsCut)
        {
            Run($"netns exec {Public} {_nft} delete table ip {CutTable}");
            IsCut = false;
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        HostProcess[] hosts;
        RouterProcess[] routers;
        lock (_hosts)
        {
            hosts = [.. _hosts];
            _hosts.Clear();
        }

        lock (_routers)
        {
            routers = [.. _routers];
            _routers.Clear();
        }

        // A process still inside a namespace keeps it alive after "ip netns del": end them first.
        await Task.WhenAll(hosts.Select(h => h.DisposeAsync().AsTask()).Concat(routers.Select(r => r.DisposeAsync().AsTask())));
        DeleteNamespaces();
    }

    private void Build()
    {
        foreach (string ns in new[] { Public, First.NatNamespace, First.Namespace, Second.NatNamespace, Second.Namespace })
        {
            Run($"netns add {ns}");
            _created.Add(ns);
            Run($"-n {ns} link set lo up");
        }

        Run($"-n {Public} addr add {PublicAddress}/32 dev lo");
        Run($"-n {Public} addr add {SecondPublicAddress}/32 dev lo");
        EnableForwarding(Public);
        Connect(First, "to1", "198.51.100.1", "10.1.0.1");
        Connect(Second, "to2", "203.0.113.1", "10.2.0.1");
    }

    /// <summary>Links a client and its NAT: public ↔ NAT (wan), NAT (lan) ↔ client (eth0), routes and NAT rules.</summary>
    private void Connect(NatClient client, string publicSide, string publicSideAddress, string lanAddress)
    {
        // Each veth pair is created inside a namespace of this topology and its peer moved straight to another, so no
        // interface ever appears in the machine's own namespace.
        Run($"-n {Public} link add {publicSide} type veth peer name wan netns {client.NatNamespace}");
        Run($"-n {client.NatNamespace} link add lan type veth peer name eth0 netns {client.Namespace}");
        Run($"-n {Public} addr add {publicSideAddress}/24 dev {publicSide}");
        Run($"-n {client.NatNamespace} addr add {client.NatAddress}/24 dev wan");
        Run($"-n {client.NatNamespace} addr add {lanAddress}/24 dev lan");
        Run($"-n {client.Namespace} addr add {client.PrivateAddress}/24 dev eth0");
        Run($"-n {Public} link set {publicSide} up");

        // A socket bound to 0.0.0.0 in the public namespace (a router) answers from the route's preferred source
        // address, which would be this link's own address; the client's NAT would drop an answer from an address it did
        // not send to. So answers leave from the public address, as they do from a server with one address.
        Run($"-n {Public} route replace {publicSideAddress[..publicSideAddress.LastIndexOf('.')]}.0/24 dev {publicSide} src {PublicAddress}");
        Run($"-n {client.NatNamespace} link set wan up");
        Run($"-n {client.NatNamespace} link set lan up");
        Run($"-n {client.Namespace} link set eth0 up");
        Run($"-n {client.NatNamespace} route add default via {publicSideAddress}");
        Run($"-n {client.Namespace} route add default via {lanAddress}");
        EnableForwarding(client.NatNamespace);

        // The stateful firewall drops unsolicited packets from the public side before conntrack confirms an entry for
        // them, as a home router does; without it, a peer's first punching packet, arriving before the client's own
        // went out, would leave an entry that makes the NAT pick another port for the client's packet (a clash).
        string masquerade = client.Kind == NatKind.Symmetric ? "masquerade random,fully-random" : "masquerade";
        Nft(client.NatNamespace, $$"""
            table ip nat {
              chain postrouting {
                type nat hook postrouting priority srcnat; policy accept;
                oifname "wan" {{masquerade}}
              }
            }
            table ip filter {
              chain input {
                type filter hook input priority filter; policy drop;
                ct state established,related accept
                iifname "lo" accept
                iifname "lan" accept
              }
              chain forward {
                type filter hook forward priority filter; policy drop;
                ct state established,related accept
                iifname "lan" oifname "wan" accept
              }
            }
            """);
    }

    private void EnableForwarding(string ns) =>
        Run($"netns exec {ns} /bin/sh -c \"echo 1 > /proc/sys/net/ipv4/ip_forward\"");

    /// <summary>Loads an nftables ruleset into <paramref name="ns"/> (through a file: nft reads rules atomically from one).</summary>
    private void Nft(string ns, string rules)
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, rules + "\n");
            Run($"netns exec {ns} {_nft} -f {file}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    private void Run(string arguments) => NetworkNamespaces.Ip(_ip, arguments);

    private void DeleteNamespaces()
    {
        foreach (string ns in _created.AsEnumerable().Reverse())
        {
            SystemTools.Run(_ip, $"netns del {ns}", TimeSpan.FromSeconds(30));
        }

        _created.Clear();
    }

    [GeneratedRegex(@"counter packets (\d+)")]
    private static partial Regex PacketCounter();

    [GeneratedRegex(@"counter packets \d+ bytes (\d+)")]
    private static partial Regex ByteCounter();
}
