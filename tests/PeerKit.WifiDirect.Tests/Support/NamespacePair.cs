using System.Globalization;

namespace PeerKit.WifiDirect.Tests.Support;

/// <summary>
/// Two network namespaces joined by a veth pair whose ends are both named like a P2P group interface
/// (<see cref="GroupInterface"/>, e.g. <c>p2p-wlan0-0</c>), with the owner's and the client's addresses. Every step is
/// checked; dispose (and a failed setup) deletes both namespaces, which removes the veth pair with them.
/// </summary>
internal sealed class NamespacePair : IDisposable
{
    public const string GroupInterface = "p2p-wlan0-0";
    public const string OwnerAddress = "192.168.49.1";
    public const string ClientAddress = "192.168.49.10";
    private const string Prefix = "pkwd";

    private readonly string _ip;
    private readonly List<string> _created = [];

    private NamespacePair(string ip, string tag)
    {
        _ip = ip;
        Owner = $"{Prefix}{tag}-go";
        Client = $"{Prefix}{tag}-gc";
    }

    /// <summary>The full path of ip(8), to run programs in a namespace (<c>ip netns exec</c>).</summary>
    public string IpPath => _ip;

    /// <summary>The group owner's namespace.</summary>
    public string Owner { get; }

    /// <summary>The client's namespace.</summary>
    public string Client { get; }

    public static NamespacePair Create()
    {
        NetworkNamespaces.RequireRoot();
        string ip = SystemTools.Require("ip", "iproute2");
        NetworkNamespaces.RemoveLeftovers(ip, Prefix);
        string tag = NetworkNamespaces.NewTag();
        var pair = new NamespacePair(ip, tag);
        try
        {
            pair.Setup(tag);
            return pair;
        }
        catch
        {
            pair.Dispose();
            throw;
        }
    }

    /// <summary>
    /// One namespace (<see cref="Owner"/>) holding a veth pair whose first end is <paramref name="interfaceName"/>, up,
    /// without addresses: an interface for a supplicant to manage, with no traffic leaving the namespace.
    /// </summary>
    public static NamespacePair CreateSingle(string interfaceName)
    {
        NetworkNamespaces.RequireRoot();
        string ip = SystemTools.Require("ip", "iproute2");
        NetworkNamespaces.RemoveLeftovers(ip, Prefix);
        string tag = NetworkNamespaces.NewTag();
        var pair = new NamespacePair(ip, tag);
        try
        {
            pair.Ip($"netns add {pair.Owner}");
            pair._created.Add(pair.Owner);
            pair.Ip($"-n {pair.Owner} link add {interfaceName} type veth peer name {Prefix}{tag}p");
            pair.Ip($"-n {pair.Owner} link set {interfaceName} up");
            return pair;
        }
        catch
        {
            pair.Dispose();
            throw;
        }
    }

    /// <summary>Bytes the owner's group interface received (proof the traffic crossed the veth pair).</summary>
    public long OwnerReceivedBytes()
    {
        (int code, string output) = SystemTools.Run(_ip, $"netns exec {Owner} cat /sys/class/net/{GroupInterface}/statistics/rx_bytes", TimeSpan.FromSeconds(10));
        return code == 0 ? long.Parse(output.Trim(), CultureInfo.InvariantCulture) : -1;
    }

    public void Dispose()
    {
        foreach (string ns in _created.AsEnumerable().Reverse())
        {
            SystemTools.Run(_ip, $"netns del {ns}", TimeSpan.FromSeconds(30));
        }

        _created.Clear();
    }

    private void Setup(string tag)
    {
        string a = $"{Prefix}{tag}a", b = $"{Prefix}{tag}b"; // ≤ 15 characters
        Ip($"netns add {Owner}");
        _created.Add(Owner);
        Ip($"netns add {Client}");
        _created.Add(Client);
        Ip($"link add {a} netns {Owner} type veth peer name {b} netns {Client}");
        Ip($"-n {Owner} link set {a} name {GroupInterface}");
        Ip($"-n {Client} link set {b} name {GroupInterface}");
        Ip($"-n {Owner} addr add {OwnerAddress}/24 dev {GroupInterface}");
        Ip($"-n {Client} addr add {ClientAddress}/24 dev {GroupInterface}");
        foreach (string ns in new[] { Owner, Client })
        {
            Ip($"-n {ns} link set lo up");
            Ip($"-n {ns} link set {GroupInterface} up");
        }
    }

    private void Ip(string arguments) => NetworkNamespaces.Ip(_ip, arguments);
}
