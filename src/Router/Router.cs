namespace PeerKit.Routing;

/// <summary>
/// A PeerKit router: signaling (connect by node id, candidate exchange), presence and rooms for the nodes that attach
/// to it with a <see cref="RouterClient"/>. It is itself a <see cref="PeerNode"/>: a client proves its node key in the
/// ordinary session handshake, and its node id is its session id. Run it embedded (tests, samples) or as a process
/// (<c>dotnet run --project src/Router -- --listen udp://0.0.0.0:7330 --listen tcp://0.0.0.0:7331 --listen ws://0.0.0.0:7332/peerkit</c>).
/// </summary>
/// <example>
/// <code>
/// await using var router = new Router(new RouterOptions { ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") } });
/// await router.StartAsync();
/// NodeAddress address = router.ListenAddresses[0];   // udp://&lt;router id&gt;@127.0.0.1:port, for RouterClientOptions.Router
/// </code>
/// </example>
public sealed class Router : IAsyncDisposable
{
    private readonly RouterOptions _options;
    private readonly RouterService _service;
    private readonly IRouterBackplane _backplane;
    private readonly List<ClusterRelayPort> _clusterPorts = [];
    private readonly PeerNode _node;
    private readonly CancellationTokenSource _stop = new();
    private Task _sweeper = Task.CompletedTask;
    private Transports.UdpTransport? _udp;
    private readonly List<(System.Net.Sockets.AddressFamily Family, Links.Udp.RelaySwitch Switch)> _relays = [];
    private int _disposed;

    /// <summary>Creates a router; nothing listens until <see cref="StartAsync"/>.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public Router(RouterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _service = new RouterService(options);
        PeerNodeOptions node = options.Node;
        node.Name = "peerkit-router";
        node.Identity = options.Identity ?? node.Identity;
        node.IdentityPath = options.IdentityPath ?? node.IdentityPath;
        node.ListenAddresses = options.ListenAddresses.Count > 0 ? [.. options.ListenAddresses] : [NodeAddress.Parse("udp://0.0.0.0:7330")];
        node.Protocols = [_service];
        node.MaxPeers = options.MaxSessions;
        node.DialRatio = 0;
        // A client session carries control messages only: a small frame limit keeps one client from making the router hold megabytes.
        node.Udp ??= new Links.Udp.UdpLinkOptions { MaxFrameSize = options.MaxFrameSize };
        node.Tcp ??= new Links.Tcp.TcpLinkOptions { MaxFrameSize = options.MaxFrameSize };
        // ws:// listens with Kestrel (the SDK's WebSocket transport only dials); its links take the Tcp options above.
        node.Transports[NodeAddress.WebSocket] = context => new RouterWebSocketTransport(context);
        if (options.EnableRelay && node.Transports.TryGetValue(NodeAddress.Udp, out Func<Transports.PeerTransportContext, Transports.IPeerTransport>? makeUdp))
        {
            // Keep the node's UDP transport, to start the relay switch on the endpoint its clients reach.
            node.Transports[NodeAddress.Udp] = context => makeUdp(context) is var transport && transport is Transports.UdpTransport udp ? _udp = udp : transport;
        }

        _node = new PeerNode(node);
        string routerId = options.Cluster?.RouterId ?? _node.Id.ToString();
        _backplane = options.Cluster is { } cluster ? new RedisBackplane(options, cluster, routerId) : new LocalBackplane(options, routerId);
        _service.Backplane = _backplane;
    }

    /// <summary>The router's node id: what clients expect when they dial it.</summary>
    public NodeId Id => _node.Id;

    /// <summary>The addresses the router listens on, with its id and the real ports (once started): give one to <see cref="RouterClientOptions.Router"/>.</summary>
    public IReadOnlyList<NodeAddress> ListenAddresses => _node.ListenAddresses;

    /// <summary>The router's node (its peers are the attached clients).</summary>
    public PeerNode Node => _node;

    /// <summary>Sessions that have opened (passed the token check).</summary>
    public int SessionCount => _service.OpenSessionCount;

    /// <summary>Rooms that exist.</summary>
    public int RoomCount => _service.RoomCount;

    /// <summary>Control messages refused for going over a session's rate.</summary>
    public long ThrottledCount => _service.ThrottledCount;

    /// <summary>Sessions refused for a missing, wrong or expired token.</summary>
    public long RefusedSessionCount => _service.RefusedSessionCount;

    /// <summary>Notices (an incoming connect request, a room membership change) dropped because the client they were for was not reading its control messages; that client stays connected.</summary>
    public long DroppedNoticeCount => _service.DroppedNoticeCount;

    /// <summary>Relay channels rebound to a client's new address after its NAT mapping changed (its router session moved with it).</summary>
    public long RebindCount => _service.RebindCount;

    /// <summary>Malformed control messages refused (bad ids, names, addresses, answers to no request, router-only codes).</summary>
    public long MalformedCount => _service.MalformedCount;

    /// <summary>What the relay forwarded and dropped (by cause), over every UDP endpoint; zeros when the router does not relay.</summary>
    public IReadOnlyList<Links.Udp.RelayStatistics> GetRelayStatistics() => [.. _relays.Select(r => r.Switch.GetStatistics())];

    /// <summary>Relay bindings (client pairs) now.</summary>
    public int RelayBindingCount => _relays.Sum(r => r.Switch.BindingCount);

    /// <summary>What the cluster backplane did (Redis operations, cross-router signaling and relay); all zeros for a router that runs alone.</summary>
    public ClusterStatistics GetClusterStatistics() => _backplane.GetStatistics();

    /// <summary>The router's id in its cluster (<see cref="RouterClusterOptions.RouterId"/>, or its node id).</summary>
    public string ClusterRouterId => _backplane.RouterId;

    /// <summary>Starts listening and serving; with <see cref="RouterOptions.Cluster"/>, first connects to the cluster's Redis.</summary>
    /// <exception cref="ClusterUnavailableException">The cluster's Redis cannot be reached.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _backplane.StartAsync(_service, cancellationToken).ConfigureAwait(false);
        await _node.StartAsync(cancellationToken).ConfigureAwait(false);
        if (_udp is { } udp)
        {
            foreach (NodeAddress address in _node.ListenAddresses.Where(a => a.Scheme == NodeAddress.Udp))
            {
                if (System.Net.IPAddress.TryParse(address.Host, out System.Net.IPAddress? ip)
                    && udp.GetEndpoint(ip.AddressFamily).StartRelaySwitch(_options.RelayLimits) is var relay && !_relays.Any(r => r.Switch == relay))
                {
                    _relays.Add((ip.AddressFamily, relay));
                }
            }

            var relays = _relays.ToArray();
            _service.Relay = family => relays.FirstOrDefault(r => r.Family == family).Switch ?? relays.FirstOrDefault().Switch;
            if (_backplane.IsClustered)
            {
                // One cluster port beside each relay switch: the far end of every binding whose other client is on another router.
                foreach (NodeAddress address in _node.ListenAddresses.Where(a => a.Scheme == NodeAddress.Udp))
                {
                    if (address.TryGetIPEndPoint(out System.Net.IPEndPoint? endpoint)
                        && relays.FirstOrDefault(r => r.Family == endpoint.AddressFamily).Switch is { } relay && !_clusterPorts.Any(p => p.Switch == relay))
                    {
                        _clusterPorts.Add(new ClusterRelayPort(relay, endpoint, _backplane));
                    }
                }

                _service.ClusterPorts = [.. _clusterPorts];
            }
        }

        _sweeper = SweepAsync(_stop.Token);
    }

    /// <summary>Stops: every client session ends (clients reconnect to a router at the same address).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _sweeper.ConfigureAwait(false);
        await _node.DisposeAsync().ConfigureAwait(false);
        foreach (ClusterRelayPort port in _clusterPorts)
        {
            port.Dispose();
        }

        await _backplane.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>
    /// Stops as a crashed router process would look to the cluster (tests): Redis is dropped first, with nothing cleaned
    /// up, so this router's sessions leave the directory only when their keys expire; then the router stops.
    /// </summary>
    /// <summary>Sessions the router holds, opened or not (tests: a session's open deadline counts from here).</summary>
    internal int HeldSessionCount => _service.HeldSessionCount;

    internal async ValueTask CrashAsync()
    {
        if (_backplane is RedisBackplane redis)
        {
            await redis.AbandonAsync().ConfigureAwait(false);
        }

        await DisposeAsync().ConfigureAwait(false);
    }

    private async Task SweepAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250), _options.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                _service.Sweep(_options.Time.GetUtcNow());
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
