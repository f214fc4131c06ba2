using PeerKit.Links;
using PeerKit.Transports;

namespace PeerKit;

/// <summary>
/// A peer-to-peer node: go-ethereum's <c>p2p.Server</c>. It has an identity, listens and dials through its
/// transports (<see cref="PeerNodeOptions.Transports"/>), runs a session with every peer (hello, capability
/// negotiation, keepalive, disconnect reasons), enforces the peer limits, and runs the shared protocols with each peer.
/// </summary>
/// <remarks>
/// The node coordinates parts that each do one thing: the transports (one per address scheme) make links;
/// <c>Dialer</c> tracks dials and keeps static peers connected; <c>SessionSetup</c> runs each new link's session
/// (<c>SessionHandshake</c> exchanges hellos, <c>Admission</c> holds the peer table and its limits);
/// <c>InboundAcceptor</c> takes the listeners' links; <c>NodeEvents</c> delivers events.
/// </remarks>
/// <example>
/// <code>
/// await using var node = new PeerNode(new PeerNodeOptions
/// {
///     Name = "alice",
///     ListenAddresses = { NodeAddress.Parse("tcp://127.0.0.1:0") },
///     Protocols = { new ChatProtocol() },
/// });
/// await node.StartAsync();
/// Peer bob = await node.ConnectAsync(NodeAddress.Parse("tcp://127.0.0.1:30303"));
/// await bob.SendAsync(new ChatProtocol.Say("hi"));
/// </code>
/// </example>
public sealed class PeerNode : IAsyncDisposable
{
    /// <summary>The most addresses remembered for dialing by id (static peers and <see cref="AddAddress"/> do not count against it).</summary>
    private const int MaxRememberedAddresses = 4096;

    private readonly PeerNodeOptions _options;
    private readonly NodeKey _key;
    private readonly bool _ownsKey;
    private readonly Dictionary<string, IPeerTransport> _transports = new(StringComparer.OrdinalIgnoreCase);
    private readonly Admission<Peer> _admission;
    private readonly AddressBook _addresses = new(MaxRememberedAddresses);
    private readonly Dialer _dialer;
    private readonly NodeEvents _events;
    private readonly SessionSetup _sessions;
    private readonly Memory.MemoryBudget _budget;
    private readonly object _gate = new();
    private readonly List<IPeerListener> _listeners = [];
    private readonly List<NodeAddress> _listenAddresses = [];
    private readonly List<Task> _background = [];
    private readonly InboundAcceptor _inbound;
    private readonly CancellationTokenSource _stop = new();
    private int _state; // 0 created, 1 started, 2 disposed

    /// <summary>Creates a node; nothing listens or dials until <see cref="StartAsync"/>.</summary>
    /// <exception cref="ArgumentException">An option is out of range, a protocol is listed twice, or an address has no registered transport.</exception>
    /// <exception cref="NodeKeyFormatException"><see cref="PeerNodeOptions.IdentityPath"/> holds no valid key.</exception>
    public PeerNode(PeerNodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        if (options.Identity is { } key)
        {
            _key = key;
        }
        else
        {
            _ownsKey = true;
            _key = options.IdentityPath is { } path ? LoadOrCreate(path) : NodeKey.Generate();
        }

        _admission = new Admission<Peer>(_key.Id, options.MaxPeers, options.DialRatio, options.TrustedPeers);
        _dialer = new Dialer(ConnectAsync, options.StaticRedialMinDelay, options.StaticRedialMaxDelay);
        _events = new NodeEvents(options.EventQueueCapacity, Dispatch);
        _budget = new Memory.MemoryBudget(options.MemoryBudgetBytes, options.MemoryBudgetPolicy);
        _sessions = new SessionSetup(options, _key.Id, _admission, _dialer, _addresses, _events, FirstListenPort, _stop.Token, _budget);
        _inbound = new InboundAcceptor(options.MaxPendingPeers, _sessions, _events, _stop.Token);

        var context = new PeerTransportContext(_key, options);
        foreach ((string scheme, Func<PeerTransportContext, IPeerTransport> create) in options.Transports)
        {
            _transports[scheme] = create(context) ?? throw new ArgumentException($"The transport factory for \"{scheme}\" returned null.", nameof(options));
        }

        foreach (NodeAddress address in options.StaticPeers)
        {
            _addresses.Add(address);
        }

        Diagnostics.PeerKitMetrics.Track(this);
    }

    /// <summary>Raised when a session comes up. Callbacks run on the node's event thread, one at a time, in order.</summary>
    public event EventHandler<PeerEvent>? PeerAdded;

    /// <summary>Raised when a peer disconnects, with the reason.</summary>
    public event EventHandler<PeerEvent>? PeerDropped;

    /// <summary>Raised when a connection changes state: Connecting, Connected, Timeout, Closed.</summary>
    public event EventHandler<PeerEvent>? ConnectionStateChanged;

    /// <summary>Raised for every sub-protocol message sent, when <see cref="PeerNodeOptions.EnableMessageEvents"/> is on.</summary>
    public event EventHandler<PeerEvent>? MessageSent;

    /// <summary>Raised for every sub-protocol message received, when <see cref="PeerNodeOptions.EnableMessageEvents"/> is on.</summary>
    public event EventHandler<PeerEvent>? MessageReceived;

    /// <summary>This node's id.</summary>
    public NodeId Id => _key.Id;

    /// <summary>The name announced in hellos.</summary>
    public string Name => _options.Name;

    /// <summary>The options the node was created with.</summary>
    public PeerNodeOptions Options => _options;

    /// <summary>Where the node accepts connections (real ports, with this node's id), once started.</summary>
    public IReadOnlyList<NodeAddress> ListenAddresses
    {
        get
        {
            lock (_gate)
            {
                return [.. _listenAddresses];
            }
        }
    }

    /// <summary>The connected peers (a snapshot).</summary>
    public IReadOnlyList<Peer> Peers => _admission.Established;

    /// <summary>The number of connected peers.</summary>
    public int PeerCount => _admission.Established.Length;

    /// <summary>
    /// Inbound connections in the handshake phase right now: link handshakes in the listeners (each at most
    /// <see cref="PeerNodeOptions.MaxPendingPeers"/>) and session handshakes (at most <see cref="PeerNodeOptions.MaxPendingPeers"/>).
    /// </summary>
    public int PendingPeerCount
    {
        get
        {
            int count = _inbound.PendingCount;
            lock (_gate)
            {
                foreach (IPeerListener listener in _listeners)
                {
                    count += listener.PendingHandshakeCount;
                }
            }

            return count;
        }
    }

    /// <summary>
    /// Inbound connections closed to keep admission fair, since the node started, none of them by an exception: in
    /// the listeners, connections silent past their first-message deadline, evicted or refused
    /// (<see cref="IPeerListener.RejectedConnectionCount"/>); here, sessions evicted before their hello or refused
    /// because every one of the <see cref="PeerNodeOptions.MaxPendingPeers"/> slots was busy (docs/security.md).
    /// </summary>
    public long RejectedConnectionCount
    {
        get
        {
            long count = _inbound.RejectedCount;
            lock (_gate)
            {
                foreach (IPeerListener listener in _listeners)
                {
                    count += listener.RejectedConnectionCount;
                }
            }

            return count;
        }
    }

    /// <summary>Inbound connections whose link handshake failed (garbage, timeouts, forged keys) since the node started.</summary>
    public long FailedHandshakeCount
    {
        get
        {
            long count = 0;
            lock (_gate)
            {
                foreach (IPeerListener listener in _listeners)
                {
                    count += listener.FailedHandshakeCount;
                }
            }

            return count;
        }
    }

    /// <summary>Events dropped because a callback or subscriber fell <see cref="PeerNodeOptions.EventQueueCapacity"/> behind.</summary>
    public long DroppedEventCount => _events.DroppedCount;

    /// <summary>
    /// What the peers make the node hold now, against <see cref="PeerNodeOptions.MemoryBudgetBytes"/>, and how often
    /// the budget refused data or dropped a peer (docs/security.md).
    /// </summary>
    public MemoryBudgetStatus MemoryStatus => new()
    {
        Limit = _budget.Limit,
        Used = _budget.Used,
        Peak = _budget.Peak,
        RefusedCount = _budget.RefusedCount,
        EvictedCount = _budget.EvictedCount,
    };

    /// <summary>The connected peer with id <paramref name="id"/>, if any.</summary>
    public bool TryGetPeer(NodeId id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Peer? peer)
    {
        peer = _admission.Find(id);
        return peer is not null && peer.IsConnected;
    }

    /// <summary>Binds the listen addresses through their transports, then starts accepting and dialing the static peers.</summary>
    /// <exception cref="System.Net.Sockets.SocketException">A listen address cannot be bound.</exception>
    /// <exception cref="InvalidOperationException">The node was already started or disposed.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("The node was already started (or disposed).");
        }

        try
        {
            for (int i = 0; i < _options.ListenAddresses.Count; i++)
            {
                NodeAddress address = _options.ListenAddresses[i];
                IPeerListener listener = await _transports[address.Scheme].ListenAsync(address, cancellationToken).ConfigureAwait(false);

                // go-ethereum writes the real port back into the configuration.
                _options.ListenAddresses[i] = address with { Port = listener.Address.Port };
                lock (_gate)
                {
                    _listeners.Add(listener);
                    _listenAddresses.Add(listener.Address with { Id = Id });
                    _background.Add(Task.Run(() => _inbound.RunAsync(listener)));
                }
            }

            lock (_gate)
            {
                foreach (NodeAddress address in _options.StaticPeers)
                {
                    _background.Add(Task.Run(() => _dialer.KeepConnectedAsync(address, _stop.Token)));
                }
            }
        }
        catch
        {
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Dials <paramref name="address"/> through the transport of its scheme (checking the id when the address has
    /// one), runs the session handshake, and returns the peer once both sides list it. When the node there is
    /// already connected (also when both nodes dial each other at once), returns that peer.
    /// </summary>
    /// <exception cref="ArgumentException">No transport is registered for the address's scheme.</exception>
    /// <exception cref="PeerConnectException">The dial, a handshake or an admission check failed; <see cref="PeerConnectException.Reason"/> says which.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<Peer> ConnectAsync(NodeAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        ThrowIfDisposed();
        if (!_transports.TryGetValue(address.Scheme, out IPeerTransport? transport))
        {
            throw new ArgumentException($"{address}: no transport is registered for \"{address.Scheme}\" (PeerNodeOptions.Transports).", nameof(address));
        }

        if (address.Id is { } knownId && TryGetPeer(knownId, out Peer? existing))
        {
            return existing;
        }

        // Registered before the first await, so that a simultaneous inbound session from that node sees this dial.
        Dialer.DialHandle? dial = address.Id is { } expected ? _dialer.Begin(expected) : null;
        try
        {
            string text = address.ToString();
            using System.Diagnostics.Activity? trace = Diagnostics.PeerKitActivities.StartConnect(address);
            _events.State(address.Id ?? default, text, ConnectionState.Connecting, null, false, null);
            IMessageLink link;
            using (var dialing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token))
            {
                // The transports apply the dial and handshake timeouts themselves; this bounds one that does not.
                dialing.CancelAfter(_options.DialTimeout + _options.HandshakeTimeout);
                try
                {
                    link = await transport.ConnectAsync(address, address.Id, dialing.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    (DisconnectReason reason, ConnectionState state) = DialFailure.Classify(e, _stop.IsCancellationRequested);
                    _events.State(address.Id ?? default, text, state, reason, false, null);
                    Diagnostics.PeerKitActivities.Failed(reason);
                    throw new PeerConnectException(text, reason, isRemote: false, e);
                }
            }

            // A dial to an address without an id is known by its node once the link is up.
            dial ??= _dialer.Begin(link.RemoteId);
            Peer peer = await _sessions.EstablishAsync(link, isInbound: false, address.Id, text, scheme: null, dial, cancellationToken).ConfigureAwait(false);
            _addresses.Learn(address with { Id = peer.Id });
            return peer;
        }
        finally
        {
            dial?.Dispose();
        }
    }

    /// <summary>Dials a node by id, at the address last known for it (a static peer, a past peer's listen address, or <see cref="AddAddress"/>).</summary>
    /// <exception cref="InvalidOperationException">No address is known for <paramref name="id"/>.</exception>
    /// <exception cref="PeerConnectException">The connection failed.</exception>
    public Task<Peer> ConnectAsync(NodeId id, CancellationToken cancellationToken = default)
    {
        if (TryGetPeer(id, out Peer? existing))
        {
            return Task.FromResult(existing);
        }

        if (!_addresses.TryGet(id, out NodeAddress? address))
        {
            throw new InvalidOperationException($"No address is known for node {id:s}; connect with a NodeAddress first.");
        }

        return ConnectAsync(address, cancellationToken);
    }

    /// <summary>Remembers where node <c>address.Id</c> can be reached, for <see cref="ConnectAsync(NodeId, CancellationToken)"/>.</summary>
    public void AddAddress(NodeAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.Id is null)
        {
            throw new ArgumentException("The address must name a node id.", nameof(address));
        }

        _addresses.Add(address);
    }

    /// <summary>
    /// Runs a session over a link made elsewhere (a <see cref="MemoryLink"/> pair, an accepted link of your own
    /// listener): go-ethereum's <c>SetupConn</c>. The node owns the link from then on. When the other node is already
    /// connected (or a simultaneous session wins), the link is closed with <see cref="DisconnectReason.AlreadyConnected"/>
    /// and the existing peer is returned.
    /// </summary>
    /// <param name="link">A connected link whose <see cref="IMessageLink.LocalId"/> is this node's id.</param>
    /// <param name="isInbound">Whether the remote side initiated (counts toward the inbound limit and the accept policy).</param>
    /// <param name="expectedId">The node expected at the other end; a different one is refused (<see cref="DisconnectReason.UnexpectedIdentity"/>).</param>
    /// <param name="cancellationToken">Cancels the session handshake.</param>
    /// <exception cref="PeerConnectException">The session handshake or an admission check failed.</exception>
    public async Task<Peer> AddLinkAsync(IMessageLink link, bool isInbound, NodeId? expectedId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(link);
        ThrowIfDisposed();
        string text = link.RemoteAddress?.ToString() ?? $"link to {link.RemoteId:s}";
        _events.State(link.RemoteId, text, ConnectionState.Connecting, null, false, null);
        using Dialer.DialHandle? dial = isInbound ? null : _dialer.Begin(link.RemoteId);
        return await _sessions.EstablishAsync(link, isInbound, expectedId, text, scheme: null, dial, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Connects this node to another node in the same process over a <see cref="MemoryLink"/> pair (no sockets, no
    /// encryption), as go-ethereum tests do with <c>MsgPipe</c>. This node is the dialer; <paramref name="other"/> sees an inbound peer.
    /// </summary>
    /// <returns>The peer for <paramref name="other"/>, as seen from this node.</returns>
    /// <exception cref="PeerConnectException">Either side refused the session.</exception>
    public async Task<Peer> ConnectInProcessAsync(PeerNode other, LinkOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(other);
        ThrowIfDisposed();
        using Dialer.DialHandle dial = _dialer.Begin(other.Id);
        (MemoryLink mine, MemoryLink theirs) = MemoryLink.CreatePair(Id, other.Id, options);
        Task<Peer> remote = other.AddLinkAsync(theirs, isInbound: true, expectedId: null, cancellationToken);
        try
        {
            _events.State(other.Id, $"link to {other.Id:s}", ConnectionState.Connecting, null, false, null);
            return await _sessions.EstablishAsync(mine, isInbound: false, other.Id, $"link to {other.Id:s}", scheme: null, dial, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                await remote.ConfigureAwait(false);
            }
            catch (Exception e) when (e is PeerConnectException or OperationCanceledException or ObjectDisposedException)
            {
                // The other side's refusal reaches this side as a Disconnect, which the call above reports.
            }
        }
    }

    /// <summary>
    /// Subscribes to the node's events: every event from now until <paramref name="cancellationToken"/> is cancelled or
    /// the node is disposed. A subscriber more than <see cref="PeerNodeOptions.EventQueueCapacity"/> events behind loses
    /// the oldest (counted in <see cref="DroppedEventCount"/>).
    /// </summary>
    public IAsyncEnumerable<PeerEvent> ReadEventsAsync(CancellationToken cancellationToken = default) => _events.ReadAsync(cancellationToken);

    /// <summary>Stops listening and dialing, disconnects every peer (<see cref="DisconnectReason.ClientQuitting"/>) and ends the event streams.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _state, 2) == 2)
        {
            return;
        }

        Diagnostics.PeerKitMetrics.Untrack(this);
        _stop.Cancel();
        Peer[] peers = _admission.Close();
        await Task.WhenAll(peers.Select(p => p.CloseAsync(DisconnectReason.ClientQuitting, isRemote: false, sendDisconnect: true))).ConfigureAwait(false);
        await _sessions.WhenAllEndedAsync().ConfigureAwait(false);

        Task[] background;
        IPeerListener[] listeners;
        lock (_gate)
        {
            background = [.. _background];
            listeners = [.. _listeners];
        }

        try
        {
            await Task.WhenAll(background).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Loops end with cancellation; their failures have been reported as events already.
        }

        foreach (IPeerListener listener in listeners)
        {
            await listener.DisposeAsync().ConfigureAwait(false);
        }

        foreach (IPeerTransport transport in _transports.Values)
        {
            await transport.DisposeAsync().ConfigureAwait(false);
        }

        await _events.CompleteAsync().ConfigureAwait(false);
        if (_ownsKey)
        {
            _key.Dispose();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"node {Id:s} \"{Name}\" ({PeerCount} peers)";

    // ---- events ----

    private void Dispatch(PeerEvent e)
    {
        EventHandler<PeerEvent>? handler = e.Kind switch
        {
            PeerEventKind.PeerAdded => PeerAdded,
            PeerEventKind.PeerDropped => PeerDropped,
            PeerEventKind.StateChanged => ConnectionStateChanged,
            PeerEventKind.MessageSent => MessageSent,
            _ => MessageReceived,
        };
        handler?.Invoke(this, e);
    }

    private int FirstListenPort()
    {
        lock (_gate)
        {
            return _listenAddresses.Count > 0 ? _listenAddresses[0].Port : 0;
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _state) == 2, this);

    private static NodeKey LoadOrCreate(string path)
    {
        if (File.Exists(path))
        {
            return NodeKey.Load(path);
        }

        NodeKey key = NodeKey.Generate();
        key.Save(path);
        return key;
    }
}
