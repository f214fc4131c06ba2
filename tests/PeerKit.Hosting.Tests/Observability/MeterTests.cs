using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using PeerKit.Diagnostics;

namespace PeerKit.Hosting.Tests.Observability;

public sealed class MeterTests : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Name, string? Unit, double Value, Dictionary<string, object?> Tags)> _measurements = new();

    public MeterTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == PeerKitDiagnostics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var map = new Dictionary<string, object?>();
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            map[tag.Key] = tag.Value;
        }

        _measurements.Enqueue((instrument.Name, instrument.Unit, value, map));
    }

    private double Sum(string name, string tag, object value) =>
        _measurements.Where(m => m.Name == name && Equals(m.Tags.GetValueOrDefault(tag), value)).Sum(m => m.Value);

    [Fact]
    public async Task Messages_bytes_round_trips_peers_and_disconnects_are_measured_per_protocol_and_reason()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using NodePair nodes = await NodePair.StartAsync(cts.Token);
        Peer toServer = await nodes.Client.ConnectAsync(nodes.Server.ListenAddresses[0], cts.Token);
        for (int i = 0; i < 3; i++)
        {
            await toServer.SendAsync(new EchoProtocol.Note($"note {i}"), cts.Token);
            await nodes.ServerProtocol.Received.Reader.ReadAsync(cts.Token);
        }

        TimeSpan rtt = await toServer.PingAsync(cts.Token);
        while (nodes.Server.PeerCount == 0)
        {
            await Task.Delay(10, cts.Token);
        }

        _measurements.Clear();
        _listener.RecordObservableInstruments();
        string serverId = nodes.Server.Id.ToString("s", null);
        Assert.Equal(1, Sum("peerkit.peers", "peerkit.node.id", serverId));
        Assert.Equal(0, Sum("peerkit.handshakes.pending", "peerkit.node.id", serverId));
        Assert.Contains(_measurements, m => m.Name == "peerkit.drops" && Equals(m.Tags["peerkit.drop.cause"], "event_queue_full") && m.Unit == "{item}");

        _measurements.Clear();
        await toServer.SendAsync(new EchoProtocol.Note("counted"), cts.Token);
        await nodes.ServerProtocol.Received.Reader.ReadAsync(cts.Token);
        Assert.Equal(1, Sum("peerkit.messages.sent", "peerkit.protocol", "echo"));
        Assert.Equal(1, Sum("peerkit.messages.received", "peerkit.protocol", "echo"));
        double sentBytes = Sum("peerkit.bytes.sent", "peerkit.protocol", "echo");
        Assert.InRange(sentBytes, "counted".Length + 2, 64);
        Assert.Equal(sentBytes, Sum("peerkit.bytes.received", "peerkit.protocol", "echo"));

        TimeSpan second = await toServer.PingAsync(cts.Token);
        var rtts = _measurements.Where(m => m.Name == "peerkit.peer.rtt").ToArray();
        Assert.NotEmpty(rtts);
        Assert.All(rtts, m => Assert.Equal("s", m.Unit));
        Assert.Contains(rtts, m => Math.Abs(m.Value - second.TotalSeconds) < 1e-6);

        await toServer.DisconnectAsync(DisconnectReason.SubprotocolError);
        while (nodes.Server.PeerCount != 0)
        {
            await Task.Delay(10, cts.Token);
        }

        Assert.Contains(_measurements, m => m.Name == "peerkit.disconnects" && Equals(m.Tags["peerkit.disconnect.reason"], "subprotocol_error") && Equals(m.Tags["peerkit.disconnect.remote"], false));
        Assert.Contains(_measurements, m => m.Name == "peerkit.disconnects" && Equals(m.Tags["peerkit.disconnect.reason"], "subprotocol_error") && Equals(m.Tags["peerkit.disconnect.remote"], true));
        _ = rtt;
    }

    [Fact]
    public async Task A_handshake_refused_for_a_wrong_identity_is_counted_with_its_reason()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using NodePair nodes = await NodePair.StartAsync(cts.Token);
        using NodeKey stranger = NodeKey.Generate();
        NodeAddress wrong = nodes.Server.ListenAddresses[0] with { Id = stranger.Id };

        PeerConnectException error = await Assert.ThrowsAsync<PeerConnectException>(() => nodes.Client.ConnectAsync(wrong, cts.Token));
        Assert.Equal(DisconnectReason.UnexpectedIdentity, error.Reason);
        Assert.Equal(1, Sum("peerkit.handshakes.failed", "peerkit.disconnect.reason", "unexpected_identity"));
    }

    [Fact]
    public async Task A_disposed_node_is_no_longer_observed()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        NodePair nodes = await NodePair.StartAsync(cts.Token);
        string serverId = nodes.Server.Id.ToString("s", null);
        _listener.RecordObservableInstruments();
        Assert.Contains(_measurements, m => m.Name == "peerkit.peers" && Equals(m.Tags["peerkit.node.id"], serverId));

        await nodes.DisposeAsync();
        _measurements.Clear();
        _listener.RecordObservableInstruments();
        Assert.DoesNotContain(_measurements, m => m.Name == "peerkit.peers" && Equals(m.Tags["peerkit.node.id"], serverId));
    }
}
