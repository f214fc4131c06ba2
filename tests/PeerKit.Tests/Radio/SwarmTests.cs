using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace PeerKit.Tests.Radios;

/// <summary>The Swarm sample: five drones in one process, and drones in several processes on one medium.</summary>
public sealed class SwarmTests
{
    private static string SwarmPath => typeof(SwarmTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "PeerKit.SwarmPath").Value!;

    [Fact]
    public async Task Five_drones_say_hello_world_with_rssi_then_exchange_typed_messages()
    {
        (int exit, string text) = await RunAsync([SwarmPath], TimeSpan.FromSeconds(60));

        Assert.Equal(0, exit);
        // Every drone hears the four others, 3 m apart: 3 m is -54 dBm, 12 m is -72 dBm.
        for (int to = 1; to <= 5; to++)
        {
            for (int from = 1; from <= 5; from++)
            {
                if (from != to)
                {
                    int rssi = (int)Math.Round(40 + 30 * Math.Log10(3.0 * Math.Abs(to - from)));
                    Assert.Contains($"drone {to} got \"Hello World\" on port 0 from drone {from}, rssi {rssi} (-{rssi} dBm)", text);
                }
            }
        }

        Assert.Contains("drone 5: drone 1 is at (0, 0, 1.5), rssi 72", text);
        Assert.Contains("drone 1: \"hello from the end of the line\" from drone 5 (addressed: True), rssi 72", text);
    }

    [Fact]
    public async Task Drones_in_three_processes_share_one_medium()
    {
        string directory = Path.Combine(Path.GetTempPath(), "pkswarm-" + Environment.ProcessId + "-" + Random.Shared.Next(100000));
        Directory.CreateDirectory(directory);
        try
        {
            using var medium = new SimulatedMedium(new SimulatedMediumOptions { Seed = 2024, Path = directory });
            using RadioNode me = RadioNode.Open(medium.OpenRadio(1));
            Task<(int, string)> two = RunAsync([SwarmPath, "listen", directory, "2", "2"], TimeSpan.FromSeconds(30));
            Task<(int, string)> three = RunAsync([SwarmPath, "listen", directory, "3", "10"], TimeSpan.FromSeconds(30));
            var acks = new HashSet<string>();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (!(two.IsCompleted && three.IsCompleted) && DateTime.UtcNow < deadline)
            {
                me.SendBroadcast(0, "Hello World"u8);
                await Task.Delay(50);
                while (me.Packets.TryRead(out P2PPacket p))
                {
                    acks.Add($"{Encoding.ASCII.GetString(p.Data)} rssi {p.Rssi}");
                }
            }

            (int exit2, string text2) = await two;
            (int exit3, string text3) = await three;
            Assert.True(exit2 == 0, text2);
            Assert.True(exit3 == 0, text3);
            Assert.Contains("drone 2 heard \"Hello World\" from drone 1, rssi 49", text2);  // 2 m
            Assert.Contains("drone 3 heard \"Hello World\" from drone 1, rssi 70", text3);  // 10 m
            Assert.Contains("ack from 2 rssi 49", acks);
            Assert.Contains("ack from 3 rssi 70", acks);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string[] arguments, TimeSpan timeout)
    {
        Assert.True(File.Exists(arguments[0]), $"the sample was not built at {arguments[0]}");
        var start = new ProcessStartInfo("dotnet", arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', arguments)} did not finish in {timeout}: {await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
