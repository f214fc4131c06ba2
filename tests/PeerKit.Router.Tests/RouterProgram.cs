using System.Diagnostics;
using System.Text.RegularExpressions;

namespace PeerKit.Router.Tests;

/// <summary>The router program (PeerKit.Router.dll) as a child process, killed when disposed.</summary>
internal sealed class RouterProgram : IAsyncDisposable
{
    private readonly Process _process;

    private RouterProgram(Process process) => _process = process;

    /// <summary>Starts the program with <paramref name="args"/> and reads its first line, which must be <c>router listening on ADDRESS</c> with ADDRESS matching <paramref name="addressPattern"/>.</summary>
    /// <returns>The program and the address it printed.</returns>
    public static async Task<(RouterProgram Program, NodeAddress Address)> StartAsync(string addressPattern, params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "PeerKit.Router.dll");
        var start = new ProcessStartInfo("dotnet", [dll, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        var program = new RouterProgram(Process.Start(start)!);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            string? line = await program._process.StandardOutput.ReadLineAsync(timeout.Token);
            Match match = Regex.Match(line ?? string.Empty, $"^router listening on ({addressPattern})$");
            Assert.True(match.Success, $"first line: {line}");
            return (program, NodeAddress.Parse(match.Groups[1].Value));
        }
        catch
        {
            await program.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
