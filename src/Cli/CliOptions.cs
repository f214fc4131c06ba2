using System.CommandLine;

namespace PeerKit.Cli;

/// <summary>Options shared by several verbs.</summary>
public static class CliOptions
{
    /// <summary><c>--json</c>: one JSON object per line, for scripts (every verb).</summary>
    public static readonly Option<bool> Json = new("--json") { Description = "Write one JSON object per line instead of text", Recursive = true };

    /// <summary><c>--key</c>: the node key file (PKCS#8 PEM), created when missing.</summary>
    public static Option<string?> Key() => new("--key") { Description = "Node key file (created when missing; default: a new key for this run)" };

    /// <summary><c>--timeout</c>: how long the whole verb may take.</summary>
    public static Option<TimeSpan> Timeout() => new("--timeout") { Description = "Give up after this long (e.g. 00:00:30)", DefaultValueFactory = _ => TimeSpan.FromSeconds(30) };

    /// <summary>The address argument of the verbs that dial.</summary>
    public static Argument<string> Address() => new("address") { Description = "The node to reach: tcp://[id@]host:port or udp://[id@]host:port" };
}
