using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using PeerKit.Links.Udp;

namespace PeerKit.Diagnostics;

/// <summary>
/// The instruments of the <c>"PeerKit"</c> meter. Gauges and drop counts are observed from the live nodes' public state
/// (<see cref="PeerNode.Peers"/>, <see cref="PeerNode.PendingPeerCount"/>, each UDP link's status) when a collector asks;
/// message, byte, round-trip and failure counts are recorded where they happen, and cost one <c>Enabled</c> check when
/// nobody listens.
/// </summary>
internal static class PeerKitMetrics
{
    private static readonly Meter s_meter = new(PeerKitDiagnostics.MeterName, typeof(PeerKitMetrics).Assembly.GetName().Version?.ToString(3));
    private static readonly ConditionalWeakTable<PeerNode, object> s_nodes = new();

    private static readonly Counter<long> s_messagesSent = s_meter.CreateCounter<long>("peerkit.messages.sent", "{message}", "Sub-protocol messages sent, by protocol.");
    private static readonly Counter<long> s_messagesReceived = s_meter.CreateCounter<long>("peerkit.messages.received", "{message}", "Sub-protocol messages received, by protocol.");
    private static readonly Counter<long> s_bytesSent = s_meter.CreateCounter<long>("peerkit.bytes.sent", "By", "Bytes of sub-protocol messages sent (session frames), by protocol.");
    private static readonly Counter<long> s_bytesReceived = s_meter.CreateCounter<long>("peerkit.bytes.received", "By", "Bytes of sub-protocol messages received (session frames), by protocol.");
    private static readonly Histogram<double> s_rtt = s_meter.CreateHistogram<double>(
        "peerkit.peer.rtt", "s", "Round-trip time of each answered ping.", tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
    private static readonly Counter<long> s_handshakesFailed = s_meter.CreateCounter<long>("peerkit.handshakes.failed", "{handshake}", "Link or session handshakes that failed, by reason.");
    private static readonly Counter<long> s_disconnects = s_meter.CreateCounter<long>("peerkit.disconnects", "{peer}", "Sessions ended, by disconnect reason and side.");

    static PeerKitMetrics()
    {
        s_meter.CreateObservableUpDownCounter("peerkit.peers", ObservePeers, "{peer}", "Peers connected, by node.");
        s_meter.CreateObservableUpDownCounter("peerkit.handshakes.pending", ObservePending, "{handshake}", "Handshakes in progress, by node.");
        s_meter.CreateObservableGauge("peerkit.link.loss", ObserveLoss, "1", "Estimated packet loss of each UDP peer's link (0 to 1).");
        s_meter.CreateObservableCounter("peerkit.drops", ObserveDrops, "{item}", "Things dropped, by cause: node events (event_queue_full), data and peers refused for a spent memory budget (memory_budget), and, per UDP peer, unreliable messages and bad packets.");
        s_meter.CreateObservableUpDownCounter("peerkit.memory.used", ObserveMemory, "By", "Bytes the node's peers make it hold (queues, partial and reordered frames), by node; see PeerNodeOptions.MemoryBudgetBytes.");
    }

    /// <summary>Whether anyone collects message counts (checked before looking up a message's protocol).</summary>
    internal static bool MessagesEnabled => s_messagesSent.Enabled || s_messagesReceived.Enabled || s_bytesSent.Enabled || s_bytesReceived.Enabled;

    /// <summary>Starts observing a node's peers, handshakes and links. Nodes are held weakly.</summary>
    internal static void Track(PeerNode node) => s_nodes.AddOrUpdate(node, node);

    /// <summary>Stops observing a disposed node.</summary>
    internal static void Untrack(PeerNode node) => s_nodes.Remove(node);

    internal static void MessageSent(ProtocolDescriptor? protocol, int bytes)
    {
        var tag = new KeyValuePair<string, object?>("peerkit.protocol", protocol?.Name ?? "base");
        s_messagesSent.Add(1, tag);
        s_bytesSent.Add(bytes, tag);
    }

    internal static void MessageReceived(ProtocolDescriptor protocol, int bytes)
    {
        if (!MessagesEnabled)
        {
            return;
        }

        var tag = new KeyValuePair<string, object?>("peerkit.protocol", protocol.Name);
        s_messagesReceived.Add(1, tag);
        s_bytesReceived.Add(bytes, tag);
    }

    internal static void Rtt(TimeSpan rtt)
    {
        if (s_rtt.Enabled)
        {
            s_rtt.Record(rtt.TotalSeconds);
        }
    }

    internal static void HandshakeFailed(DisconnectReason reason) =>
        s_handshakesFailed.Add(1, new KeyValuePair<string, object?>("peerkit.disconnect.reason", ReasonName(reason)));

    internal static void Disconnected(DisconnectReason reason, bool isRemote) =>
        s_disconnects.Add(1, new KeyValuePair<string, object?>("peerkit.disconnect.reason", ReasonName(reason)), new KeyValuePair<string, object?>("peerkit.disconnect.remote", isRemote));

    /// <summary>The reason as an attribute value: snake_case, e.g. <c>breach_of_protocol</c>.</summary>
    internal static string ReasonName(DisconnectReason reason) => reason switch
    {
        DisconnectReason.Requested => "requested",
        DisconnectReason.NetworkError => "network_error",
        DisconnectReason.BreachOfProtocol => "breach_of_protocol",
        DisconnectReason.UselessPeer => "useless_peer",
        DisconnectReason.TooManyPeers => "too_many_peers",
        DisconnectReason.AlreadyConnected => "already_connected",
        DisconnectReason.IncompatibleVersion => "incompatible_version",
        DisconnectReason.InvalidIdentity => "invalid_identity",
        DisconnectReason.ClientQuitting => "client_quitting",
        DisconnectReason.UnexpectedIdentity => "unexpected_identity",
        DisconnectReason.ConnectedToSelf => "connected_to_self",
        DisconnectReason.ReadTimeout => "read_timeout",
        DisconnectReason.SubprotocolError => "subprotocol_error",
        DisconnectReason.MemoryBudgetExceeded => "memory_budget_exceeded",
        _ => "other",
    };

    private static KeyValuePair<string, object?> NodeTag(PeerNode node) => new("peerkit.node.id", node.Id.ToString("s", null));

    private static IEnumerable<Measurement<int>> ObservePeers()
    {
        foreach ((PeerNode node, _) in s_nodes)
        {
            yield return new Measurement<int>(node.PeerCount, NodeTag(node));
        }
    }

    private static IEnumerable<Measurement<int>> ObservePending()
    {
        foreach ((PeerNode node, _) in s_nodes)
        {
            yield return new Measurement<int>(node.PendingPeerCount, NodeTag(node));
        }
    }

    private static IEnumerable<Measurement<long>> ObserveMemory()
    {
        foreach ((PeerNode node, _) in s_nodes)
        {
            yield return new Measurement<long>(node.MemoryStatus.Used, NodeTag(node));
        }
    }

    private static IEnumerable<Measurement<double>> ObserveLoss()
    {
        foreach ((PeerNode node, _) in s_nodes)
        {
            foreach (Peer peer in node.Peers)
            {
                if (peer.Link is UdpLink udp)
                {
                    yield return new Measurement<double>(udp.GetStatus().Loss, NodeTag(node), new("peerkit.peer.id", peer.Id.ToString("s", null)));
                }
            }
        }
    }

    private static IEnumerable<Measurement<long>> ObserveDrops()
    {
        foreach ((PeerNode node, _) in s_nodes)
        {
            yield return new Measurement<long>(node.DroppedEventCount, NodeTag(node), new("peerkit.drop.cause", "event_queue_full"));
            yield return new Measurement<long>(node.MemoryStatus.RefusedCount, NodeTag(node), new("peerkit.drop.cause", "memory_budget"));
            foreach (Peer peer in node.Peers)
            {
                if (peer.Link is not UdpLink udp)
                {
                    continue;
                }

                UdpLinkStatus status = udp.GetStatus();
                var peerTag = new KeyValuePair<string, object?>("peerkit.peer.id", peer.Id.ToString("s", null));
                yield return new Measurement<long>(status.UnreliableDropped, NodeTag(node), peerTag, new("peerkit.drop.cause", "unreliable_send_queue_full"));
                yield return new Measurement<long>(status.UnreliableDroppedOnReceive, NodeTag(node), peerTag, new("peerkit.drop.cause", "unreliable_receive_queue_full"));
                yield return new Measurement<long>(status.PacketsDroppedInvalid, NodeTag(node), peerTag, new("peerkit.drop.cause", "invalid_packet"));
                yield return new Measurement<long>(status.PacketsDroppedReplayed, NodeTag(node), peerTag, new("peerkit.drop.cause", "replayed_packet"));
            }
        }
    }
}
