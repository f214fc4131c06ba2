using System.Diagnostics;
using System.Reflection;

namespace PeerKit.Cli.Tests;

/// <summary>
/// The stand-in wpa_supplicant (tests/PeerKit.WifiDirect.StandIn) running a scenario in a temporary folder; the
/// process is killed and the folder removed on dispose.
/// </summary>
public sealed class StandInSupplicant : IDisposable
{
    private static readonly string s_path = typeof(StandInSupplicant).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "PeerKit.StandInPath").Value!;
    private readonly Process _process;

    private StandInSupplicant(string directory, Process process)
    {
        Directory = directory;
        _process = process;
    }

    public string Directory { get; }

    public string SocketPath => Path.Combine(Directory, "ctrl");

    /// <summary>The commands the stand-in received, in order.</summary>
    public IReadOnlyList<string> Commands() => File.Exists(Path.Combine(Directory, "commands.log")) ? File.ReadAllLines(Path.Combine(Directory, "commands.log")) : [];

    public static StandInSupplicant Start(string scenario)
    {
        string directory = System.IO.Directory.CreateTempSubdirectory("pk-cli-wifi-").FullName;
        string scenarioPath = Path.Combine(directory, "scenario.txt");
        string ready = Path.Combine(directory, "ready");
        File.WriteAllText(scenarioPath, scenario);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in new[] { s_path, "--socket", Path.Combine(directory, "ctrl"), "--scenario", scenarioPath, "--log", Path.Combine(directory, "commands.log"), "--ready", ready })
        {
            info.ArgumentList.Add(a);
        }

        var standIn = new StandInSupplicant(directory, Process.Start(info)!);
        var clock = Stopwatch.StartNew();
        while (!File.Exists(ready))
        {
            if (standIn._process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                string error = standIn._process.HasExited ? standIn._process.StandardError.ReadToEnd() : "(still running)";
                standIn.Dispose();
                throw new InvalidOperationException($"the stand-in supplicant did not start: {error}");
            }

            Thread.Sleep(20);
        }

        return standIn;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
