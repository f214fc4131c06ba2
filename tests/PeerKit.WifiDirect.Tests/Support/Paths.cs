namespace PeerKit.WifiDirect.Tests.Support;

/// <summary>Where the processes the tests start were built (AssemblyMetadata of the project file).</summary>
internal static class Paths
{
    public static string StandIn => BuiltPrograms.Metadata(typeof(Paths).Assembly, "PeerKit.StandInPath");

    public static string Sample => BuiltPrograms.Metadata(typeof(Paths).Assembly, "PeerKit.WifiDirectSamplePath");

    /// <summary>The dotnet host running the tests (so a child finds the same runtime), or "dotnet" from PATH.</summary>
    public static string DotNet => BuiltPrograms.DotNet;
}
