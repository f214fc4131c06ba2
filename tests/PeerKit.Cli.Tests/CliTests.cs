using System.Security.Cryptography;
using System.Text.Json;

namespace PeerKit.Cli.Tests;

public sealed class CliTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static JsonElement Json(string line) => JsonDocument.Parse(line).RootElement;

    private static CliProcess Listen(out string address, params string[] extra)
    {
        CliProcess listener = CliProcess.Start(["listen", "--listen", "tcp://127.0.0.1:0", "--json", .. extra]);
        JsonElement listening = Json(listener.ReadUntil(l => l.Contains("\"listening\""), Timeout));
        address = listening.GetProperty("address").GetString()!;
        return listener;
    }

    [Fact]
    public async Task Keygen_writes_a_key_file_prints_its_id_and_refuses_to_overwrite_it_without_force()
    {
        string folder = Directory.CreateTempSubdirectory("peerkit-cli").FullName;
        try
        {
            string path = Path.Combine(folder, "node.key");
            var (exit, stdout, stderr) = await CliProcess.RunAsync(Timeout, "keygen", "--out", path, "--json");
            Assert.Equal(0, exit);
            Assert.Empty(stderr);
            JsonElement made = Json(Assert.Single(stdout));
            string id = made.GetProperty("id").GetString()!;
            Assert.Matches("^[0-9a-f]{64}$", id);
            using (NodeKey key = NodeKey.Load(path))
            {
                Assert.Equal(id, key.Id.ToString());
            }

            var again = await CliProcess.RunAsync(Timeout, "keygen", "--out", path);
            Assert.Equal(1, again.Exit);
            string error = Assert.Single(again.Err);
            Assert.StartsWith("peerkit: error: ", error);
            Assert.Contains("--force", error);
            using (NodeKey unchanged = NodeKey.Load(path))
            {
                Assert.Equal(id, unchanged.Id.ToString());
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_usage_mistake_is_one_line_and_exit_code_2()
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync(Timeout, "ping");
        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        string error = Assert.Single(stderr);
        Assert.Contains("address", error);
        Assert.Contains("peerkit ping --help", error);

        var badAddress = await CliProcess.RunAsync(Timeout, "send", "tcp//nowhere", "hi");
        Assert.Equal(2, badAddress.Exit);
        Assert.Contains("is not a node address", Assert.Single(badAddress.Err));
    }

    [Fact]
    public async Task An_unreachable_node_is_one_line_and_exit_code_3_also_in_json()
    {
        var (exit, _, stderr) = await CliProcess.RunAsync(Timeout, "connect", "tcp://127.0.0.1:1", "--json");
        Assert.Equal(3, exit);
        JsonElement error = Json(Assert.Single(stderr));
        Assert.Contains("could not connect to tcp://127.0.0.1:1", error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Send_delivers_a_message_that_listen_prints_and_ping_and_connect_report_the_peer()
    {
        using CliProcess listener = Listen(out string address);
        string listenerId = NodeAddress.Parse(address).Id!.Value.ToString();

        var sent = await CliProcess.RunAsync(Timeout, "send", address, "hello from a test", "--json");
        Assert.True(sent.Exit == 0, string.Join("\n", sent.Err));
        Assert.Equal("sent", Json(Assert.Single(sent.Out)).GetProperty("event").GetString());
        JsonElement message = Json(listener.ReadUntil(l => l.Contains("\"message\""), Timeout));
        Assert.Equal("hello from a test", message.GetProperty("text").GetString());

        var pinged = await CliProcess.RunAsync(Timeout, "ping", address, "--count", "3", "--interval", "00:00:00.010", "--json");
        Assert.Equal(0, pinged.Exit);
        JsonElement[] lines = [.. pinged.Out.Select(Json)];
        Assert.Equal(4, lines.Length);
        Assert.All(lines[..3], l => Assert.True(l.GetProperty("rtt_ms").GetDouble() > 0));
        Assert.Equal(3, lines[3].GetProperty("count").GetInt32());

        var connected = await CliProcess.RunAsync(Timeout, "connect", address);
        Assert.Equal(0, connected.Exit);
        string line = Assert.Single(connected.Out);
        Assert.Contains(listenerId, line);
        Assert.Contains("peerkit-cli/1", line);
    }

    [Fact]
    public async Task Send_file_arrives_whole_and_the_sender_reports_the_confirmed_hash()
    {
        string folder = Directory.CreateTempSubdirectory("peerkit-cli").FullName;
        try
        {
            string inbox = Path.Combine(folder, "inbox");
            string source = Path.Combine(folder, "payload.bin");
            byte[] content = new byte[300_000];
            new Random(7).NextBytes(content);
            File.WriteAllBytes(source, content);
            using CliProcess listener = Listen(out string address, "--save-dir", inbox);

            var sent = await CliProcess.RunAsync(Timeout, "send-file", address, source, "--json");
            Assert.True(sent.Exit == 0, string.Join("\n", sent.Err));
            JsonElement report = Json(Assert.Single(sent.Out));
            Assert.Equal(content.Length, report.GetProperty("bytes").GetInt64());
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), report.GetProperty("sha256").GetString());

            JsonElement saved = Json(listener.ReadUntil(l => l.Contains("\"file\""), Timeout));
            string path = saved.GetProperty("path").GetString()!;
            Assert.Equal(Path.Combine(Path.GetFullPath(inbox), "payload.bin"), path);
            Assert.Equal(content, File.ReadAllBytes(path));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Send_file_to_a_node_that_takes_no_files_fails_with_the_receivers_reason()
    {
        string source = Path.GetTempFileName();
        try
        {
            File.WriteAllText(source, "refused");
            using CliProcess listener = Listen(out string address);
            var sent = await CliProcess.RunAsync(Timeout, "send-file", address, source);
            Assert.Equal(1, sent.Exit);
            Assert.Contains("does not accept files", Assert.Single(sent.Err));
        }
        finally
        {
            File.Delete(source);
        }
    }

    [Fact]
    public async Task Proto_export_prints_the_schema_of_each_protocol_in_an_assembly()
    {
        var (exit, stdout, _) = await CliProcess.RunAsync(Timeout, "proto", "export", CliProcess.ToolPath);
        Assert.Equal(0, exit);
        string schema = string.Join("\n", stdout);
        Assert.Contains("syntax = \"proto3\";", schema);
        Assert.Contains("message FileChunk {", schema);
        Assert.Contains("bytes data = 3;", schema);

        var missing = await CliProcess.RunAsync(Timeout, "proto", "export", "/nonexistent/x.dll");
        Assert.Equal(1, missing.Exit);
        Assert.Contains("no such assembly", Assert.Single(missing.Err));
    }

    [Fact]
    public async Task Bench_reports_a_positive_rate_in_json()
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync(Timeout, "bench", "--count", "2000", "--json");
        Assert.True(exit == 0, string.Join("\n", stderr));
        JsonElement result = Json(Assert.Single(stdout));
        Assert.Equal(2000, result.GetProperty("count").GetInt32());
        Assert.True(result.GetProperty("messages_per_second").GetDouble() > 0);
    }

    [Fact]
    public async Task Peers_json_snapshots_list_the_connected_peer()
    {
        using CliProcess listener = Listen(out string address);
        string listenerId = NodeAddress.Parse(address).Id!.Value.ToString();
        var (exit, stdout, stderr) = await CliProcess.RunAsync(Timeout, "peers", "--connect", address, "--for", "00:00:01.500", "--refresh", "00:00:00.200", "--json");
        Assert.True(exit == 0, string.Join("\n", stderr));
        JsonElement last = Json(stdout[^1]);
        JsonElement peer = Assert.Single(last.GetProperty("peers").EnumerateArray());
        Assert.Equal(listenerId, peer.GetProperty("id").GetString());
        Assert.Equal("tcp out", peer.GetProperty("path").GetString());
    }
}
