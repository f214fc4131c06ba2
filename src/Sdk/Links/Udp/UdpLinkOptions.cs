namespace PeerKit.Links.Udp;

/// <summary>Options of a <see cref="UdpEndpoint"/> and the <see cref="UdpLink"/>s it serves.</summary>
public sealed class UdpLinkOptions : LinkOptions
{
    private const int DefaultMtu = 1200;
    private readonly int _mtu; // 0: not set
    private readonly int _maxMtu;
    private readonly TimeSpan _pathMtuSearchInterval = TimeSpan.FromMinutes(10);
    private readonly TimeSpan _handshakeTimeout = TimeSpan.FromSeconds(5);
    private readonly TimeSpan _handshakeRetransmitInterval = TimeSpan.FromMilliseconds(250);
    private readonly TimeSpan _keepAliveInterval = TimeSpan.FromSeconds(5);
    private readonly TimeSpan _idleTimeout = TimeSpan.FromSeconds(20);
    private readonly TimeSpan _initialRetransmitTimeout = TimeSpan.FromSeconds(1);
    private readonly TimeSpan _minRetransmitTimeout = TimeSpan.FromMilliseconds(200);
    private readonly TimeSpan _maxRetransmitTimeout = TimeSpan.FromSeconds(10);
    private readonly TimeSpan _maxAckDelay = TimeSpan.FromMilliseconds(5);
    private readonly TimeSpan _receiveBusyPoll;
    private readonly TimeSpan _timerResolution = TimeSpan.FromMilliseconds(5);
    private readonly TimeSpan _closeTimeout = TimeSpan.FromSeconds(1);
    private readonly int _sendQueueLimit = 4 * 1024 * 1024;
    private readonly int _unreliableQueueLimit = DefaultUnreliableQueueLimit;
    private readonly long _unreliableReceiveQueueBytes = DefaultUnreliableReceiveQueueBytes;
    private readonly int _reliableWindow = 4096;
    private readonly int _receiveWindow = 4 * 1024 * 1024;
    private readonly int _maxPendingHandshakes = 1024;
    private readonly int _maxPendingHandshakesPerSource = 8;
    private readonly int _cookieThreshold = 64;
    private readonly int _initiationsPerSecondPerSource = 50;
    private readonly int _initiationBurstPerSource = 50;
    private readonly long _initiationSourceTableBytes = 1 << 20;
    private readonly long _keyUpdatePackets = 1L << 22;
    private readonly TimeSpan _keyUpdateInterval = TimeSpan.FromMinutes(10);
    private readonly TimeSpan _directProbeInterval = TimeSpan.FromMilliseconds(100);
    private readonly TimeSpan _directProbeTimeout = TimeSpan.FromSeconds(5);
    private readonly TimeSpan _directPathRetryInterval = TimeSpan.FromSeconds(60);
    private readonly TimeSpan _directPathTimeout = TimeSpan.FromSeconds(1);

    /// <summary>The default <see cref="UnreliableQueueLimit"/>: 8 MiB.</summary>
    public const int DefaultUnreliableQueueLimit = 8 * 1024 * 1024;

    /// <summary>The default <see cref="UnreliableReceiveQueueBytes"/>: 8 MiB.</summary>
    public const long DefaultUnreliableReceiveQueueBytes = 8 * 1024 * 1024;

    /// <summary>
    /// The base packet size, in bytes of UDP payload: every link starts with packets up to the smaller of the two
    /// sides' values, and never goes below it. Path MTU discovery may then raise the size a link uses up to
    /// <see cref="MaxMtu"/> (<see cref="UdpLink.PathMtu"/>), and falls back to this size when larger packets stop
    /// getting through. Default 1200 (fits the IPv6 minimum MTU with headers to spare), or <see cref="MaxMtu"/> when
    /// that is set lower. At least 300, at most 65507, and not above an explicitly set <see cref="MaxMtu"/> (the two
    /// may be set in either order).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside 300–65507, or above <see cref="MaxMtu"/>.</exception>
    public int Mtu
    {
        get => _mtu != 0 ? _mtu : _maxMtu != 0 ? Math.Min(DefaultMtu, _maxMtu) : DefaultMtu;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, UdpWire.MinMtu);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, UdpWire.MaxMtu);
            if (_maxMtu != 0)
            {
                ArgumentOutOfRangeException.ThrowIfGreaterThan(value, _maxMtu);
            }

            _mtu = value;
        }
    }

    /// <summary>
    /// The largest packet, in bytes of UDP payload, this side probes for and accepts: the ceiling of path MTU
    /// discovery. It is announced in the handshake, and a link never probes above the smaller of the two sides'
    /// values. Setting it equal to <see cref="Mtu"/> switches discovery off. Default 1452 (a 1500-byte Ethernet path
    /// less the IPv6 and UDP headers, also fine over IPv4), or <see cref="Mtu"/> when that is larger.
    /// </summary>
    /// <example><code>
    /// new UdpLinkOptions { Mtu = 1200, MaxMtu = 8952 };   // jumbo frames on a LAN: probe up to 9000-byte IPv6 packets
    /// new UdpLinkOptions { MaxMtu = 1200 };               // no probing: always 1200-byte packets
    /// </code></example>
    /// <exception cref="ArgumentOutOfRangeException">Outside 300–65507, or below an explicitly set <see cref="Mtu"/>.</exception>
    public int MaxMtu
    {
        get => _maxMtu != 0 ? _maxMtu : Math.Max(Mtu, UdpWire.DefaultMaxMtu);
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, UdpWire.MinMtu);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, UdpWire.MaxMtu);
            if (_mtu != 0)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(value, _mtu);
            }

            _maxMtu = value;
        }
    }

    /// <summary>
    /// How long after a path MTU search settled below the largest size allowed a link searches again, in case the path
    /// now carries more (RFC 8899's PMTU_RAISE_TIMER). Default 10 minutes.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan PathMtuSearchInterval { get => _pathMtuSearchInterval; init => _pathMtuSearchInterval = Positive(value); }

    /// <summary>
    /// Fragment <see cref="Reliability.Unreliable"/> and <see cref="Reliability.UnreliableSequenced"/> frames larger
    /// than one datagram (up to <see cref="LinkOptions.MaxFrameSize"/>); such a frame is dropped whole if any
    /// fragment is lost. When false (the default), such a send throws <see cref="FrameTooLargeException"/>.
    /// </summary>
    public bool FragmentUnreliable { get; init; }

    /// <summary>How long a handshake may take before it fails with <see cref="HandshakeFailure.Timeout"/>. Default 5 s.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan HandshakeTimeout { get => _handshakeTimeout; init => _handshakeTimeout = Positive(value); }

    /// <summary>How long the dialer waits for a handshake reply before sending its message again. Default 250 ms, doubled on each retry.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan HandshakeRetransmitInterval { get => _handshakeRetransmitInterval; init => _handshakeRetransmitInterval = Positive(value); }

    /// <summary>A link that sent nothing for this long sends a ping, which keeps NAT bindings and the peer's idle timer alive. Default 5 s.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan KeepAliveInterval { get => _keepAliveInterval; init => _keepAliveInterval = Positive(value); }

    /// <summary>A link that received nothing authenticated for this long closes with <see cref="LinkCloseReason.Timeout"/>. Default 20 s.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan IdleTimeout { get => _idleTimeout; init => _idleTimeout = Positive(value); }

    /// <summary>The retransmission timeout before any round trip was measured (RFC 6298 says 1 s). Default 1 s.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan InitialRetransmitTimeout { get => _initialRetransmitTimeout; init => _initialRetransmitTimeout = Positive(value); }

    /// <summary>The smallest retransmission timeout. Default 200 ms (RFC 6298 suggests 1 s; like Linux TCP we use less).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan MinRetransmitTimeout { get => _minRetransmitTimeout; init => _minRetransmitTimeout = Positive(value); }

    /// <summary>The largest retransmission timeout, after exponential back-off. Default 10 s.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan MaxRetransmitTimeout { get => _maxRetransmitTimeout; init => _maxRetransmitTimeout = Positive(value); }

    /// <summary>How long a receiver may hold back an acknowledgement hoping to send it with data. Default 5 ms.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative.</exception>
    public TimeSpan MaxAckDelay { get => _maxAckDelay; init => _maxAckDelay = NotNegative(value); }

    /// <summary>The period of the endpoint's timer (retransmissions, pacing, delayed acks, keepalives). Default 5 ms.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan TimerResolution { get => _timerResolution; init => _timerResolution = Positive(value); }

    /// <summary>
    /// How long disposing a link waits for its reliable frames to be acknowledged before it closes, and then at most
    /// as long again for the peer to acknowledge the close (resent every retransmission timeout). Default 1 s.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative.</exception>
    public TimeSpan CloseTimeout { get => _closeTimeout; init => _closeTimeout = NotNegative(value); }

    /// <summary>
    /// Bytes that may wait (queued or unacknowledged) in each reliable lane, counting every frame as 64 bytes more than
    /// its length; a reliable send waits for room beyond it. A frame larger than the limit is accepted when its lane is
    /// empty. Default 4 MiB.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int SendQueueLimit { get => _sendQueueLimit; init => _sendQueueLimit = AtLeastOne(value); }

    /// <summary>
    /// Bytes that may wait in each unreliable lane, counting every frame as 64 bytes more than its length; an
    /// unreliable frame beyond it is dropped (never waited for) and counted in
    /// <see cref="UdpLinkStatus.UnreliableDropped"/>. Default 8 MiB (<see cref="DefaultUnreliableQueueLimit"/>): room
    /// for a burst of 65,536 frames of 64 bytes, so that an application sending 50,000 at once loses none of them
    /// (the default was 256 KiB, which dropped 95% of such a burst). A lane that holds fewer bytes holds less memory;
    /// a frame larger than the limit is accepted when its lane is empty.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int UnreliableQueueLimit { get => _unreliableQueueLimit; init => _unreliableQueueLimit = AtLeastOne(value); }

    /// <summary>
    /// Bytes of unreliable frames that may wait for the receiving application, counting every frame as 64 bytes
    /// more than its length; once they are reached, further unreliable frames are dropped and counted in
    /// <see cref="UdpLinkStatus.UnreliableDroppedOnReceive"/> until the application takes some (the frames of one
    /// packet may pass it). Default 8 MiB (<see cref="DefaultUnreliableReceiveQueueBytes"/>): room for a 50,000-frame
    /// burst of 64-byte messages. Reliable frames are bounded by flow control instead (<see cref="ReceiveWindow"/>).
    /// This replaces <see cref="LinkOptions.ReceiveQueueCapacity"/>, a count of frames, which the UDP link ignores.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1,024.</exception>
    public long UnreliableReceiveQueueBytes
    {
        get => _unreliableReceiveQueueBytes;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1024);
            _unreliableReceiveQueueBytes = value;
        }
    }

    /// <summary>
    /// Flow control: how much reliable data the peer may send beyond what this side's application has received,
    /// in bytes, counting every frame as 64 bytes more than its length (so a flood of empty frames is bounded too).
    /// The peer stops starting new reliable frames when the window is used up and resumes as the application reads
    /// (<see cref="UdpLink.ReceiveAsync"/>), so a slow reader slows the sender down instead of making it retransmit.
    /// A frame already started is finished, so up to one <see cref="LinkOptions.MaxFrameSize"/> more may arrive.
    /// Default 4 MiB.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1,024.</exception>
    public int ReceiveWindow
    {
        get => _receiveWindow;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1024);
            _receiveWindow = value;
        }
    }

    /// <summary>Tests only: start new reliable frames regardless of the peer's credit, as a hostile or broken peer would.</summary>
    internal bool IgnoreFlowControl { get; init; }

    /// <summary>Tests: the cipher this side asks for when it dials, instead of <see cref="Noise.NoiseCipherState.Default"/>.</summary>
    internal Noise.NoiseCipher? DialCipher { get; init; }

    /// <summary>
    /// How many reliable frames per lane may be in flight beyond the oldest unacknowledged one (the receiver's
    /// reorder window). Default 4096.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside 16–65536.</exception>
    public int ReliableWindow
    {
        get => _reliableWindow;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 16);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 65536);
            _reliableWindow = value;
        }
    }

    /// <summary>
    /// The endpoint's cap on incoming handshakes in progress (state kept between the first and the last message).
    /// Initiations beyond it are dropped and counted. Default 1024.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int MaxPendingHandshakes { get => _maxPendingHandshakes; init => _maxPendingHandshakes = AtLeastOne(value); }

    /// <summary>
    /// The endpoint's cap on incoming handshakes in progress from one source (address and port), so that one socket
    /// cannot fill <see cref="MaxPendingHandshakes"/> by echoing cookies with distinct connection ids and lock new
    /// peers out (issue 13, finding 6). Initiations beyond it are dropped and counted
    /// (<see cref="UdpEndpointStatistics.HandshakesRefused"/>). Default 8.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int MaxPendingHandshakesPerSource { get => _maxPendingHandshakesPerSource; init => _maxPendingHandshakesPerSource = AtLeastOne(value); }

    /// <summary>
    /// Initiations one source (an IPv4 address, or an IPv6 /64 prefix: all ports of a host together) may start each
    /// second, as a token bucket of <see cref="InitiationBurstPerSource"/>, in the manner of WireGuard's rate limiter
    /// (issue 13, finding 6). A source beyond it is answered with a cookie bound to its address (RETRY, smaller than
    /// the initiation); an initiation that echoes a valid cookie comes from a proven address and is counted against a
    /// second bucket of the same rate, beyond which it is dropped
    /// (<see cref="UdpEndpointStatistics.InitiationsRateLimited"/>). So forged initiations from a spoofed address make
    /// its owner answer one cookie, and one real source cannot starve the others. Default 50.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int InitiationsPerSecondPerSource { get => _initiationsPerSecondPerSource; init => _initiationsPerSecondPerSource = AtLeastOne(value); }

    /// <summary>
    /// Initiations one source may start at once after being quiet (the token bucket's depth; see
    /// <see cref="InitiationsPerSecondPerSource"/>). Default 50.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int InitiationBurstPerSource { get => _initiationBurstPerSource; init => _initiationBurstPerSource = AtLeastOne(value); }

    /// <summary>
    /// The bound, in bytes, of each of the two tables of sources the initiation rate limits keep (96 bytes a source:
    /// 1 MiB holds 10,922). When a table is full, the source seen least recently is forgotten if its bucket has
    /// refilled; otherwise a new source is treated as over its rate (asked for a cookie, or dropped if it echoed
    /// one), so a flood of spoofed addresses cannot reset the bucket of a source being limited. Default 1 MiB; at
    /// least 96.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 96.</exception>
    public long InitiationSourceTableBytes
    {
        get => _initiationSourceTableBytes;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, InitiationRateLimiter.EntryBytes);
            _initiationSourceTableBytes = value;
        }
    }

    /// <summary>
    /// When this many incoming handshakes are in progress, the endpoint keeps no state for a new initiation until
    /// the initiator echoes a stateless cookie bound to its address. 0 always asks for a cookie. Default 64.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative.</exception>
    public int CookieThreshold
    {
        get => _cookieThreshold;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _cookieThreshold = value;
        }
    }

    /// <summary>
    /// A link replaces the key that seals its packets (Noise <c>REKEY</c>, signalled by the key phase bit of each
    /// packet) after sealing this many packets with it. The default, 2^22 (about 4.2 million), keeps AES-GCM well
    /// inside the 2^23-packet confidentiality limit QUIC sets (RFC 9001 §6.6); it also bounds what one leaked key
    /// reveals. At least 16.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 16.</exception>
    public long KeyUpdatePackets
    {
        get => _keyUpdatePackets;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 16);
            _keyUpdatePackets = value;
        }
    }

    /// <summary>
    /// A link also replaces its sending key once the key has been in use this long, however few packets it sealed
    /// (forward secrecy for a long-lived link: a key leaked later does not open older packets). Default 10 minutes.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan KeyUpdateInterval { get => _keyUpdateInterval; init => _keyUpdateInterval = Positive(value); }

    /// <summary>
    /// How long the endpoint's receive thread keeps polling its socket after a run of datagrams before it blocks
    /// again (Linux; ignored elsewhere). Zero, the default, blocks at once. A poll of some hundreds of microseconds
    /// saves the thread wake-up on every packet of a ping-pong exchange, as a game's service loop polling its socket
    /// does, at the price of a core kept busy for that long after each packet. It is an endpoint setting: the
    /// options given to <see cref="UdpEndpoint.Start(System.Net.IPEndPoint, NodeKey, UdpLinkOptions?)"/> count.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, or more than one second.</exception>
    public TimeSpan ReceiveBusyPoll
    {
        get => _receiveBusyPoll;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, TimeSpan.FromSeconds(1));
            _receiveBusyPoll = value;
        }
    }

    /// <summary>
    /// When true, a <see cref="UdpLink.ReceiveAsync"/> waiting for a frame resumes on the endpoint's receive thread
    /// as soon as the run of datagrams that carried the frame has been processed, instead of on a thread-pool thread.
    /// That saves a thread hand-off per delivery (the latency of a request and its answer, and CPU under load), but
    /// the application's code then runs on the thread that serves every link of the endpoint until it next awaits:
    /// code that blocks or computes for long there delays every peer. Default false.
    /// </summary>
    public bool ReceiveInline { get; init; }

    /// <summary>
    /// How often a link probing a direct path (<see cref="UdpLink.ProbeDirectPathAsync"/>) sends a path challenge to
    /// the candidate address: the hole-punching pace. Default 100 ms.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan DirectProbeInterval { get => _directProbeInterval; init => _directProbeInterval = Positive(value); }

    /// <summary>How long a round of direct-path probing lasts before it gives up (the link stays on the relay). Default 5 s.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan DirectProbeTimeout { get => _directProbeTimeout; init => _directProbeTimeout = Positive(value); }

    /// <summary>
    /// How long after a direct path failed (probing gave up, or the path died and the link fell back to the relay) the
    /// link probes it again. Default 60 s (CLASP's).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan DirectPathRetryInterval { get => _directPathRetryInterval; init => _directPathRetryInterval = Positive(value); }

    /// <summary>
    /// A link on a direct path that also has a relay path falls back to the relay when nothing arrived on the direct
    /// path for this long (or three retransmission timeouts, if longer) while packets await acknowledgement. Default 1 s.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan DirectPathTimeout { get => _directPathTimeout; init => _directPathTimeout = Positive(value); }

    private static TimeSpan Positive(TimeSpan value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
        return value;
    }

    private static TimeSpan NotNegative(TimeSpan value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
        return value;
    }

    private static int AtLeastOne(int value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
        return value;
    }
}
