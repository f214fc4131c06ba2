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
        if (!SystemTools.IsRoot)
        {
            throw new InvalidOperationException("Creating network namespaces needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN); run the tests as root (CI does).");
        }

        string ip = SystemTools.Require("ip", "iproute2");
        RemoveLeftovers(ip);
        string tag = Environment.ProcessId.ToString("x", CultureInfo.InvariantCulture) + Random.Shared.Next(0x1000).ToString("x3", CultureInfo.InvariantCulture);
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
        if (!SystemTools.IsRoot)
        {
            throw new InvalidOperationException("Creating a network namespace needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN); run the tests as root (CI does).");
        }

        string ip = SystemTools.Require("ip", "iproute2");
        RemoveLeftovers(ip);
        string tag = Environment.ProcessId.ToString("x", CultureInfo.InvariantCulture) + Random.Shared.Next(0x1000).ToString("x3", CultureInfo.InvariantCulture);
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

    private void Ip(string arguments)
    {
        (int code, string output) = SystemTools.Run(_ip, arguments, TimeSpan.FromSeconds(30));
        if (code != 0)
        {
            throw new InvalidOperationException($"ip {arguments} failed (exit {code}): {output}");
        }
    }

    /// <summary>Namespaces of earlier runs whose process is gone (a killed test run cannot clean up after itself).</summary>
    private static void RemoveLeftovers(string ip)
    {
        (int code, string output) = SystemTools.Run(ip, "netns list", TimeSpan.FromSeconds(10));
        if (code != 0)
        {
            return;
        }

        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Take(1000))
        {
            string name = line.Split(' ')[0];
            if (!name.StartsWith(Prefix, StringComparison.Ordinal) || name.Length < Prefix.Length + 4)
            {
                continue;
            }

            string pidHex = name[Prefix.Length..^6];
            if (int.TryParse(pidHex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int pid) && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
            {
                SystemTools.Run(ip, $"netns del {name}", TimeSpan.FromSeconds(30));
            }
        }
    }
}
