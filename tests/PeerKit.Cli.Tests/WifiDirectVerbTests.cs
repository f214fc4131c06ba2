using System.Text.Json;

namespace PeerKit.Cli.Tests;

/// <summary><c>peerkit wifi-direct</c> against the stand-in wpa_supplicant, and against a control socket that is not there.</summary>
public sealed class WifiDirectVerbTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private const string Scenario = """
        device 02:00:00:00:01:00 "cli-device"
        peer 02:00:00:00:02:00 10-0050F204-5 0x0 bob
        peer 02:00:00:00:03:00 1-0050F204-1 0x9 carol
        on P2P_FIND
          reply OK
          emit <3>P2P-DEVICE-FOUND 02:00:00:00:02:00 p2p_dev_addr=02:00:00:00:02:00 pri_dev_type=10-0050F204-5 name='bob' config_methods=0x188 dev_capab=0x25 group_capab=0x0 new=1
        on P2P_STOP_FIND
          reply OK
        on P2P_GROUP_ADD
          reply OK
          emit <3>P2P-GROUP-STARTED p2p-wlan0-0 GO ssid="DIRECT-PK" freq=2437 passphrase="peerkit1" go_dev_addr=02:00:00:00:01:00 [PERSISTENT]
        on P2P_CONNECT
          reply OK
          emit <3>P2P-GO-NEG-SUCCESS role=client freq=2437 ht40=0 peer_dev=02:00:00:00:02:00 peer_iface=02:00:00:00:02:01 wps_method=PBC
          emit <3>P2P-GROUP-STARTED p2p-wlan0-1 client ssid="DIRECT-BO" freq=2412 psk=00 go_dev_addr=02:00:00:00:02:00 ip_addr=192.168.49.10 ip_mask=255.255.255.0 go_ip_addr=192.168.49.1
        """;

    private static JsonElement Json(string line) => JsonDocument.Parse(line).RootElement;

    [Fact]
    public async Task Wifi_direct_status_reports_the_device_and_that_it_is_in_no_group()
    {
        using var supplicant = StandInSupplicant.Start(Scenario);
        var (exit, stdout, stderr) = await CliProcess.RunAsync(Timeout, "wifi-direct", "status", "--control", supplicant.SocketPath, "--json");
        Assert.True(exit == 0, string.Join("\n", stderr));
        JsonElement status = Json(Assert.Single(stdout));
        Assert.Equal("02:00:00:00:01:00", status.GetProperty("device_address").GetString());
        Assert.Equal("cli-device", status.GetProperty("device_name").GetString());
        Assert.Equal("Started", status.GetProperty("state").GetString());
        Assert.Equal("Disconnected", status.GetProperty("connect_state").GetString());
        Assert.Equal(JsonValueKind.Null, status.GetProperty("group").ValueKind);

        var human = await CliProcess.RunAsync(Timeout, "wifi-direct", "status", "--control", supplicant.SocketPath);
        Assert.Equal(0, human.Exit);
        Assert.StartsWith("device \"cli-device\" 02:00:00:00:01:00, p2p started, not in a group", Assert.Single(human.Out));
    }

    [Fact]
    public async Task Wifi_direct_peers_discovers_then_lists_the_supplicants_peer_table()
    {
        using var supplicant = StandInSupplicant.Start(Scenario);
        var (exit, stdout, stderr) = await CliProcess.RunAsync(Timeout, "wifi-direct", "peers", "--control", supplicant.SocketPath, "--discover", "00:00:00.5", "--json");
        Assert.True(exit == 0, string.Join("\n", stderr));
        JsonElement[] lines = [.. stdout.Select(Json)];
        Assert.Equal(3, lines.Length);
        Assert.Equal("02:00:00:00:02:00", lines[0].GetProperty("device_address").GetString());
        Assert.Equal("bob", lines[0].GetProperty("device_name").GetString());
        Assert.False(lines[0].GetProperty("is_group_owner").GetBoolean());
        Assert.Equal("carol", lines[1].GetProperty("device_name").GetString());
        Assert.True(lines[1].GetProperty("is_group_owner").GetBoolean());
        Assert.Equal(2, lines[2].GetProperty("count").GetInt32());
        IReadOnlyList<string> commands = supplicant.Commands();
        Assert.Contains(commands, c => c.StartsWith("P2P_FIND", StringComparison.Ordinal));
        Assert.Contains("P2P_STOP_FIND", commands);
        Assert.True(commands.ToList().FindIndex(c => c.StartsWith("P2P_FIND", StringComparison.Ordinal)) < commands.ToList().IndexOf("P2P_PEER FIRST"));
    }

    [Fact]
    public async Task Wifi_direct_group_add_and_connect_wait_for_the_group_the_supplicant_announces()
    {
        using var supplicant = StandInSupplicant.Start(Scenario);
        var add = await CliProcess.RunAsync(Timeout, "wifi-direct", "group", "add", "--persistent", "--control", supplicant.SocketPath, "--json");
        Assert.True(add.Exit == 0, string.Join("\n", add.Err));
        JsonElement group = Json(Assert.Single(add.Out)).GetProperty("group");
        Assert.Equal("p2p-wlan0-0", group.GetProperty("interface").GetString());
        Assert.True(group.GetProperty("is_p2p_go").GetBoolean());
        Assert.Equal("DIRECT-PK", group.GetProperty("group_name").GetString());
        Assert.Equal(2437, group.GetProperty("frequency").GetInt32());
        Assert.Contains(supplicant.Commands(), c => c.StartsWith("P2P_GROUP_ADD persistent", StringComparison.Ordinal));

        var connect = await CliProcess.RunAsync(Timeout, "wifi-direct", "connect", "02:00:00:00:02:00", "--control", supplicant.SocketPath);
        Assert.True(connect.Exit == 0, string.Join("\n", connect.Err));
        Assert.StartsWith("connected to 02:00:00:00:02:00: p2p-wlan0-1 \"DIRECT-BO\" (client of 02:00:00:00:02:00, 2412 MHz", Assert.Single(connect.Out));
    }

    [Fact]
    public async Task Wifi_direct_group_add_hold_prints_joining_clients_and_removes_the_group_when_it_ends()
    {
        using var supplicant = StandInSupplicant.Start("""
            device 02:00:00:00:01:00 "cli-owner"
            on P2P_GROUP_ADD
              reply OK
              emit <3>P2P-GROUP-STARTED p2p-wlan0-0 GO ssid="DIRECT-PK" freq=2437 passphrase="peerkit1" go_dev_addr=02:00:00:00:01:00
              sleep 200
              emit <3>AP-STA-CONNECTED 02:00:00:00:02:01 p2p_dev_addr=02:00:00:00:02:00
            on P2P_GROUP_REMOVE p2p-wlan0-0
              reply OK
              emit <3>P2P-GROUP-REMOVED p2p-wlan0-0 GO reason=REQUESTED
            """);
        var (exit, stdout, stderr) = await CliProcess.RunAsync(Timeout, "wifi-direct", "group", "add", "--hold", "--for", "00:00:03", "--control", supplicant.SocketPath, "--json");
        Assert.True(exit == 0, string.Join("\n", stderr));
        JsonElement[] lines = [.. stdout.Select(Json)];
        Assert.Equal(["group_started", "group_changed", "group_removed"], lines.Select(l => l.GetProperty("event").GetString()));
        Assert.Equal(1, lines[1].GetProperty("group").GetProperty("clients").GetArrayLength());
        Assert.Equal("p2p-wlan0-0", lines[2].GetProperty("interface").GetString());
        Assert.Contains("P2P_GROUP_REMOVE p2p-wlan0-0", supplicant.Commands());
    }

    [Fact]
    public async Task Wifi_direct_failures_are_one_line_with_OpenHarmonys_error_code_and_a_non_zero_exit()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"pk-no-supplicant-{Guid.NewGuid():n}");
        var (exit, stdout, stderr) = await CliProcess.RunAsync(Timeout, "wifi-direct", "status", "--control", missing);
        Assert.Equal(4, exit);
        Assert.Empty(stdout);
        string error = Assert.Single(stderr);
        Assert.StartsWith($"peerkit: error: no wpa_supplicant control socket at '{missing}'", error);
        Assert.EndsWith("(OpenHarmony error 2801000 OperationFailed, SupplicantUnreachable)", error);

        var json = await CliProcess.RunAsync(Timeout, "wifi-direct", "peers", "--control", missing, "--json");
        Assert.Equal(4, json.Exit);
        Assert.Equal(2801000, Json(Assert.Single(json.Err)).GetProperty("code").GetInt32());

        // A malformed address is OpenHarmony's 401 and a usage error.
        using var supplicant = StandInSupplicant.Start(Scenario);
        var bad = await CliProcess.RunAsync(Timeout, "wifi-direct", "connect", "not-an-address", "--control", supplicant.SocketPath, "--json");
        Assert.Equal(2, bad.Exit);
        Assert.Equal(401, Json(Assert.Single(bad.Err)).GetProperty("code").GetInt32());

        // A fresh process knows no group (the supplicant announces groups only as events): NoGroup, 2801000.
        var remove = await CliProcess.RunAsync(Timeout, "wifi-direct", "group", "remove", "--control", supplicant.SocketPath);
        Assert.Equal(1, remove.Exit);
        Assert.Contains("(OpenHarmony error 2801000 OperationFailed, NoGroup)", Assert.Single(remove.Err));
    }
}
