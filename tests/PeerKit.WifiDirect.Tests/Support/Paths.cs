using System.Reflection;

namespace PeerKit.WifiDirect.Tests.Support;

/// <summary>Where the processes the tests start were built (AssemblyMetadata of the project file).</summary>
internal static class Paths
{
    public static string StandIn => Metadata("PeerKit.StandInPath");

    public static string Sample => Metadata("PeerKit.WifiDirectSamplePath");

    /// <summary>The dotnet host running the tests (so a child finds the same runtime), or "dotnet" from PATH.</summary>
    public static string DotNet =>
        Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";

    private static string Metadata(string key) =>
        typeof(Paths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException(key);
}
