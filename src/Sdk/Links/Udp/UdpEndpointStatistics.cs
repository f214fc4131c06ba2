namespace PeerKit.Links.Udp;

/// <summary>Counters of a <see cref="UdpEndpoint"/> (<see cref="UdpEndpoint.GetStatistics"/>), since it started.</summary>
public readonly record struct UdpEndpointStatistics
{
    /// <summary>Datagrams received.</summary>
    public long DatagramsReceived { get; init; }

    /// <summary>Datagrams dropped as malformed: too short, an unknown type, a bad handshake message.</summary>
    public long DroppedMalformed { get; init; }

    /// <summary>Datagrams dropped because they named no known connection.</summary>
    public long DroppedUnknownConnection { get; init; }

    /// <summary>Data packets dropped because they failed authentication (tampered or forged).</summary>
    public long DroppedInvalid { get; init; }

    /// <summary>Data packets dropped as replays.</summary>
    public long DroppedReplayed { get; init; }

    /// <summary>Initiations dropped because <see cref="UdpLinkOptions.MaxPendingHandshakes"/> were in progress, or because their cookie was wrong or stale.</summary>
    public long HandshakesRefused { get; init; }

    /// <summary>
    /// Initiations dropped because their source, though it echoed a valid cookie, started more than
    /// <see cref="UdpLinkOptions.InitiationsPerSecondPerSource"/> (or the table of sources was full of sources being
    /// limited). Initiations over the rate without a valid cookie are answered with one instead (<see cref="CookiesSent"/>).
    /// </summary>
    public long InitiationsRateLimited { get; init; }

    /// <summary>
    /// Replies to an unvalidated address not sent because they would have been larger than the datagram that caused
    /// them (amplification). Zero unless something is wrong: every handshake reply is built smaller.
    /// </summary>
    public long RepliesSuppressed { get; init; }

    /// <summary>INITs of a handshake already pending (same initiator id and address): its RESPONSE was sent again.</summary>
    public long ResponsesResent { get; init; }

    /// <summary>Whole FINISHes naming an established link: answered with a ping to the link's peer (not to the sender).</summary>
    public long FinishesRepeated { get; init; }

    /// <summary>Handshakes that failed (authentication, identity, timeout).</summary>
    public long HandshakesFailed { get; init; }

    /// <summary>Stateless cookie replies (retries) sent.</summary>
    public long CookiesSent { get; init; }

    /// <summary>Incoming handshakes in progress now.</summary>
    public int PendingHandshakes { get; init; }

    /// <summary>The most incoming handshakes ever in progress at once.</summary>
    public int PeakPendingHandshakes { get; init; }

    /// <summary>Established links now.</summary>
    public int Links { get; init; }

    /// <summary>
    /// Runs of datagrams taken from the socket together: one per system call that returned data. On Linux one call
    /// returns up to 8 datagrams, or coalesced runs of them (UDP GRO), so this is well below
    /// <see cref="DatagramsReceived"/> under load; elsewhere the two are equal.
    /// </summary>
    public long ReceiveBatches { get; init; }

    /// <summary>Whether the socket sends runs of equal-size packets in one system call (UDP GSO: Linux 4.18 and later).</summary>
    public bool SegmentationOffload { get; init; }

    /// <summary>System calls that sent more than one packet at once (UDP GSO; see <see cref="SegmentationOffload"/>).</summary>
    public long BatchedSends { get; init; }
}
