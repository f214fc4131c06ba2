namespace PeerKit.Routing;

/// <summary>Settings of a <see cref="Router"/>. Every limit is enforced per session or in total; none is unbounded.</summary>
public sealed class RouterOptions
{
    /// <summary>Where the router listens: <c>udp://</c> (what clients use, from the socket their direct links use), <c>tcp://</c> (networks that block UDP) and <c>ws://host:port/path</c> (WebSocket on Kestrel: networks that block UDP, HTTP proxies; path default <c>/peerkit</c>). Default <c>udp://0.0.0.0:7330</c>.</summary>
    public IList<NodeAddress> ListenAddresses { get; set; } = new List<NodeAddress>();

    /// <summary>The router's node key; generated when neither this nor <see cref="IdentityPath"/> is set. A router that restarts keeps its id only with a fixed key.</summary>
    public NodeKey? Identity { get; set; }

    /// <summary>A key file, loaded or created (mode 0600).</summary>
    public string? IdentityPath { get; set; }

    /// <summary>The secret access tokens are checked with (<see cref="RouterAccessToken"/>); when set, a session without a valid token is refused. At least 16 bytes.</summary>
    public byte[]? TokenSecret { get; set; }

    /// <summary>Sessions at once (default 10,000).</summary>
    public int MaxSessions { get; set; } = 10_000;

    /// <summary>How long a client has to open its session (with a valid token, when asked for one) before the router drops it (default 10 s), so sessions that never open cannot hold <see cref="MaxSessions"/> slots.</summary>
    public TimeSpan OpenTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Control messages a session may send per second on average (default 50).</summary>
    public double SignalingRate { get; set; } = 50;

    /// <summary>Control messages a session may send in a burst (default 100).</summary>
    public int SignalingBurst { get; set; } = 100;

    /// <summary>How long a target has to answer a connect request before the caller hears <see cref="RouterStatus.Unavailable"/> (default 10 s).</summary>
    public TimeSpan AnswerTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Connect requests a session may have waiting for answers (default 16).</summary>
    public int MaxPendingConnectsPerSession { get; set; } = 16;

    /// <summary>Rooms at once (default 10,000).</summary>
    public int MaxRooms { get; set; } = 10_000;

    /// <summary>Members per room (default 256).</summary>
    public int MaxRoomMembers { get; set; } = 256;

    /// <summary>Rooms one session may be in (default 16).</summary>
    public int MaxRoomsPerSession { get; set; } = 16;

    /// <summary>Room names a room listing answers with at most, the first in ordinal order (default 256).</summary>
    public int MaxRoomsListed { get; set; } = 256;

    /// <summary>The largest frame the router's node sends or accepts on a client session (default 64 KiB; every control message fits), applied when <see cref="Node"/> sets no UDP or TCP link options of its own (WebSocket sessions take the TCP ones). Relayed packets do not pass through sessions and are not bounded by it.</summary>
    public int MaxFrameSize { get; set; } = 64 * 1024;

    /// <summary>Node ids a presence answer lists at most (default 1,000).</summary>
    public int MaxPresenceAnswer { get; set; } = 1000;

    /// <summary>How long a send to one client may wait for room on its link before that client is dropped (default 2 s), so a client that stops reading cannot stall the others.</summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Whether the router relays (binds a relay channel pair for every accepted connect whose caller is not <see cref="RoutingMode.P2POnly"/>, on its UDP endpoint). Default true.</summary>
    public bool EnableRelay { get; set; } = true;

    /// <summary>Relay bindings one session may be part of at once (default 32); a connect that would need one more is refused with <see cref="RouterStatus.Busy"/>. A new connect between the same pair replaces the pair's binding.</summary>
    public int MaxRelayBindingsPerSession { get; set; } = 32;

    /// <summary>How long a new relay binding may go without relaying a byte before the router unbinds it (default 40 s: the answer timeout and a client's 30 s connect timeout).</summary>
    public TimeSpan RelayUnusedTimeout { get; set; } = TimeSpan.FromSeconds(40);

    /// <summary>
    /// How long a relay binding that has relayed may then relay nothing new before the router unbinds it; default
    /// <see cref="Timeout.InfiniteTimeSpan"/> (never): a link that moved to the direct path keeps its binding, so it can
    /// fall back to the relay whenever the direct path dies. Bindings stay bounded without it: one pair keeps at most two,
    /// a session is part of at most <see cref="MaxRelayBindingsPerSession"/>, and a session's end unbinds its bindings.
    /// </summary>
    public TimeSpan RelayIdleTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>What each relay binding may carry (bytes per second, burst, total) and how many bindings exist at once; null for the defaults of <see cref="Links.Udp.RelayLimits"/>.</summary>
    public Links.Udp.RelayLimits? RelayLimits { get; set; }

    /// <summary>
    /// Shares sessions, rooms and relaying with other routers through Redis (docs/router.md, "Cluster"); null (the
    /// default) runs the router alone, with no Redis.
    /// </summary>
    public RouterClusterOptions? Cluster { get; set; }

    /// <summary>The router's clock (tests pass a fake one).</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>Settings of the router's own node (timeouts, UDP and TCP link options); its identity, listen addresses, protocols and peer limit come from this object.</summary>
    public PeerNodeOptions Node { get; set; } = new();

    internal void Validate()
    {
        if (TokenSecret is { Length: < RouterAccessToken.MinSecretLength })
        {
            throw new ArgumentException($"TokenSecret must be at least {RouterAccessToken.MinSecretLength} bytes.", nameof(TokenSecret));
        }

        Cluster?.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxSessions);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(SignalingRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(SignalingBurst);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxPendingConnectsPerSession);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxRooms);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxRoomMembers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxRoomsPerSession);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxPresenceAnswer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxRelayBindingsPerSession);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxRoomsListed);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFrameSize, 16 * 1024);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxFrameSize, Links.LinkOptions.MaxAllowedFrameSize);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(OpenTimeout, TimeSpan.Zero, nameof(OpenTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RelayUnusedTimeout, TimeSpan.Zero, nameof(RelayUnusedTimeout));
        if (RelayIdleTimeout != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RelayIdleTimeout, TimeSpan.Zero, nameof(RelayIdleTimeout));
        }
    }
}
