using System.Diagnostics;
using PeerKit.Routing;

namespace PeerKit.Router.Tests;

public class ProcessTests
{
    [Fact]
    public async Task The_router_runs_as_a_process_and_serves_clients()
    {
        var (program, address) = await RouterProgram.StartAsync(@"udp://[0-9a-f]{64}@127\.0\.0\.1:\d+", "--listen", "udp://127.0.0.1:0");
        await using (program)
        {
            var (client, _) = await Loopback.StartClientAsync(address);
            await using (client)
            {
                Assert.Equal(RouterState.Attached, client.State);
                Assert.Empty(await client.WhoIsOnlineAsync());
            }
        }
    }

    [Fact]
    public async Task A_bad_option_is_a_clear_error_and_exit_code_2()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "PeerKit.Router.dll");
        var start = new ProcessStartInfo("dotnet", [dll, "--listen", "nonsense"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string errors = await process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("unknown or incomplete option \"--listen\"", errors);
    }
}
