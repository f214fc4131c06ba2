using System.Reflection;

namespace PeerKit.Testing;

/// <summary>
/// Programs the tests start as processes: the dotnet host, and the paths of programs built beside the tests, which
/// a test project records as <c>AssemblyMetadata</c> items in its project file.
/// </summary>
internal static class BuiltPrograms
{
    /// <summary>The dotnet host running the tests (so a child finds the same runtime), or "dotnet" from PATH.</summary>
    public static string DotNet =>
        Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";

    /// <summary>The value of the test assembly's <c>AssemblyMetadata</c> item <paramref name="key"/>.</summary>
    public static string Metadata(Assembly assembly, string key) =>
        assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException(key);
}
