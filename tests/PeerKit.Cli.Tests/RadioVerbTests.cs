using System.Text.Json;

namespace PeerKit.Cli.Tests;

/// <summary><c>peerkit radio</c>: two processes on one simulated medium shared through a directory, and the Crazyradio's typed error.</summary>
public sealed class RadioVerbTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static JsonElement Json(string line) => JsonDocument.Parse(line).RootElement;

    // The medium's socket paths must fit in sun_path: a short folder under the temporary directory.
    private static string MediumDirectory() => Directory.CreateTempSubdirectory("pk-radio-").FullName;

    [Fact]
    public async Task Radio_send_in_one_process_is_heard_by_radio_listen_in_another_on_the_same_medium()
    {
        string medium = MediumDirectory();
        try
        {
            using (CliProcess listener = CliProcess.Start("radio", "listen", "--medium", medium, "--id", "1", "--count", "2", "--for", "00:00:45", "--json"))
            {
                JsonElement listening = Json(listener.ReadUntil(l => l.Contains("\"listening\""), Timeout));
                Assert.Equal(1u, listening.GetProperty("id").GetUInt32());
                Assert.Equal(80, listening.GetProperty("channel").GetInt32());

                var broadcast = await CliProcess.RunAsync(Timeout, "radio", "send", "--medium", medium, "--id", "7", "--x", "3", "--port", "3", "Hello World", "--json");
                Assert.Equal(0, broadcast.Exit);
                Assert.Empty(broadcast.Err);
                JsonElement sent = Json(Assert.Single(broadcast.Out));
                Assert.Equal(11, sent.GetProperty("bytes").GetInt32());
                Assert.False(sent.GetProperty("acknowledged").GetBoolean());

                // Addressed to the listener's node id: returns 0 only once the listener's node acknowledged it.
                var addressed = await CliProcess.RunAsync(Timeout, "radio", "send", "--medium", medium, "--id", "8", "--port", "4", "--hex", "00:ff:10", "--to", "1", "--json");
                Assert.Equal(0, addressed.Exit);
                Assert.True(Json(Assert.Single(addressed.Out)).GetProperty("acknowledged").GetBoolean());

                JsonElement first = Json(listener.ReadUntil(l => l.Contains("\"packet\""), Timeout));
                Assert.Equal(3, first.GetProperty("port").GetInt32());
                Assert.Equal("Hello World", first.GetProperty("text").GetString());
                Assert.Equal(7u, first.GetProperty("sender").GetUInt32());
                Assert.False(first.GetProperty("addressed").GetBoolean());
                int rssi = first.GetProperty("rssi").GetInt32();
                Assert.InRange(rssi, 1, 100); // 3 m away: a positive Crazyflie RSSI, −dBm
                Assert.Equal(-rssi, first.GetProperty("rssi_dbm").GetInt32());

                JsonElement second = Json(listener.ReadUntil(l => l.Contains("\"packet\""), Timeout));
                Assert.Equal(4, second.GetProperty("port").GetInt32());
                Assert.Equal("00ff10", second.GetProperty("hex").GetString());
                Assert.Equal(JsonValueKind.Null, second.GetProperty("text").ValueKind);
                Assert.True(second.GetProperty("addressed").GetBoolean());
                Assert.Equal(8u, second.GetProperty("sender").GetUInt32());

                // --count 2 reached: the listener stops by itself, successfully, and removes its socket.
                Assert.Equal(0, await listener.WaitForExitAsync(Timeout));
            }

            Assert.Empty(Directory.GetFiles(medium, "*.sock"));
        }
        finally
        {
            Directory.Delete(medium, recursive: true);
        }
    }

    [Fact]
    public async Task Radio_listen_prints_text_lines_and_fails_when_fewer_packets_than_counted_arrive_in_time()
    {
        string medium = MediumDirectory();
        try
        {
            var (exit, stdout, stderr) = await CliProcess.RunAsync(Timeout, "radio", "listen", "--medium", medium, "--count", "1", "--for", "00:00:01");
            Assert.Equal(1, exit);
            Assert.StartsWith("listening on ", Assert.Single(stdout));
            Assert.Equal("peerkit: error: heard 0 of 1 packets within 00:00:01", Assert.Single(stderr));
        }
        finally
        {
            Directory.Delete(medium, recursive: true);
        }
    }

    [Fact]
    public async Task Radio_on_a_crazyradio_without_libusb_or_dongle_is_one_typed_line_and_exit_code_4()
    {
        // This machine has no Crazyradio (and usually no libusb): the native shim's typed error, not a crash.
        var (exit, stdout, stderr) = await CliProcess.RunAsync(Timeout, "radio", "listen", "--crazyradio");
        Assert.Equal(4, exit);
        Assert.Empty(stdout);
        string error = Assert.Single(stderr);
        Assert.StartsWith("peerkit: error: ", error);
        Assert.Matches(@"\(radio error (NoLibUsb|NoDevice|NoPermission)\)$", error);

        var json = await CliProcess.RunAsync(Timeout, "radio", "send", "--crazyradio", "--port", "0", "hi", "--json");
        Assert.Equal(4, json.Exit);
        Assert.Contains("radio error", Json(Assert.Single(json.Err)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Radio_usage_mistakes_are_one_line_and_exit_code_2()
    {
        var neither = await CliProcess.RunAsync(Timeout, "radio", "send", "--port", "0", "hi");
        Assert.Equal(2, neither.Exit);
        Assert.Equal("peerkit: error: give either --medium DIR or --crazyradio (see `peerkit radio send --help`)", Assert.Single(neither.Err));

        var badPort = await CliProcess.RunAsync(Timeout, "radio", "send", "--medium", "/tmp/unused", "--port", "15", "hi");
        Assert.Equal(2, badPort.Exit);
        Assert.Contains("--port is 0 to 14", Assert.Single(badPort.Err));

        var broadcastNode = await CliProcess.RunAsync(Timeout, "radio", "send", "--medium", "/tmp/unused", "--port", "1", "--to", "255", "hi");
        Assert.Equal(2, broadcastNode.Exit);
        Assert.Contains("--to is a node id, 0 to 254", Assert.Single(broadcastNode.Err));

        var tooLong = await CliProcess.RunAsync(Timeout, "radio", "send", "--medium", "/tmp/unused", "--port", "0", new string('x', 61));
        Assert.Equal(2, tooLong.Exit);
        Assert.Contains("at most 60 data bytes; this one has 61", Assert.Single(tooLong.Err));

        var badHex = await CliProcess.RunAsync(Timeout, "radio", "send", "--medium", "/tmp/unused", "--port", "0", "--hex", "zz");
        Assert.Equal(2, badHex.Exit);
        Assert.Contains("is not hex bytes", Assert.Single(badHex.Err));
    }
}
