using System.Diagnostics;
using System.Text.RegularExpressions;
using PeerKit.Routing;
using static PeerKit.Cluster.Tests.ClusterRig;

namespace PeerKit.Cluster.Tests;

/// <summary>The router program with <c>--cluster</c>, beside a router in this process.</summary>
public class ProcessTests
{
    private static readonly string RouterDll = Path.Combine(AppContext.BaseDirectory, "PeerKit.Router.dll");

    [Fact]
    public async Task A_router_process_started_with_the_cluster_option_serves_a_connect_from_a_client_of_another_router()
    {
        // The program uses the default key prefix; this Redis is the test's own.
        await using ClusterRig rig = await StartAsync(routers: 1, prefix: "peerkit:");
        var start = new ProcessStartInfo("dotnet", [RouterDll, "--listen", "udp://127.0.0.1:0", "--cluster", rig.Redis.Url, "--router-id", "p1"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process process = Process.Start(start)!;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            string? listening = await process.StandardOutput.ReadLineAsync(timeout.Token);
            Match match = Regex.Match(listening ?? string.Empty, @"^router listening on (udp://[0-9a-f]{64}@127\.0\.0\.1:\d+)$");
            Assert.True(match.Success, $"first line: {listening}");
            Assert.Equal($"router p1 in the cluster on {rig.Redis.Url}", await process.StandardOutput.ReadLineAsync(timeout.Token));

            var (alice, _) = await rig.StartClientAsync(0);
            var (bob, bobChat) = await rig.StartClientAsync(NodeAddress.Parse(match.Groups[1].Value), []);
            Assert.Equal("p1", await rig.LocateAsync(bob.Id));
            await alice.ConnectAsync(bob.Id).WaitAsync(TimeSpan.FromSeconds(20));
            await alice.SendAsync(bob.Id, new TestChat.Line("to another process"));
            await EventuallyAsync(() => bobChat.Lines.Count == 1, "bob gets the line");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task A_router_process_whose_Redis_cannot_be_reached_exits_with_a_clear_error()
    {
        using RedisServer redis = await RedisServer.StartAsync();
        string url = redis.Url;
        redis.Kill();
        var start = new ProcessStartInfo("dotnet", [RouterDll, "--listen", "udp://127.0.0.1:0", "--cluster", url]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            string errors = await process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            Assert.Equal(1, process.ExitCode);
            Assert.Contains("cannot be reached", errors);
            Assert.Contains(url, errors);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
