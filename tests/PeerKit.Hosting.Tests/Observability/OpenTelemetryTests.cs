using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using PeerKit.Diagnostics;

namespace PeerKit.Hosting.Tests.Observability;

public sealed class OpenTelemetryTests
{
    [Fact]
    public async Task The_in_memory_exporter_gets_every_instrument_with_its_unit_and_the_connect_handshake_disconnect_spans()
    {
        var metrics = new List<Metric>();
        var spans = new List<Activity>();
        using MeterProvider meterProvider = Sdk.CreateMeterProviderBuilder().AddMeter(PeerKitDiagnostics.MeterName).AddInMemoryExporter(metrics).Build();
        using TracerProvider tracerProvider = Sdk.CreateTracerProviderBuilder().AddSource(PeerKitDiagnostics.ActivitySourceName).AddInMemoryExporter(spans).Build();

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        NodePair nodes = await NodePair.StartAsync(cts.Token);
        Peer toServer = await nodes.Client.ConnectAsync(nodes.Server.ListenAddresses[0], cts.Token);
        await toServer.SendAsync(new EchoProtocol.Note("exported"), cts.Token);
        await nodes.ServerProtocol.Received.Reader.ReadAsync(cts.Token);
        await toServer.PingAsync(cts.Token);
        meterProvider.ForceFlush();

        Dictionary<string, string> units = metrics.GroupBy(m => m.Name).ToDictionary(g => g.Key, g => g.First().Unit);
        Assert.Equal("{peer}", units["peerkit.peers"]);
        Assert.Equal("{handshake}", units["peerkit.handshakes.pending"]);
        Assert.Equal("{message}", units["peerkit.messages.sent"]);
        Assert.Equal("{message}", units["peerkit.messages.received"]);
        Assert.Equal("By", units["peerkit.bytes.sent"]);
        Assert.Equal("By", units["peerkit.bytes.received"]);
        Assert.Equal("s", units["peerkit.peer.rtt"]);
        Assert.Equal("{item}", units["peerkit.drops"]);
        Metric rtt = metrics.First(m => m.Name == "peerkit.peer.rtt");
        Assert.Equal(MetricType.Histogram, rtt.MetricType);

        await nodes.DisposeAsync();
        tracerProvider.ForceFlush();
        Activity connect = Assert.Single(spans, s => s.OperationName == "peerkit.connect");
        Assert.Equal(ActivityStatusCode.Ok, connect.Status);
        Assert.Equal(nodes.Server.Id.ToString(), connect.GetTagItem("peerkit.peer.id"));
        Activity outbound = Assert.Single(spans, s => s.OperationName == "peerkit.handshake" && Equals(s.GetTagItem("peerkit.direction"), "outbound"));
        Assert.Equal(connect.SpanId, outbound.ParentSpanId);
        Assert.Single(spans, s => s.OperationName == "peerkit.handshake" && Equals(s.GetTagItem("peerkit.direction"), "inbound"));
        Assert.Contains(spans, s => s.OperationName == "peerkit.disconnect" && Equals(s.GetTagItem("peerkit.disconnect.reason"), "client_quitting"));
    }

    [Fact]
    public async Task A_failed_connect_span_carries_the_error_status_and_reason()
    {
        var spans = new List<Activity>();
        using TracerProvider tracerProvider = Sdk.CreateTracerProviderBuilder().AddSource(PeerKitDiagnostics.ActivitySourceName).AddInMemoryExporter(spans).Build();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using NodePair nodes = await NodePair.StartAsync(cts.Token);
        using NodeKey stranger = NodeKey.Generate();
        await Assert.ThrowsAsync<PeerConnectException>(() => nodes.Client.ConnectAsync(nodes.Server.ListenAddresses[0] with { Id = stranger.Id }, cts.Token));

        tracerProvider.ForceFlush();
        Activity connect = Assert.Single(spans, s => s.OperationName == "peerkit.connect");
        Assert.Equal(ActivityStatusCode.Error, connect.Status);
        Assert.Equal("unexpected_identity", connect.GetTagItem("peerkit.disconnect.reason"));
    }
}
