using System.Diagnostics;
using PeerKit.WifiDirect.Tests.Support;

namespace PeerKit.WifiDirect.Tests;

/// <summary>samples/WifiDirect's default run: two devices, each on its own stand-in supplicant.</summary>
public sealed class SampleTests
{
    [Fact]
    public async Task Sample_discovers_connects_and_exchanges_messages_over_the_group()
    {
        var info = new ProcessStartInfo(Paths.DotNet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { Paths.Sample, "--port", GroupNodeTests.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), "--timeout", "90" })
        {
            info.ArgumentList.Add(a);
        }

        using Process process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        string output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, output);
        Assert.Contains("client: found alpha (02:00:00:00:01:00), connecting", output);
        Assert.Contains("owner: persistent group formed", output);
        for (int i = 1; i <= 3; i++)
        {
            Assert.Contains($"owner: received: hello {i}", output);
            Assert.Contains($"client: received: ack: hello {i}", output);
        }

        Assert.Contains("client: done", output);
        Assert.Contains("owner: done", output);
    }
}
