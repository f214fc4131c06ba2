using System.Diagnostics;

namespace PeerKit.WifiDirect.Tests.Support;

/// <summary>
/// A stand-in wpa_supplicant process (tests/PeerKit.WifiDirect.StandIn) running a scenario, in a temporary folder
/// that is removed, with the process, on dispose.
/// </summary>
internal sealed class StandInProcess : IDisposable
{
    private readonly Process _process;

    private StandInProcess(string directory, Process process)
    {
        Directory = directory;
        _process = process;
    }

    public string Directory { get; }

    public string SocketPath => Path.Combine(Directory, "ctrl");

    public string LogPath => Path.Combine(Directory, "commands.log");

    public bool HasExited => _process.HasExited;

    public static StandInProcess Start(string scenario, string? directory = null)
    {
        directory ??= System.IO.Directory.CreateTempSubdirectory("pk-standin-").FullName;
        string scenarioPath = Path.Combine(directory, "scenario.txt");
        string ready = Path.Combine(directory, "ready");
        File.WriteAllText(scenarioPath, scenario);
        var info = new ProcessStartInfo(Paths.DotNet)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { Paths.StandIn, "--socket", Path.Combine(directory, "ctrl"), "--scenario", scenarioPath,
                     "--log", Path.Combine(directory, "commands.log"), "--ready", ready })
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info)!;
        var standIn = new StandInProcess(directory, process);
        var clock = Stopwatch.StartNew();
        while (!File.Exists(ready))
        {
            if (process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                string error = process.HasExited ? process.StandardError.ReadToEnd() : "(still running)";
                standIn.Dispose();
                throw new InvalidOperationException($"the stand-in supplicant did not start: {error}");
            }

            Thread.Sleep(20);
        }

        return standIn;
    }

    /// <summary>The commands the stand-in received, in order.</summary>
    public IReadOnlyList<string> Commands() =>
        File.Exists(LogPath) ? File.ReadAllLines(LogPath) : [];

    public WifiP2pOptions Options(Func<PeerNodeOptions>? node = null) => new()
    {
        ControlPath = SocketPath,
        ClientDirectory = Directory,
        CommandTimeout = TimeSpan.FromSeconds(5),
        HealthCheckInterval = TimeSpan.FromMilliseconds(300),
        Node = node,
    };

    public void Kill()
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
    }

    public void Dispose()
    {
        Kill();
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
