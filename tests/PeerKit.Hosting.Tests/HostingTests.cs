using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PeerKit.Hosting.Tests;

public sealed class HostingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static IHost BuildHost(Dictionary<string, string?> settings, CapturingLoggerProvider? logs = null, Action<PeerKitBuilder>? configure = null)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        PeerKitBuilder peerKit = builder.Services.AddPeerKit(builder.Configuration.GetSection("PeerKit"));
        configure?.Invoke(peerKit);
        builder.Services.AddHealthChecks().AddPeerKit();
        if (logs is not null)
        {
            builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Trace);
        }

        return builder.Build();
    }

    [Fact]
    public async Task The_node_starts_with_the_host_from_configuration_and_stops_with_it()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using IHost host = BuildHost(new()
        {
            ["PeerKit:Name"] = "hosted",
            ["PeerKit:MaxPeers"] = "7",
            ["PeerKit:HandshakeTimeout"] = "00:00:03",
            ["PeerKit:ListenAddresses:0"] = "tcp://127.0.0.1:0",
        });
        PeerNode node = host.Services.GetRequiredService<PeerNode>();
        PeerNodeService service = host.Services.GetRequiredService<PeerNodeService>();
        Assert.False(service.IsRunning);

        await host.StartAsync(cts.Token);
        Assert.True(service.IsRunning);
        Assert.Equal("hosted", node.Name);
        Assert.Equal(7, node.Options.MaxPeers);
        Assert.Equal(TimeSpan.FromSeconds(3), node.Options.HandshakeTimeout);
        NodeAddress listening = Assert.Single(node.ListenAddresses);
        Assert.NotEqual(0, listening.Port);
        using (var probe = new TcpClient())
        {
            await probe.ConnectAsync("127.0.0.1", listening.Port, cts.Token);
        }

        await host.StopAsync(cts.Token);
        Assert.False(service.IsRunning);
        using var after = new TcpClient();
        await Assert.ThrowsAsync<SocketException>(async () => await after.ConnectAsync("127.0.0.1", listening.Port, cts.Token));
    }

    [Fact]
    public async Task Bad_configuration_fails_the_start_naming_every_bad_key()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using IHost host = BuildHost(new()
        {
            ["PeerKit:MaxPeers"] = "-1",
            ["PeerKit:HandshakeTimeout"] = "00:00:00",
            ["PeerKit:ListenAddresses:0"] = "tcp//127.0.0.1:0",
            ["PeerKit:StaticPeers:0"] = "quic://127.0.0.1:1",
            ["PeerKit:TrustedPeers:0"] = "not-hex",
        });

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(cts.Token));
        string all = string.Join("\n", error.Failures);
        Assert.Contains("PeerKit:MaxPeers is -1", all);
        Assert.Contains("PeerKit:HandshakeTimeout", all);
        Assert.Contains("PeerKit:ListenAddresses[0]: \"tcp//127.0.0.1:0\" is not a node address", all);
        Assert.Contains("PeerKit:StaticPeers[0]", all);
        Assert.Contains("PeerKit:TrustedPeers[0]", all);
        Assert.Equal(5, error.Failures.Count());
        // No node was made from the bad settings: asking for one names the same errors.
        Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<PeerNode>());
    }

    [Fact]
    public async Task Hosted_nodes_run_container_protocols_and_the_health_check_follows_the_static_peer()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using IHost server = BuildHost(new() { ["PeerKit:Name"] = "server", ["PeerKit:ListenAddresses:0"] = "tcp://127.0.0.1:0" }, configure: b => b.AddProtocol<EchoProtocol>());
        HealthReport beforeStart = await server.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(cts.Token);
        Assert.Equal(HealthStatus.Unhealthy, beforeStart.Status);

        await server.StartAsync(cts.Token);
        PeerNode serverNode = server.Services.GetRequiredService<PeerNode>();
        string address = new NodeAddress(NodeAddress.Tcp, "127.0.0.1", serverNode.ListenAddresses[0].Port, serverNode.Id).ToString();

        using IHost client = BuildHost(new() { ["PeerKit:Name"] = "client", ["PeerKit:StaticPeers:0"] = address, ["PeerKit:StaticRedialMinDelay"] = "00:00:00.100" }, configure: b => b.AddProtocol<EchoProtocol>());
        await client.StartAsync(cts.Token);
        PeerNode clientNode = client.Services.GetRequiredService<PeerNode>();
        HealthCheckService clientHealth = client.Services.GetRequiredService<HealthCheckService>();
        while (clientNode.PeerCount == 0)
        {
            await Task.Delay(20, cts.Token);
        }

        HealthReport connected = await clientHealth.CheckHealthAsync(cts.Token);
        Assert.Equal(HealthStatus.Healthy, connected.Status);
        Assert.Equal(1, connected.Entries["peerkit"].Data["peers"]);

        await clientNode.Peers[0].SendAsync(new EchoProtocol.Note("through the host"), cts.Token);
        EchoProtocol.Note got = await server.Services.GetRequiredService<EchoProtocol>().Received.Reader.ReadAsync(cts.Token);
        Assert.Equal("through the host", got.Text);

        await server.StopAsync(cts.Token);
        while (clientNode.PeerCount != 0)
        {
            await Task.Delay(20, cts.Token);
        }

        Assert.Equal(HealthStatus.Degraded, (await clientHealth.CheckHealthAsync(cts.Token)).Status);
        await client.StopAsync(cts.Token);
        Assert.Equal(HealthStatus.Unhealthy, (await clientHealth.CheckHealthAsync(cts.Token)).Status);
    }

    [Fact]
    public async Task Peer_caused_drops_are_logged_as_session_warnings_with_fields_and_rate_limited()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var logs = new CapturingLoggerProvider();
        using IHost host = BuildHost(new()
        {
            ["PeerKit:ListenAddresses:0"] = "tcp://127.0.0.1:0",
            ["PeerKit:PeerErrorLogLimit"] = "3",
            ["PeerKit:PeerErrorLogWindow"] = "01:00:00",
        }, logs);
        await host.StartAsync(cts.Token);
        PeerNode node = host.Services.GetRequiredService<PeerNode>();
        Assert.Contains(logs.Entries, e => e.Category == PeerKitLogCategories.Node && e.Id.Id == 10);

        const int attempts = 8;
        for (int i = 0; i < attempts; i++)
        {
            await using var hostile = new PeerNode(new PeerNodeOptions { Name = $"hostile{i}" });
            await hostile.StartAsync(cts.Token);
            Peer peer = await hostile.ConnectAsync(node.ListenAddresses[0], cts.Token);
            while (node.PeerCount == 0)
            {
                await Task.Delay(10, cts.Token);
            }

            await peer.DisconnectAsync(DisconnectReason.BreachOfProtocol);
            while (node.PeerCount != 0)
            {
                await Task.Delay(10, cts.Token);
            }
        }

        // Events arrive on the node's event thread; wait until the drops are all seen.
        PeerNodeService service = host.Services.GetRequiredService<PeerNodeService>();
        for (int i = 0; logs.Entries.Count(e => e.Category == PeerKitLogCategories.Sessions) + service.GetSuppressedLogEntries(PeerKitLogCategories.Sessions) < attempts; i++)
        {
            Assert.True(i < 500, string.Join("\n", logs.Entries.Select(e => $"{e.Category} {e.Level} {e.Message}")));
            await Task.Delay(10, cts.Token);
        }

        CapturingLoggerProvider.Entry[] warnings = [.. logs.Entries.Where(e => e.Category == PeerKitLogCategories.Sessions)];
        Assert.Equal(3, warnings.Length);
        Assert.All(warnings, w => Assert.Equal(LogLevel.Warning, w.Level));
        Assert.All(warnings, w => Assert.Equal("BreachOfProtocol", w.Fields["Reason"]));
        Assert.All(warnings, w => Assert.Equal(true, w.Fields["IsRemote"]));
        Assert.All(warnings, w => Assert.Matches("^[0-9a-f]{8}$", (string)w.Fields["PeerId"]!));
        Assert.Equal(attempts - 3, service.GetSuppressedLogEntries(PeerKitLogCategories.Sessions));
        await host.StopAsync(cts.Token);
    }
}
