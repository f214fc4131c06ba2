using System.Diagnostics;
using System.Reflection;

namespace PeerKit.Router.Tests;

public class SampleTests
{
    [Fact]
    public async Task The_chat_sample_delivers_every_line_to_every_other_member_exactly_once()
    {
        string path = typeof(SampleTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "PeerKit.ChatPath").Value!;
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

        string text = await output;
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{text}\n{await errors}");
        Assert.Contains("every member heard every other member exactly once", text);
        Assert.Contains("alice heard: hello from bob (from bob)", text);
        Assert.Contains("carol heard: hello from alice (from alice)", text);
    }
}
