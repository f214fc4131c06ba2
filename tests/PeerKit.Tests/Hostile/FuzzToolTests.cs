using System.Diagnostics;
using PeerKit.Fuzz;

namespace PeerKit.Tests.Hostile;

/// <summary>
/// The fuzz and flood tool (tools/PeerKit.Fuzz) in CI: a short mutation fuzz through its library code, and its
/// floods in a child process whose heap is capped at 512 MiB (<c>DOTNET_GCHeapHardLimit</c>), which must end well
/// with no OutOfMemoryException. The full run (10^6 inputs) is <c>dotnet run -c Release --project tools/PeerKit.Fuzz</c>.
/// </summary>
[Collection(ProcessWideMemory.Name)]
public sealed class FuzzToolTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task A_short_mutation_fuzz_over_captured_udp_and_tcp_packets_breaks_nothing()
    {
        long inputs = long.TryParse(Environment.GetEnvironmentVariable("PEERKIT_FUZZ_INPUTS"), out long n) ? n : 30_000;
        FuzzReport report = await FuzzCampaign.RunAsync(new FuzzSettings { UdpInputs = inputs, Seed = 2026 });
        using var text = new StringWriter();
        report.Print(text);
        output.WriteLine(text.ToString());

        Assert.True(report.Passed, text.ToString());
        Assert.Equal(inputs, report.UdpInputs);
        Assert.True(report.TcpInputs > 0, "no TCP input was sent");
        Assert.True(report.LegitimateSent > 0 && report.LegitimateReceived == report.LegitimateSent, text.ToString());

        // Every kind of documented rejection was reached: the mutations go deep enough to matter.
        Assert.True(report.Outcomes.GetValueOrDefault("udp dropped malformed") > 0, text.ToString());
        Assert.True(report.Outcomes.GetValueOrDefault("udp dropped unknown connection") > 0, text.ToString());
        Assert.True(report.Outcomes.GetValueOrDefault("udp dropped invalid (authentication)") > 0, text.ToString());
        Assert.True(report.Outcomes.Keys.Any(k => k.StartsWith("tcp handshake failed", StringComparison.Ordinal)), text.ToString());
        Assert.True(report.Outcomes.Keys.Any(k => k.StartsWith("tcp link closed", StringComparison.Ordinal)), text.ToString());
    }

    [Fact]
    public async Task The_floods_in_a_process_capped_at_512_MiB_end_well_with_no_out_of_memory()
    {
        string tool = Path.Combine(AppContext.BaseDirectory, "PeerKit.Fuzz.dll");
        Assert.True(File.Exists(tool), $"{tool} is missing");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(tool);
        start.ArgumentList.Add("attack");
        start.ArgumentList.Add("2");
        start.Environment["DOTNET_GCHeapHardLimit"] = "0x20000000";
        using Process child = Process.Start(start)!;
        Task<string> stdout = child.StandardOutput.ReadToEndAsync();
        Task<string> stderr = child.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await child.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            child.Kill(entireProcessTree: true);
            Assert.Fail("the flood run did not end within 120 s");
        }

        string text = await stdout + await stderr;
        output.WriteLine(text);
        Assert.DoesNotContain("OutOfMemoryException", text, StringComparison.Ordinal);
        Assert.Contains("heap hard limit 0x20000000", text, StringComparison.Ordinal);
        Assert.Contains("PASSED", text, StringComparison.Ordinal);
        Assert.Equal(0, child.ExitCode);
    }
}
