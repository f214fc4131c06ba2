using System.Diagnostics;
using System.Reflection;

namespace PeerKit.Router.Tests;

public class SampleTests
{
    [Fact]
    public async Task The_chat_sample_delivers_every_line_to_every_other_member_exactly_once()
    {
        (int exit, string text) = await RunAsync("PeerKit.ChatPath");
        Assert.True(exit == 0, text);
        Assert.Contains("every member heard every other member exactly once", text);
        Assert.Contains("alice heard: hello from bob (from bob)", text);
        Assert.Contains("carol heard: hello from alice (from alice)", text);
    }

    [Fact]
    public async Task The_avatar_sample_moves_both_avatars_at_10_hz_over_the_direct_path()
    {
        (int exit, string text) = await RunAsync("PeerKit.AvatarSyncPath");
        Assert.True(exit == 0, text);
        Assert.Matches(@"user0 received [1-9]\d+ transforms; last position \(-?\d\.\d\d, 1\.70, ", text);
        Assert.Matches(@"user1 received [1-9]\d+ transforms", text);
        Assert.Contains("path at the end: direct", text);
        Assert.Contains("both avatars moved", text);
    }

    private static async Task<(int Exit, string Text)> RunAsync(string key)
    {
        string path = typeof(SampleTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
        var start = new ProcessStartInfo("dotnet", [path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
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

        return (process.ExitCode, await output + await errors);
    }
}
