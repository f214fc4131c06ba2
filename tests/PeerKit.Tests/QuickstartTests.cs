using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;

namespace PeerKit.Tests;

/// <summary>The samples run: the README's main job (`dotnet run --project samples/Quickstart`) and one sample per seed system.</summary>
public class QuickstartTests
{
    [Fact]
    public async Task Quickstart_tour_runs_every_step_and_exits_cleanly()
    {
        string text = await RunSampleAsync("PeerKit.QuickstartPath");
        Assert.Contains("equal to what was sent: True", text);
        Assert.Contains("read back: AvatarTransform { Id = 42, X = 1.5", text);
        Assert.Contains("TryRead of 33 truncated bytes: False", text);
        Assert.Contains("MessageFormatException at byte", text);
        Assert.Contains("libpeerkit_native 0.1.0 loaded", text);
        Assert.Contains("bob received 19 bytes from", text);
        Assert.Contains("\"hi bob\"", text);
        Assert.Contains("alice connected to \"bob\": tour/1 at code 0x10", text);
        Assert.Contains("bob's handler got: \"hello from a node\" in lobby from alice (at bob)", text);
        Assert.Contains("alice pulled code 2 (20 bytes): AvatarTransform { Id = 42", text);
        Assert.Matches(@"ping alice → bob: \d+[.,]\d\d ms", text);
        Assert.Contains("bob saw alice leave: Requested (said by alice)", text);
        Assert.Contains("transports: inproc, tcp, udp", text);
        Assert.Contains("carol and dave dialed each other at once: 1 session at carol, 1 at dave, both calls returned it: True", text);
        Assert.Contains("drone 2 heard \"Hello World\" on port 0, rssi 61 (-61 dBm)", text);
        Assert.Contains("WifiP2pException 2801000 (SupplicantUnreachable): no wpa_supplicant control socket at", text);
        Assert.Matches(@"alice attached; the router sees her at udp://127\.0\.0\.1:\d+; online: 1 of 1", text);
        Assert.Contains("alice connected to bob by id, first path: relay", text);
        Assert.Contains("alice and bob attached over ws; online: 1 of 1", text);
        Assert.Matches(@"alice connected to bob by id over UdpLink: SendResult (P2P|Relay)", text);
        if (!text.Contains("skipped: redis-server is not installed", StringComparison.Ordinal)) // .ci/run installs it
        {
            Assert.Contains("alice on router east, bob on router west: the room has 2 members on both routers", text);
            Assert.Matches(@"alice connected to bob across routers: SendResult (P2P|Relay)", text);
        }
        Assert.Matches(@"after the upgrade: SendResult P2P; the router relayed [1-9]\d* bytes before it", text);
        Assert.Contains("over UdpLink (encrypted: True)", text);
        Assert.Contains("bob's handler got: \"hello over datagrams\" in lobby from alice (at bob)", text);
        Assert.Matches(@"link status: rtt \d+[.,]\d\d ms, loss", text);
        Assert.Matches(@"flow control: bob grants 40\d\d KiB more reliable data, 0 packets deferred", text);
        Assert.Matches(OperatingSystem.IsLinux() ? @"socket: [1-9]\d* sends carried several packets \(UDP GSO on\)" : @"socket: 0 sends carried several packets \(UDP GSO off\)", text);
        Assert.Matches(@"bob took [1-9]\d* datagrams in [1-9]\d* receive calls", text);
        Assert.Matches(@"path MTU: 1452 bytes discovered \(base 1200, ceiling 1452, [1-9]\d* probe\(s\) sent\)", text);
        Assert.Matches(@"round trip over bare UDP links \(median of 300\): [1-9]\d* µs with the defaults, [1-9]\d* µs with ReceiveBusyPoll \+ ReceiveInline", text);
        Match keys = Regex.Match(text, @"key updates: alice replaced her sending key (\d+) times in (\d+) packets \(1000 reliable frames\), bob followed (\d+)");
        Assert.True(keys.Success, "the key update line is printed");
        long updates = long.Parse(keys.Groups[1].Value);
        long packets = long.Parse(keys.Groups[2].Value);
        Assert.True(packets >= 1000, "a packet per frame at least");
        // At most one update per 64 packets; each waits for an acknowledgement of the current key, so fewer under load.
        Assert.InRange(updates, 1, packets / 64);
        Assert.InRange(long.Parse(keys.Groups[3].Value), updates - 1, updates);
    }

    [Fact]
    public async Task FooBar_answers_foo_with_bar_between_a_handler_and_a_read_loop()
    {
        string text = await RunSampleAsync("PeerKit.FooBarPath");
        Assert.Contains("alice connected to bob: MyProtocol/1 (Length 1) at code 0x10", text);
        Assert.Contains("bob   recv: foo, sends: bar", text);
        Assert.Contains("alice recv: bar", text);
    }

    /// <summary>Runs a sample's built program and returns its output, after checking that it exited with 0.</summary>
    private static async Task<string> RunSampleAsync(string pathKey)
    {
        string path = typeof(QuickstartTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == pathKey).Value!;
        Assert.True(File.Exists(path), $"the sample was not built at {path}");

        var start = new ProcessStartInfo("dotnet", [path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        string text = await output;
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}\n{text}\n{await errors}");
        return text;
    }
}
