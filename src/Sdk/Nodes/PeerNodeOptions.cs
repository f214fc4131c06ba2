using PeerKit.Links.Tcp;
using PeerKit.Links.Udp;
using PeerKit.Transports;

namespace PeerKit;

/// <summary>
/// How a <see cref="PeerNode"/> runs: go-ethereum's <c>p2p.Config</c> with the same meanings, plus PeerKit's timeouts,
/// queue sizes and the Oculus-style accept policy. Checked when the node is constructed.
/// </summary>
public sealed class PeerNodeOptions
{
    /// <summary>The name announced in the hello (client identification). Default <c>"peerkit"</c>.</summary>
    public string Name { get; set; } = "peerkit";

    /// <summary>
    /// The node key. When null, <see cref="IdentityPath"/> is loaded (or generated and saved there when the file does
    /// not exist); when both are null, a new key is generated for this run.
    /// </summary>
    public NodeKey? Identity { get; set; }

    /// <summary>A PKCS#8 file holding the node key, created (mode 0600) when missing. Used when <see cref="Identity"/> is null.</summary>
    public string? IdentityPath { get; set; }

    /// <summary>The most peers connected at once; trusted peers are admitted above it. Default 50.</summary>
    public int MaxPeers { get; set; } = 50;

    /// <summary>The most inbound link handshakes per listener, and inbound session handshakes (hello), at once; more wait to be accepted. Default 50.</summary>
    public int MaxPendingPeers { get; set; } = 50;

    /// <summary>
    /// The ratio of dialed to total peers: at most <c>MaxPeers / DialRatio</c> slots are kept for outbound peers, so at
    /// most <c>MaxPeers - MaxPeers / DialRatio</c> peers may be inbound. Default 3; 0 means the default.
    /// </summary>
    public int DialRatio { get; set; } = 3;

    /// <summary>Addresses to accept connections on (<c>tcp://127.0.0.1:0</c>, <c>udp://0.0.0.0:30303</c>, <c>inproc://alice:0</c>…), each through the transport of its scheme. A port of 0 is replaced by the real port once the node started.</summary>
    public IList<NodeAddress> ListenAddresses { get; set; } = new List<NodeAddress>();

    /// <summary>Nodes to keep a connection to: dialed at start, and redialed with exponential backoff whenever the connection drops.</summary>
    public IList<NodeAddress> StaticPeers { get; set; } = new List<NodeAddress>();

    /// <summary>Nodes admitted even when the node is at <see cref="MaxPeers"/> or its inbound share.</summary>
    public ISet<NodeId> TrustedPeers { get; set; } = new HashSet<NodeId>();

    /// <summary>The protocols the node runs; several versions of one name may be listed (the highest shared one runs).</summary>
    public IList<IProtocol> Protocols { get; set; } = new List<IProtocol>();

    /// <summary>
    /// Decides whether an inbound peer that passed the hello may connect (the Oculus connect request and <c>Accept</c>).
    /// Null accepts everyone. A refused peer gets <see cref="DisconnectReason.Requested"/>. The decision must come within
    /// <see cref="HandshakeTimeout"/>.
    /// </summary>
    public Func<ConnectRequest, CancellationToken, ValueTask<bool>>? AcceptPolicy { get; set; }

    /// <summary>Raise <see cref="PeerNode.MessageSent"/> and <see cref="PeerNode.MessageReceived"/> (one event per message). Default off.</summary>
    public bool EnableMessageEvents { get; set; }

    /// <summary>Time for a link handshake once the remote answered (TCP), and for the hellos and the confirmation round trip. Default 5 s.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Time a dial waits for the remote to answer: the TCP connect, or the whole UDP link handshake. Default 15 s.</summary>
    public TimeSpan DialTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>A peer from which nothing arrives for this long is disconnected (<see cref="DisconnectReason.ReadTimeout"/>, state Timeout). Default 30 s.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a keepalive ping is sent, which also keeps the round-trip time fresh. Default 15 s.</summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long <see cref="Peer.PingAsync"/> waits for the pong. Default 10 s.</summary>
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long sending the Disconnect message may take before the link is closed anyway. Default 1 s.</summary>
    public TimeSpan DisconnectTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The first delay before redialing a static peer; it doubles after each failure. Default 500 ms.</summary>
    public TimeSpan StaticRedialMinDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest delay between redials of a static peer. Default 30 s.</summary>
    public TimeSpan StaticRedialMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The default <see cref="InboundQueueBytes"/> and <see cref="ReadQueueBytes"/>: 4 MiB.</summary>
    public const long DefaultQueueBytes = 4 * 1024 * 1024;

    /// <summary>The default <see cref="MemoryBudgetBytes"/>: 256 MiB.</summary>
    public const long DefaultMemoryBudgetBytes = 256L * 1024 * 1024;

    /// <summary>
    /// Messages waiting per peer and protocol for the handlers or read loop; when full, the peer's read loop waits and
    /// the link pushes back. Default 256. A second bound beside <see cref="InboundQueueBytes"/>, which is the one that
    /// bounds memory (a count alone allowed 256 messages of up to 16 MiB each).
    /// </summary>
    public int InboundQueueCapacity { get; set; } = 256;

    /// <summary>
    /// Bytes of messages waiting per peer and protocol for the handlers or read loop, each counted as its payload plus
    /// 64; when they are reached, the peer's read loop waits and the link pushes back (no message is dropped). One
    /// message larger than this passes when the queue is empty. Default 4 MiB (<see cref="DefaultQueueBytes"/>).
    /// </summary>
    public long InboundQueueBytes { get; set; } = DefaultQueueBytes;

    /// <summary>
    /// Messages waiting per peer for the pull reader (<see cref="Peer.ReadAsync"/>). Default 256. A second bound beside
    /// <see cref="ReadQueueBytes"/>, which bounds memory.
    /// </summary>
    public int ReadQueueCapacity { get; set; } = 256;

    /// <summary>
    /// Bytes of messages waiting per peer for the pull reader, each counted as its payload plus 64; when they are
    /// reached, the protocols that feed it wait and the link pushes back. One message larger than this passes when the
    /// queue is empty. Default 4 MiB (<see cref="DefaultQueueBytes"/>).
    /// </summary>
    public long ReadQueueBytes { get; set; } = DefaultQueueBytes;

    /// <summary>
    /// The bytes all peers together may make the node hold: frames waiting in link receive queues, partial and
    /// reordered UDP frames, and messages waiting in session queues, each frame counted as its length plus 64. When it
    /// is spent, links refuse new data (TCP stops reading; UDP leaves reliable packets unacknowledged, to be sent again,
    /// and drops unreliable frames), and <see cref="MemoryBudgetPolicy"/> says what else happens. Each peer is also
    /// bounded on its own by its link's and session's limits. Default 256 MiB (<see cref="DefaultMemoryBudgetBytes"/>):
    /// 50 peers each at the default UDP receive window (4 MiB) and unreliable queue (8 MiB) fit 21 at once, and a
    /// node under a 512 MiB heap limit keeps half of it for the application.
    /// </summary>
    public long MemoryBudgetBytes { get; set; } = DefaultMemoryBudgetBytes;

    /// <summary>
    /// What happens when the peers hold all of <see cref="MemoryBudgetBytes"/>. Default
    /// <see cref="MemoryBudgetPolicy.DropLargestPeer"/>: the peer holding the most is disconnected with
    /// <see cref="DisconnectReason.MemoryBudgetExceeded"/>, so that one peer cannot stall the others.
    /// </summary>
    public MemoryBudgetPolicy MemoryBudgetPolicy { get; set; } = MemoryBudgetPolicy.DropLargestPeer;

    /// <summary>Events waiting for the event callbacks and each subscriber; when full, the oldest are dropped and counted. Default 4096.</summary>
    public int EventQueueCapacity { get; set; } = 4096;

    /// <summary>TCP link options (frame size limit, queue size, keepalive of the socket). Null for the defaults; its handshake timeout is <see cref="HandshakeTimeout"/>.</summary>
    public TcpLinkOptions? Tcp { get; set; }

    /// <summary>UDP link options (MTU, lanes' queue limits, retransmission and keepalive timers, unreliable fragmentation). Null for the defaults. Its handshake timeout bounds inbound UDP handshakes; dials use <see cref="DialTimeout"/>.</summary>
    public UdpLinkOptions? Udp { get; set; }

    /// <summary>
    /// The transports, by address scheme: each makes the node's <see cref="IPeerTransport"/> for that scheme when the
    /// node is constructed. <c>tcp</c> (<see cref="TcpTransport"/>), <c>udp</c> (<see cref="UdpTransport"/>),
    /// <c>inproc</c> (<see cref="InProcessTransport"/>) and, for dialing only, <c>ws</c> and <c>wss</c>
    /// (<see cref="WebSocketTransport"/>) are registered; add your own scheme, or replace one.
    /// </summary>
    public IDictionary<string, Func<PeerTransportContext, IPeerTransport>> Transports { get; set; } =
        new Dictionary<string, Func<PeerTransportContext, IPeerTransport>>(StringComparer.OrdinalIgnoreCase)
        {
            [NodeAddress.Tcp] = context => new TcpTransport(context),
            [NodeAddress.Udp] = context => new UdpTransport(context),
            [NodeAddress.InProcess] = context => new InProcessTransport(context),
            [NodeAddress.WebSocket] = context => new WebSocketTransport(context, NodeAddress.WebSocket),
            [NodeAddress.SecureWebSocket] = context => new WebSocketTransport(context, NodeAddress.SecureWebSocket),
        };

    internal void Validate()
    {
        if (string.IsNullOrEmpty(Name) || System.Text.Encoding.UTF8.GetByteCount(Name) > 256)
        {
            throw new ArgumentException("Name must be 1 to 256 bytes of UTF-8.", nameof(Name));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(MaxPeers, nameof(MaxPeers));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPendingPeers, 1, nameof(MaxPendingPeers));
        ArgumentOutOfRangeException.ThrowIfNegative(DialRatio, nameof(DialRatio));
        ArgumentOutOfRangeException.ThrowIfLessThan(InboundQueueCapacity, 1, nameof(InboundQueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReadQueueCapacity, 1, nameof(ReadQueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(InboundQueueBytes, 1024, nameof(InboundQueueBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReadQueueBytes, 1024, nameof(ReadQueueBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MemoryBudgetBytes, 64 * 1024, nameof(MemoryBudgetBytes));
        if (!Enum.IsDefined(MemoryBudgetPolicy))
        {
            throw new ArgumentOutOfRangeException(nameof(MemoryBudgetPolicy), MemoryBudgetPolicy, "Not a MemoryBudgetPolicy.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(EventQueueCapacity, 1, nameof(EventQueueCapacity));
        foreach ((TimeSpan value, string name) in new[]
        {
            (HandshakeTimeout, nameof(HandshakeTimeout)), (DialTimeout, nameof(DialTimeout)), (IdleTimeout, nameof(IdleTimeout)),
            (PingInterval, nameof(PingInterval)), (PingTimeout, nameof(PingTimeout)), (DisconnectTimeout, nameof(DisconnectTimeout)),
            (StaticRedialMinDelay, nameof(StaticRedialMinDelay)), (StaticRedialMaxDelay, nameof(StaticRedialMaxDelay)),
        })
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(name, value, "Must be positive.");
            }
        }

        var seen = new HashSet<Capability>();
        foreach (IProtocol protocol in Protocols)
        {
            ArgumentNullException.ThrowIfNull(protocol, nameof(Protocols));
            if (!seen.Add(protocol.Descriptor.Capability))
            {
                throw new ArgumentException($"Protocol {protocol.Descriptor} is listed twice.", nameof(Protocols));
            }
        }

        ArgumentNullException.ThrowIfNull(Transports, nameof(Transports));
        foreach (NodeAddress address in ListenAddresses.Concat(StaticPeers))
        {
            if (!Transports.ContainsKey(address.Scheme))
            {
                throw new ArgumentException($"{address}: no transport is registered for \"{address.Scheme}\" (PeerNodeOptions.Transports).", nameof(ListenAddresses));
            }
        }
    }
}

/// <summary>An inbound peer asking to connect, for <see cref="PeerNodeOptions.AcceptPolicy"/>.</summary>
/// <param name="PeerId">The peer's authenticated node id.</param>
/// <param name="Name">The name in its hello.</param>
/// <param name="RemoteAddress">Its transport address, if any.</param>
/// <param name="Capabilities">The protocols it announced.</param>
public sealed record ConnectRequest(NodeId PeerId, string Name, System.Net.EndPoint? RemoteAddress, IReadOnlyList<Capability> Capabilities);
