using System.Diagnostics;
using System.Reflection;

namespace PeerKit.Cluster.Tests;

/// <summary>The Chat sample with <c>--cluster</c>: three routers on this test's Redis, each member on its own router.</summary>
public class SampleTests
{
    [Fact]
    public async Task The_chat_sample_across_three_routers_delivers_every_line_to_every_other_member_exactly_once()
    {
        using RedisServer redis = await RedisServer.StartAsync();
        string path = typeof(SampleTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "PeerKit.ChatPath").Value!;
        var start = new ProcessStartInfo("dotnet", [path, "--cluster", redis.Url]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        string text = await output + await errors;
        Assert.True(process.ExitCode == 0, text);
        Assert.Contains("router 2: udp://", text); // three routers
        Assert.Contains("every member heard every other member exactly once", text);
        Assert.Contains("bob heard: hello from carol (from carol)", text);
    }
}
