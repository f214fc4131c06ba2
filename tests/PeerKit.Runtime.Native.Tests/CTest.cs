using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace PeerKit.Runtime.Native.Tests;

/// <summary>Runs <c>ctest</c> in the native build tree.</summary>
internal static class CTest
{
    private static readonly Lazy<IReadOnlyList<string>> s_testNames = new(Discover);

    /// <summary>The name of every test CTest knows in the build tree, in CTest's order.</summary>
    public static IReadOnlyList<string> TestNames => s_testNames.Value;

    public sealed record Result(int ExitCode, string Output)
    {
        public override string ToString() => $"exit code {ExitCode}\n{Output}";
    }

    /// <summary>Runs <c>ctest</c> with <paramref name="arguments"/> in the build tree.</summary>
    public static Result Run(TimeSpan timeout, params string[] arguments)
    {
        if (!Directory.Exists(NativeBuild.BuildDir))
        {
            throw new InvalidOperationException(
                $"The native build tree {NativeBuild.BuildDir} does not exist; building PeerKit creates it (dotnet build src/Sdk/PeerKit.csproj).");
        }

        var startInfo = new ProcessStartInfo("ctest")
        {
            WorkingDirectory = NativeBuild.BuildDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add("--test-dir");
        startInfo.ArgumentList.Add(NativeBuild.BuildDir);
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("ctest was not found on PATH; install CMake (apt-get install cmake).", e);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"ctest {string.Join(' ', arguments)} did not finish within {timeout}.\n{output}");
        }

        process.WaitForExit(); // drains the asynchronous output readers
        lock (output)
        {
            return new Result(process.ExitCode, output.ToString());
        }
    }

    /// <summary>
    /// A CTest regular expression that matches exactly <paramref name="testName"/>
    /// (CMake's regex syntax: metacharacters are escaped with a backslash).
    /// </summary>
    public static string ExactNamePattern(string testName)
    {
        var pattern = new StringBuilder("^");
        foreach (char c in testName)
        {
            if ("\\^$.|?*+()[]{}".Contains(c))
            {
                pattern.Append('\\');
            }

            pattern.Append(c);
        }

        return pattern.Append('$').ToString();
    }

    private static IReadOnlyList<string> Discover()
    {
        Result result = Run(TimeSpan.FromMinutes(1), "--show-only=json-v1");
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"ctest --show-only=json-v1 failed: {result}");
        }

        // The JSON document is the whole standard output; standard error is normally empty.
        string json = result.Output[result.Output.IndexOf('{')..];
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("tests")
            .EnumerateArray()
            .Select(test => test.GetProperty("name").GetString()!)
            .ToArray();
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }
}
