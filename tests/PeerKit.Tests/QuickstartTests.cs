using System.Diagnostics;
using System.Reflection;

namespace PeerKit.Tests;

/// <summary>The README's main job, `dotnet run --project samples/Quickstart`, runs every step of the tour.</summary>
public class QuickstartTests
{
    [Fact]
    public async Task Quickstart_tour_runs_every_step_and_exits_cleanly()
    {
        string path = typeof(QuickstartTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "PeerKit.QuickstartPath").Value!;
        Assert.True(File.Exists(path), $"the Quickstart was not built at {path}");

        var start = new ProcessStartInfo("dotnet", [path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        string text = await output;

        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}\n{text}\n{await errors}");
        Assert.Contains("equal to what was sent: True", text);
        Assert.Contains("read back: AvatarTransform { Id = 42, X = 1.5", text);
        Assert.Contains("TryRead of 33 truncated bytes: False", text);
        Assert.Contains("MessageFormatException at byte", text);
        Assert.Contains("libpeerkit_native 0.1.0 loaded", text);
        Assert.Contains("bob received 19 bytes from", text);
        Assert.Contains("\"hi bob\"", text);
    }
}
