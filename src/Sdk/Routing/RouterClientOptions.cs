namespace PeerKit.Routing;

/// <summary>Settings of a <see cref="RouterClient"/>.</summary>
public sealed class RouterClientOptions
{
    /// <summary>
    /// The router's address, with its node id (<c>udp://&lt;router id&gt;@host:7330</c>): the client dials it from the
    /// node's UDP socket, so the router sees the address peers must punch to. Where UDP is blocked,
    /// <c>tcp://&lt;router id&gt;@host:7331</c> or <c>ws://&lt;router id&gt;@host:7332/peerkit</c> (<c>wss://</c> through a
    /// TLS-terminating proxy) carry the session instead: signaling only, without an observed address or relay channels
    /// (docs/router.md, "Listeners").
    /// </summary>
    public NodeAddress? Router { get; set; }

    /// <summary>
    /// The routers of a cluster, each with its node id (docs/router.md, "Cluster"): the client attaches to the first that
    /// answers and, when its router goes away, moves to the next (with the reconnect backoff) and rejoins its rooms; its
    /// direct links keep working meanwhile. When empty, <see cref="Router"/> is the only router; when both are set,
    /// <see cref="Router"/> is tried first.
    /// </summary>
    public IList<NodeAddress> Routers { get; set; } = new List<NodeAddress>();

    /// <summary>The access token, when the router asks for one.</summary>
    public RouterAccessToken? Token { get; set; }

    /// <summary>The routing mode for peers without one of their own (default <see cref="RoutingMode.PreferP2P"/>).</summary>
    public RoutingMode RoutingMode { get; set; } = RoutingMode.PreferP2P;

    /// <summary>How long a connect may take before it fails with <see cref="ConnectFailure.Timeout"/> (CLASP: 30 s).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long attaching to the router may take before <see cref="RouterUnavailableException"/> (default 10 s).</summary>
    public TimeSpan AttachTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a control request may wait for the router's answer (default 10 s).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The first delay before reconnecting to a router that went away (default 250 ms); it doubles, with jitter, up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest delay between reconnect attempts (default 10 s).</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Bytes of reliable messages that may wait for one peer's connection (default 256 KiB).</summary>
    public long MaxPendingBytesPerPeer { get; set; } = 256 * 1024;

    /// <summary>Bytes of reliable messages that may wait, over every peer (default 4 MiB).</summary>
    public long MaxPendingBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Decides connect requests the router forwards (the Oculus <c>PeerConnectRequest</c> and <c>Accept</c>): the caller's
    /// id and the room the request is made for (or empty). Null accepts every request. Requests from members of a room
    /// given to <see cref="RouterClient.AcceptForRoom"/> are accepted without asking.
    /// </summary>
    public Func<NodeId, string, ValueTask<bool>>? AcceptPolicy { get; set; }

    /// <summary>
    /// How long <see cref="AcceptPolicy"/> may take to decide (default 5 s; keep it below the router's answer timeout).
    /// A policy that takes longer, or throws, refuses. Requests are decided one at a time, in order.
    /// </summary>
    public TimeSpan AnswerTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether a refused caller may learn that this node refused (and so is online); by default it hears "unavailable".</summary>
    public bool RevealRefusals { get; set; }
}
