using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace PeerKit.Generators.Tests;

/// <summary>
/// Compares generated sources with checked-in baselines, following Verify.SourceGenerators' conventions:
/// each source is stored as <c>{Class}.{Method}#{HintName}.verified.cs</c> in Snapshots/; a mismatch writes
/// <c>{Class}.{Method}#{HintName}.received.cs</c> beside it and fails. Set PEERKIT_ACCEPT_SNAPSHOTS=1 to
/// overwrite the baselines with what the generator produces now (never on CI).
/// </summary>
internal static class SnapshotVerifier
{
    public const string AcceptVariable = "PEERKIT_ACCEPT_SNAPSHOTS";

    private static readonly string Directory = typeof(SnapshotVerifier).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "PeerKit.SnapshotDirectory").Value!;

    public static void Verify(GeneratorDriverRunResult result, [CallerFilePath] string callerFile = "", [CallerMemberName] string method = "") =>
        Verify(result.Results.SelectMany(r => r.GeneratedSources), callerFile, method);

    /// <summary>Compares only <paramref name="generated"/>, such as the sources of one generator.</summary>
    public static void Verify(IEnumerable<GeneratedSourceResult> generated, [CallerFilePath] string callerFile = "", [CallerMemberName] string method = "")
    {
        string prefix = $"{Path.GetFileNameWithoutExtension(callerFile)}.{method}#";
        GeneratedSourceResult[] sources = generated.OrderBy(s => s.HintName, StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(sources);
        bool accept = Environment.GetEnvironmentVariable(AcceptVariable) == "1" && Environment.GetEnvironmentVariable("CI") != "true";
        var failures = new List<string>();
        var expectedFiles = new HashSet<string>(StringComparer.Ordinal);
        foreach (GeneratedSourceResult source in sources)
        {
            string name = prefix + Path.GetFileNameWithoutExtension(source.HintName);
            string verified = Path.Combine(Directory, name + ".verified.cs");
            string received = Path.Combine(Directory, name + ".received.cs");
            expectedFiles.Add(verified);
            string actual = Normalize(source.SourceText.ToString());
            if (accept)
            {
                File.WriteAllText(verified, actual);
                File.Delete(received);
                continue;
            }

            string? expected = File.Exists(verified) ? Normalize(File.ReadAllText(verified)) : null;
            if (expected == actual)
            {
                File.Delete(received);
                continue;
            }

            File.WriteAllText(received, actual);
            failures.Add(expected is null
                ? $"No baseline {Path.GetFileName(verified)}: review {Path.GetFileName(received)} and rename it, or run with {AcceptVariable}=1."
                : $"{Path.GetFileName(verified)} differs from the generated code (first difference at line {FirstDifferentLine(expected, actual)}): compare with {Path.GetFileName(received)}, or run with {AcceptVariable}=1 to accept.");
        }

        foreach (string stale in System.IO.Directory.GetFiles(Directory, prefix + "*.verified.cs").Where(f => !expectedFiles.Contains(f)))
        {
            failures.Add($"{Path.GetFileName(stale)} has no generated source any more: delete it.");
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n");

    private static int FirstDifferentLine(string expected, string actual)
    {
        string[] a = expected.Split('\n');
        string[] b = actual.Split('\n');
        for (int i = 0; i < Math.Min(a.Length, b.Length); i++)
        {
            if (a[i] != b[i])
            {
                return i + 1;
            }
        }

        return Math.Min(a.Length, b.Length) + 1;
    }
}
