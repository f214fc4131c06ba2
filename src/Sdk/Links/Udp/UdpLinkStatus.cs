namespace PeerKit.Links.Udp;

/// <summary>A snapshot of a <see cref="UdpLink"/>'s live state (<see cref="UdpLink.GetStatus"/>).</summary>
/// <remarks>Rates are measured over the last full second; totals count since the link was established.</remarks>
public readonly record struct UdpLinkStatus
{
    /// <summary>The smoothed round-trip time (RFC 6298 SRTT); zero before the first sample.</summary>
    public TimeSpan Rtt { get; init; }

    /// <summary>The round-trip time variation (RFC 6298 RTTVAR).</summary>
    public TimeSpan RttVariance { get; init; }

    /// <summary>The smallest round-trip time seen.</summary>
    public TimeSpan MinRtt { get; init; }

    /// <summary>The current retransmission timeout.</summary>
    public TimeSpan RetransmitTimeout { get; init; }

    /// <summary>The fraction (0–1) of packets sent in the last second that were declared lost.</summary>
    public double Loss { get; init; }

    /// <summary>The pacing rate, in bytes per second: the congestion window over the smoothed RTT, with a gain.</summary>
    public double SendRate { get; init; }

    /// <summary>The delivery-rate estimate of the path's bandwidth, in bytes per second (windowed maximum of acknowledged bytes per interval).</summary>
    public double BandwidthEstimate { get; init; }

    /// <summary>The congestion window, in bytes.</summary>
    public long CongestionWindow { get; init; }

    /// <summary>Bytes sent and not yet acknowledged or declared lost.</summary>
    public long BytesInFlight { get; init; }

    /// <summary>UDP payload bytes sent per second.</summary>
    public double BytesSentPerSecond { get; init; }

    /// <summary>UDP payload bytes received (authenticated) per second.</summary>
    public double BytesReceivedPerSecond { get; init; }

    /// <summary>Packets sent per second.</summary>
    public double PacketsSentPerSecond { get; init; }

    /// <summary>Packets received (authenticated) per second.</summary>
    public double PacketsReceivedPerSecond { get; init; }

    /// <summary>Packets sent in total (path MTU probes included).</summary>
    public long PacketsSent { get; init; }

    /// <summary>Authenticated packets received in total.</summary>
    public long PacketsReceived { get; init; }

    /// <summary>Packets declared lost in total (their reliable content was sent again); lost path MTU probes are not counted here.</summary>
    public long PacketsLost { get; init; }

    /// <summary>Bytes waiting in the <see cref="Reliability.ReliableOrdered"/> lane (queued or unacknowledged).</summary>
    public long QueuedReliableOrdered { get; init; }

    /// <summary>Bytes waiting in the <see cref="Reliability.ReliableUnordered"/> lane (queued or unacknowledged).</summary>
    public long QueuedReliableUnordered { get; init; }

    /// <summary>Bytes waiting to be sent in the <see cref="Reliability.Unreliable"/> lane.</summary>
    public long QueuedUnreliable { get; init; }

    /// <summary>Bytes waiting to be sent in the <see cref="Reliability.UnreliableSequenced"/> lane.</summary>
    public long QueuedUnreliableSequenced { get; init; }

    /// <summary>How long the oldest frame still queued or unacknowledged has waited; zero when none is.</summary>
    public TimeSpan OldestQueuedAge { get; init; }

    /// <summary>Unreliable frames dropped by this side before sending because their lane's queue was full.</summary>
    public long UnreliableDropped { get; init; }

    /// <summary>Packets for this link dropped because they failed authentication (tampered or forged).</summary>
    public long PacketsDroppedInvalid { get; init; }

    /// <summary>Packets for this link dropped as replays (already seen, or older than the 1024-packet window).</summary>
    public long PacketsDroppedReplayed { get; init; }

    /// <summary>
    /// Received packets whose reliable frames were not taken because the peer sent beyond its flow-control credit
    /// (left unacknowledged, so it sends them again). Always 0 with a PeerKit peer.
    /// </summary>
    public long PacketsDeferred { get; init; }

    /// <summary>
    /// Flow control, sending: how much more reliable data (bytes + 64 per frame) the peer grants before this side
    /// must wait for it to read; 0 while waiting.
    /// </summary>
    public long SendCredit { get; init; }

    /// <summary>Flow control, receiving: reliable data (bytes + 64 per frame) waiting for this side's application.</summary>
    public long ReceiveWindowUsed { get; init; }

    /// <summary>
    /// Unreliable frames from the peer that were dropped here: the receive queue was full, or a fragmented frame
    /// missed a fragment.
    /// </summary>
    public long UnreliableDroppedOnReceive { get; init; }

    /// <summary>
    /// Challenges sent to a new address the peer's packets came from. The link moves there only when the answer
    /// comes back from that address, so a copy of a packet forwarded from elsewhere cannot redirect it.
    /// </summary>
    public long PathChallengesSent { get; init; }

    /// <summary>Times the link moved to a validated new peer address (NAT rebinding, a roaming device).</summary>
    public long PathMigrations { get; init; }

    /// <summary>
    /// Times this side replaced the key that seals its packets (<see cref="UdpLinkOptions.KeyUpdatePackets"/>,
    /// <see cref="UdpLinkOptions.KeyUpdateInterval"/>).
    /// </summary>
    public long KeyUpdates { get; init; }

    /// <summary>Times the peer replaced its sending key, as seen by the first packet sealed with each new key.</summary>
    public long PeerKeyUpdates { get; init; }

    /// <summary>
    /// The largest packet the link sends now, in bytes of UDP payload (<see cref="UdpLink.PathMtu"/>): the base size
    /// (<see cref="UdpLink.Mtu"/>) until path MTU discovery confirms more, and again after a black hole.
    /// </summary>
    public int PathMtu { get; init; }

    /// <summary>
    /// The ceiling of path MTU discovery: the smaller of the two sides' <see cref="UdpLinkOptions.MaxMtu"/>. Equal to
    /// <see cref="UdpLink.Mtu"/> when discovery is off.
    /// </summary>
    public int MaxPathMtu { get; init; }

    /// <summary>Whether a path MTU search is under way (probes are being sent, or will be once the link may send them).</summary>
    public bool PathMtuSearching { get; init; }

    /// <summary>
    /// Probe packets sent in total: padded packets of the size being tried, one at a time, each retried up to three
    /// times. They count in <see cref="PacketsSent"/>, never in <see cref="BytesInFlight"/>.
    /// </summary>
    public long PathMtuProbesSent { get; init; }

    /// <summary>
    /// Probes that went unacknowledged (too large for the path, or lost), or that the socket refused as larger than
    /// the interface's MTU. They are not congestion: they count neither in <see cref="PacketsLost"/> nor in
    /// <see cref="Loss"/>, and do not shrink the <see cref="CongestionWindow"/>.
    /// </summary>
    public long PathMtuProbesLost { get; init; }

    /// <summary>
    /// Times the link went back to the base size because packets above it kept getting lost while none was
    /// acknowledged (a path MTU black hole); it searches again later.
    /// </summary>
    public long PathMtuBlackHoles { get; init; }

    /// <summary>The path the link's packets take now: through a router's relay, or direct (docs/udp.md, "Relay path").</summary>
    public LinkPath ActivePath { get; init; }

    /// <summary>Hole-punching probes (path challenges to a direct candidate) sent.</summary>
    public long DirectProbesSent { get; init; }

    /// <summary>Times the link went back to the relay because its direct path went silent.</summary>
    public long PathFallbacks { get; init; }

    /// <summary>The bytes in a lane, by delivery class.</summary>
    /// <param name="reliability">The delivery class.</param>
    public long QueuedBytes(Reliability reliability) => reliability switch
    {
        Reliability.ReliableOrdered => QueuedReliableOrdered,
        Reliability.ReliableUnordered => QueuedReliableUnordered,
        Reliability.Unreliable => QueuedUnreliable,
        _ => QueuedUnreliableSequenced,
    };
}
