using System.Reflection;
using System.Text.RegularExpressions;

namespace PeerKit.Runtime.Native.Tests;

/// <summary>
/// Where the native shim's CMake project and build tree are, as recorded in this assembly's
/// metadata by the .csproj (from src/Runtime.Native/PeerKit.Runtime.Native.props).
/// </summary>
internal static partial class NativeBuild
{
    public static string SourceDir { get; } = Path.GetFullPath(Metadata("PeerKit.NativeSourceDir"));

    public static string BuildDir { get; } = Path.GetFullPath(Metadata("PeerKit.NativeBuildDir"));

    public static string LibraryFileName { get; } = Metadata("PeerKit.NativeLibraryFileName");

    /// <summary>The built library in the CMake tree (before it is copied to any bin folder).</summary>
    public static string LibraryPath => Path.Combine(BuildDir, "lib", LibraryFileName);

    /// <summary>The <c>project(... VERSION x.y.z)</c> of src/Runtime.Native/CMakeLists.txt.</summary>
    public static Version ProjectVersion
    {
        get
        {
            string cmakeLists = Path.Combine(SourceDir, "CMakeLists.txt");
            Match match = ProjectVersionPattern().Match(File.ReadAllText(cmakeLists));
            Assert.True(match.Success, $"no project(peerkit_native VERSION x.y.z) in {cmakeLists}");
            return Version.Parse(match.Groups[1].Value);
        }
    }

    private static string Metadata(string key)
    {
        string? value = typeof(NativeBuild).Assembly
            .GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(a => a.Key == key)?.Value;
        if (string.IsNullOrEmpty(value))
        {
            throw new InvalidOperationException(
                $"Assembly metadata '{key}' is missing; it is set by PeerKit.Runtime.Native.Tests.csproj.");
        }

        return value;
    }

    [GeneratedRegex(@"project\s*\(\s*peerkit_native\b[^)]*?\bVERSION\s+(\d+\.\d+\.\d+)\b", RegexOptions.Singleline)]
    private static partial Regex ProjectVersionPattern();
}
