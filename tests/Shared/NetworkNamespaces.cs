using System.Globalization;

namespace PeerKit.Testing;

/// <summary>
/// Naming and clean-up of the network namespaces tests create (compiled into each test project that needs them, from
/// tests/Shared). A namespace is named <c>{prefix}{tag}-{role}</c>, where the tag is the test process's id in hex and
/// three random hex digits: so a later run can tell a leftover of a crashed run (its process is gone) from a namespace
/// of a run still going on in another process, and delete only the former.
/// </summary>
internal static class NetworkNamespaces
{
    /// <summary>A fresh tag for one set of namespaces of this process.</summary>
    public static string NewTag() =>
        Environment.ProcessId.ToString("x", CultureInfo.InvariantCulture) + Random.Shared.Next(0x1000).ToString("x3", CultureInfo.InvariantCulture);

    /// <summary>Throws unless this process may create namespaces.</summary>
    public static void RequireRoot()
    {
        if (!SystemTools.IsRoot)
        {
            throw new InvalidOperationException("Creating network namespaces needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN); run the tests as root (CI does).");
        }
    }

    /// <summary>Runs <c>ip {arguments}</c> and throws with its output when it fails.</summary>
    public static void Ip(string ip, string arguments)
    {
        (int code, string output) = SystemTools.Run(ip, arguments, TimeSpan.FromSeconds(30));
        if (code != 0)
        {
            throw new InvalidOperationException($"ip {arguments} failed (exit {code}): {output}");
        }
    }

    /// <summary>Deletes the namespaces named <c>{prefix}{tag}-…</c> whose creating process is gone (a killed test run cannot clean up after itself).</summary>
    public static void RemoveLeftovers(string ip, string prefix)
    {
        (int code, string output) = SystemTools.Run(ip, "netns list", TimeSpan.FromSeconds(10));
        if (code != 0)
        {
            return;
        }

        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Take(1000))
        {
            string name = line.Split(' ')[0];
            int dash = name.IndexOf('-', StringComparison.Ordinal);
            if (!name.StartsWith(prefix, StringComparison.Ordinal) || dash < prefix.Length + 4)
            {
                continue;
            }

            string pidHex = name[prefix.Length..(dash - 3)];
            if (int.TryParse(pidHex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int pid) && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
            {
                SystemTools.Run(ip, $"netns del {name}", TimeSpan.FromSeconds(30));
            }
        }
    }
}
