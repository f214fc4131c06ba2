using System.Diagnostics;

namespace PeerKit.Cli.Tests;

/// <summary>The live table in a real terminal: `peerkit peers` runs inside tmux and the test reads the screen.</summary>
public sealed class PeersTableTests
{
    private static async Task<(int Exit, string Out)> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        string output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }

    /// <summary>tmux is a Debian package: installed here when missing (CI runs as root).</summary>
    private static async Task EnsureTmuxAsync()
    {
        if ((await RunAsync("sh", "-c", "command -v tmux")).Exit == 0)
        {
            return;
        }

        var (exit, output) = await RunAsync("sh", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux");
        Assert.True(exit == 0, $"tmux is missing and could not be installed with apt-get (needs root and the Debian mirror): {output}");
    }

    [Fact]
    public async Task The_live_peers_table_shows_the_connected_peer_in_a_terminal()
    {
        await EnsureTmuxAsync();
        using CliProcess listener = CliProcess.Start("listen", "--listen", "tcp://127.0.0.1:0", "--json");
        string line = listener.ReadUntil(l => l.Contains("\"listening\""), TimeSpan.FromSeconds(60));
        string address = System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("address").GetString()!;
        string listenerId = NodeAddress.Parse(address).Id!.Value.ToString();

        string session = $"peerkit-test-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40];
        var started = await RunAsync("tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "40",
            $"dotnet '{CliProcess.ToolPath}' peers --connect '{address}' --refresh 00:00:00.200 --for 00:01:00");
        Assert.True(started.Exit == 0, started.Out);
        try
        {
            string screen = "";
            for (int i = 0; i < 200 && !screen.Contains(listenerId[..16]); i++)
            {
                await Task.Delay(100);
                screen = (await RunAsync("tmux", "capture-pane", "-p", "-t", session)).Out;
            }

            Assert.Contains(listenerId[..16], screen);
            Assert.Contains("RTT", screen);
            Assert.Contains("Queued", screen);
            Assert.Contains("tcp out", screen);
            Assert.Contains("1 peers", screen);
        }
        finally
        {
            await RunAsync("tmux", "kill-session", "-t", session);
        }
    }
}
