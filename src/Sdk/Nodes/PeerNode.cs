using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using PeerKit.Links;
using PeerKit.Links.Tcp;
using PeerKit.Links.Udp;
using PeerKit.Sessions;

namespace PeerKit;

/// <summary>
/// A peer-to-peer node: go-ethereum's <c>p2p.Server</c>. It has an identity, listens and dials, runs a session with
/// every peer (hello, capability negotiation, keepalive, disconnect reasons), enforces the peer limits, and runs the
/// shared protocols with each peer.
/// </summary>
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
    private readonly PeerNodeOptions _options;
    private readonly NodeKey _key;
    private readonly bool _ownsKey;
    private readonly IProtocol[] _protocols;
    private readonly Capability[] _capabilities;
    private readonly HashSet<NodeId> _trusted;
    private readonly TcpLinkOptions _tcpOptions;
    private readonly object _gate = new();
    private readonly Dictionary<NodeId, Peer> _peers = [];
    private readonly ConcurrentDictionary<NodeId, NodeAddress> _known = new();
    private readonly List<Socket> _listeners = [];
    private readonly List<UdpEndpoint> _udpEndpoints = [];
    private UdpEndpoint? _udpDialer;
    private readonly List<NodeAddress> _listenAddresses = [];
    private readonly List<Task> _background = [];
    private readonly SemaphoreSlim _pendingSlots;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<PeerEvent> _events;
    private readonly List<Channel<PeerEvent>> _subscribers = [];
    private readonly Task _eventPump;
    private Peer[] _connected = [];
    private int _inbound;
    private int _pending;
    private long _droppedEvents;
    private long _failedHandshakes;
    private int _state; // 0 created, 1 started, 2 disposed

    /// <summary>Creates a node; nothing listens or dials until <see cref="StartAsync"/>.</summary>
    /// <exception cref="ArgumentException">An option is out of range, or a protocol is listed twice.</exception>
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

        _protocols = [.. options.Protocols];
        _capabilities = [.. _protocols.Select(p => p.Descriptor.Capability)];
        _trusted = [.. options.TrustedPeers];
        _tcpOptions = CreateTcpOptions(options);
        _pendingSlots = new SemaphoreSlim(options.MaxPendingPeers, options.MaxPendingPeers);
        _events = Channel.CreateBounded<PeerEvent>(
            new BoundedChannelOptions(options.EventQueueCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Interlocked.Increment(ref _droppedEvents));
        _eventPump = Task.Run(PumpEventsAsync);
        Diagnostics.PeerKitMetrics.Track(this);
        foreach (NodeAddress address in options.StaticPeers)
        {
            if (address.Id is { } id)
            {
                _known[id] = address;
            }
        }
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
    public IReadOnlyList<Peer> Peers => Volatile.Read(ref _connected);

    /// <summary>The number of connected peers.</summary>
    public int PeerCount => Volatile.Read(ref _connected).Length;

    /// <summary>Inbound connections in the handshake phase right now (at most <see cref="PeerNodeOptions.MaxPendingPeers"/>).</summary>
    public int PendingPeerCount => Volatile.Read(ref _pending);

    /// <summary>Inbound connections whose link handshake failed (garbage, timeouts, forged keys) since the node started.</summary>
    public long FailedHandshakeCount => Interlocked.Read(ref _failedHandshakes);

    /// <summary>Events dropped because a callback or subscriber fell <see cref="PeerNodeOptions.EventQueueCapacity"/> behind.</summary>
    public long DroppedEventCount => Interlocked.Read(ref _droppedEvents);

    /// <summary>The connected peer with id <paramref name="id"/>, if any.</summary>
    public bool TryGetPeer(NodeId id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Peer? peer)
    {
        lock (_gate)
        {
            return _peers.TryGetValue(id, out peer) && peer.IsConnected;
        }
    }

    /// <summary>Binds the listen addresses, then starts accepting and dialing the static peers.</summary>
    /// <exception cref="SocketException">A listen address cannot be bound.</exception>
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
                IPEndPoint endPoint = await address.ResolveAsync(cancellationToken).ConfigureAwait(false);
                if (address.Scheme == NodeAddress.Udp)
                {
                    UdpEndpoint udp = UdpEndpoint.Start(endPoint, _key, _options.Udp);
                    _options.ListenAddresses[i] = address with { Port = udp.LocalEndPoint.Port };
                    lock (_gate)
                    {
                        _udpEndpoints.Add(udp);
                        _listenAddresses.Add(address with { Port = udp.LocalEndPoint.Port, Id = Id });
                        _background.Add(Task.Run(() => UdpAcceptLoopAsync(udp)));
                    }

                    continue;
                }

                var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(endPoint);
                    socket.Listen(Math.Max(128, _options.MaxPendingPeers));
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }

                var bound = (IPEndPoint)socket.LocalEndPoint!;
                // go-ethereum writes the real port back into the configuration.
                _options.ListenAddresses[i] = address with { Port = bound.Port };
                lock (_gate)
                {
                    _listeners.Add(socket);
                    _listenAddresses.Add(address with { Port = bound.Port, Id = Id });
                    _background.Add(Task.Run(() => AcceptLoopAsync(socket)));
                }
            }

            lock (_gate)
            {
                foreach (NodeAddress address in _options.StaticPeers)
                {
                    _background.Add(Task.Run(() => DialStaticAsync(address)));
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
    /// Dials <paramref name="address"/>, runs the link handshake (checking the id when the address has one) and the
    /// session handshake, and returns the peer once both sides accepted it. When the address names a node that is
    /// already connected, returns that peer.
    /// </summary>
    /// <exception cref="PeerConnectException">The dial, a handshake or an admission check failed; <see cref="PeerConnectException.Reason"/> says which.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<Peer> ConnectAsync(NodeAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        ThrowIfDisposed();
        if (address.Scheme is not (NodeAddress.Tcp or NodeAddress.Udp))
        {
            throw new ArgumentException($"{address}: the transport schemes are tcp and udp.", nameof(address));
        }

        if (address.Id is { } knownId && TryGetPeer(knownId, out Peer? existing))
        {
            return existing;
        }

        string text = address.ToString();
        using System.Diagnostics.Activity? trace = Diagnostics.PeerKitActivities.StartConnect(address);
        RaiseState(address.Id ?? default, text, ConnectionState.Connecting, null, false, null);
        using var dial = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        IMessageLink link;
        try
        {
            IPEndPoint endPoint = await address.ResolveAsync(dial.Token).ConfigureAwait(false);
            link = address.Scheme == NodeAddress.Udp
                ? await DialUdpAsync(endPoint, address.Id, dial.Token).ConfigureAwait(false)
                : await TcpLink.ConnectAsync(endPoint, _key, address.Id, _tcpOptions, dial.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            (DisconnectReason reason, ConnectionState state) = e switch
            {
                IdentityMismatchException => (DisconnectReason.UnexpectedIdentity, ConnectionState.Closed),
                HandshakeException { Failure: HandshakeFailure.Timeout } or TimeoutException => (DisconnectReason.ReadTimeout, ConnectionState.Timeout),
                HandshakeException => (DisconnectReason.BreachOfProtocol, ConnectionState.Closed),
                OperationCanceledException => (DisconnectReason.ClientQuitting, ConnectionState.Closed),
                _ => (DisconnectReason.NetworkError, ConnectionState.Closed),
            };
            RaiseState(address.Id ?? default, text, state, reason, false, null);
            Diagnostics.PeerKitActivities.Failed(reason);
            throw new PeerConnectException(text, reason, isRemote: false, e);
        }

        Peer peer = await EstablishAsync(link, isInbound: false, address.Id, text, cancellationToken).ConfigureAwait(false);
        RememberAddress(address with { Id = peer.Id });
        return peer;
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

        if (!_known.TryGetValue(id, out NodeAddress? address))
        {
            throw new InvalidOperationException($"No address is known for node {id:s}; connect with a NodeAddress first.");
        }

        return ConnectAsync(address, cancellationToken);
    }

    /// <summary>Remembers where node <c>address.Id</c> can be reached, for <see cref="ConnectAsync(NodeId, CancellationToken)"/>.</summary>
    public void AddAddress(NodeAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.Id is not { } id)
        {
            throw new ArgumentException("The address must name a node id.", nameof(address));
        }

        _known[id] = address;
    }

    /// <summary>
    /// Runs a session over a link made elsewhere (a <see cref="MemoryLink"/> pair, an accepted link of your own
    /// listener): go-ethereum's <c>SetupConn</c>. The node owns the link from then on.
    /// </summary>
    /// <param name="link">A connected link whose <see cref="IMessageLink.LocalId"/> is this node's id.</param>
    /// <param name="isInbound">Whether the remote side initiated (counts toward the inbound limit and the accept policy).</param>
    /// <param name="expectedId">The node expected at the other end; a different one is refused (<see cref="DisconnectReason.UnexpectedIdentity"/>).</param>
    /// <param name="cancellationToken">Cancels the session handshake.</param>
    /// <exception cref="PeerConnectException">The session handshake or an admission check failed.</exception>
    public Task<Peer> AddLinkAsync(IMessageLink link, bool isInbound, NodeId? expectedId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(link);
        ThrowIfDisposed();
        string text = link.RemoteAddress?.ToString() ?? $"link to {link.RemoteId:s}";
        RaiseState(link.RemoteId, text, ConnectionState.Connecting, null, false, null);
        return EstablishAsync(link, isInbound, expectedId, text, cancellationToken);
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
        (MemoryLink mine, MemoryLink theirs) = MemoryLink.CreatePair(Id, other.Id, options);
        Task<Peer> remote = other.AddLinkAsync(theirs, isInbound: true, expectedId: null, cancellationToken);
        try
        {
            return await AddLinkAsync(mine, isInbound: false, other.Id, cancellationToken).ConfigureAwait(false);
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
    public async IAsyncEnumerable<PeerEvent> ReadEventsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Channel<PeerEvent> subscriber = Channel.CreateBounded<PeerEvent>(
            new BoundedChannelOptions(_options.EventQueueCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true },
            _ => Interlocked.Increment(ref _droppedEvents));
        lock (_subscribers)
        {
            if (_state == 2)
            {
                yield break;
            }

            _subscribers.Add(subscriber);
        }

        try
        {
            await foreach (PeerEvent e in subscriber.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return e;
            }
        }
        finally
        {
            lock (_subscribers)
            {
                _subscribers.Remove(subscriber);
            }
        }
    }

    /// <summary>Stops listening and dialing, disconnects every peer (<see cref="DisconnectReason.ClientQuitting"/>) and ends the event streams.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _state, 2) == 2)
        {
            return;
        }

        Diagnostics.PeerKitMetrics.Untrack(this);
        _stop.Cancel();
        Task[] background;
        lock (_gate)
        {
            foreach (Socket listener in _listeners)
            {
                listener.Dispose();
            }

            background = [.. _background];
        }

        Peer[] peers;
        lock (_gate)
        {
            peers = [.. _peers.Values];
        }

        await Task.WhenAll(peers.Select(p => p.CloseAsync(DisconnectReason.ClientQuitting, isRemote: false, sendDisconnect: true))).ConfigureAwait(false);
        try
        {
            await Task.WhenAll(background).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Loops end with cancellation; their failures have been reported as events already.
        }

        UdpEndpoint[] endpoints;
        lock (_gate)
        {
            endpoints = [.. _udpEndpoints, .. _udpDialer is null ? Array.Empty<UdpEndpoint>() : [_udpDialer]];
        }

        foreach (UdpEndpoint endpoint in endpoints)
        {
            await endpoint.DisposeAsync().ConfigureAwait(false);
        }

        _events.Writer.TryComplete();
        await _eventPump.ConfigureAwait(false);
        lock (_subscribers)
        {
            foreach (Channel<PeerEvent> subscriber in _subscribers)
            {
                subscriber.Writer.TryComplete();
            }
        }

        if (_ownsKey)
        {
            _key.Dispose();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"node {Id:s} \"{Name}\" ({PeerCount} peers)";

    // ---- called by Peer ----

    internal bool IsTrusted(NodeId id) => _trusted.Contains(id);

    internal void OnPeerClosed(Peer peer, PeerDisconnect disconnect, ConnectionState state)
    {
        bool admitted;
        lock (_gate)
        {
            admitted = _peers.TryGetValue(peer.Id, out Peer? current) && ReferenceEquals(current, peer);
            if (admitted)
            {
                _peers.Remove(peer.Id);
                if (peer.IsInbound)
                {
                    _inbound--;
                }

                Volatile.Write(ref _connected, [.. _connected.Where(p => !ReferenceEquals(p, peer))]);
            }
        }

        if (admitted && peer.WasRunning)
        {
            string? address = peer.RemoteAddress?.ToString();
            Publish(new PeerEvent(PeerEventKind.PeerDropped, peer.Id, address) { Peer = peer, Reason = disconnect.Reason, IsRemoteReason = disconnect.IsRemote, State = state, Error = peer.Error });
            RaiseState(peer.Id, address, state, disconnect.Reason, disconnect.IsRemote, peer);
        }
    }

    internal void RaiseMessageEvent(PeerEventKind kind, Peer peer, ProtocolDescriptor? protocol, int code, int size) =>
        Publish(new PeerEvent(kind, peer.Id, null) { Peer = peer, Protocol = protocol, Code = code, Size = size, State = peer.State });

    // ---- sessions ----

    private async Task<Peer> EstablishAsync(IMessageLink link, bool isInbound, NodeId? expectedId, string address, CancellationToken cancellationToken)
    {
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        handshake.CancelAfter(_options.HandshakeTimeout);
        using System.Diagnostics.Activity? trace = Diagnostics.PeerKitActivities.StartHandshake(isInbound, address);
        Peer? peer = null;
        try
        {
            if (expectedId is { } expected && link.RemoteId != expected)
            {
                throw await RefuseAsync(link, address, DisconnectReason.UnexpectedIdentity).ConfigureAwait(false);
            }

            if (link.RemoteId == Id)
            {
                throw await RefuseAsync(link, address, DisconnectReason.ConnectedToSelf).ConfigureAwait(false);
            }

            int listenPort;
            lock (_gate)
            {
                listenPort = _listenAddresses.Count > 0 ? _listenAddresses[0].Port : 0;
            }

            var hello = new BaseProtocol.Hello(BaseProtocol.ProtocolVersion, _options.Name, _capabilities, listenPort, Id.ToArray());
            await SessionFrame.SendAsync(link, BaseProtocol.HelloCode, hello, handshake.Token).ConfigureAwait(false);

            BaseProtocol.Hello remote;
            using (LinkFrame frame = await link.ReceiveAsync(handshake.Token).ConfigureAwait(false))
            {
                if (!SessionFrame.TryReadCode(frame.Span, out int code, out int header))
                {
                    throw await RefuseAsync(link, address, DisconnectReason.BreachOfProtocol).ConfigureAwait(false);
                }

                if (code == BaseProtocol.DisconnectCode)
                {
                    MessageSerializer.TryRead(frame.Span[header..], out BaseProtocol.Disconnect remoteRefusal);
                    throw await RefuseAsync(link, address, remoteRefusal.Reason, isRemote: true).ConfigureAwait(false);
                }

                if (code != BaseProtocol.HelloCode || frame.Length > BaseProtocol.MaxHelloSize
                    || !MessageSerializer.TryRead(frame.Span[header..], out remote!) || remote.Name is null || remote.Capabilities is null)
                {
                    throw await RefuseAsync(link, address, DisconnectReason.BreachOfProtocol).ConfigureAwait(false);
                }
            }

            if (remote.ProtocolVersion < BaseProtocol.ProtocolVersion)
            {
                throw await RefuseAsync(link, address, DisconnectReason.IncompatibleVersion).ConfigureAwait(false);
            }

            if (remote.NodeId is not { Length: NodeId.Size } idBytes || new NodeId(idBytes) != link.RemoteId)
            {
                throw await RefuseAsync(link, address, DisconnectReason.InvalidIdentity).ConfigureAwait(false);
            }

            IReadOnlyList<(IProtocol Protocol, int Offset)> shared = Negotiation.Match(_protocols, remote.Capabilities);
            if (shared.Count == 0 && _protocols.Length > 0)
            {
                throw await RefuseAsync(link, address, DisconnectReason.UselessPeer).ConfigureAwait(false);
            }

            if (isInbound && _options.AcceptPolicy is { } policy)
            {
                var request = new ConnectRequest(link.RemoteId, remote.Name, link.RemoteAddress, remote.Capabilities);
                bool accepted;
                try
                {
                    accepted = await policy(request, handshake.Token).ConfigureAwait(false);
                }
                catch (Exception) when (!handshake.IsCancellationRequested)
                {
                    accepted = false; // a policy that fails refuses
                }

                if (!accepted)
                {
                    throw await RefuseAsync(link, address, DisconnectReason.Requested).ConfigureAwait(false);
                }
            }

            ProtocolSlot[] slots = [.. shared.Select(s => new ProtocolSlot(s.Protocol, s.Protocol.Descriptor, s.Offset, _options.InboundQueueCapacity))];
            peer = new Peer(this, link, isInbound, remote, slots, _options.ReadQueueCapacity);
            if (Admit(peer) is { } refusal)
            {
                peer = null;
                throw await RefuseAsync(link, address, refusal).ConfigureAwait(false);
            }

            bool confirmed = await peer.StartAsync().WaitAsync(handshake.Token).ConfigureAwait(false);
            if (!confirmed)
            {
                PeerDisconnect end = await peer.Completion.ConfigureAwait(false);
                RaiseState(link.RemoteId, address, SessionFrame.EndState(end.Reason), end.Reason, end.IsRemote, null);
                throw new PeerConnectException(address, end.Reason, end.IsRemote);
            }

            bool running;
            lock (_gate)
            {
                // Under the lock that OnPeerClosed takes: a peer that closed right after confirming is never listed.
                running = _peers.TryGetValue(peer.Id, out Peer? listed) && ReferenceEquals(listed, peer) && peer.TryMarkRunning();
                if (running)
                {
                    Volatile.Write(ref _connected, [.. _connected, peer]);
                }
            }

            if (!running)
            {
                PeerDisconnect end = await peer.Completion.ConfigureAwait(false);
                RaiseState(link.RemoteId, address, SessionFrame.EndState(end.Reason), end.Reason, end.IsRemote, null);
                throw new PeerConnectException(address, end.Reason, end.IsRemote);
            }

            peer.Run();
            if (isInbound && link.RemoteAddress is IPEndPoint remoteEndPoint && remote.ListenPort is > 0 and <= 65535)
            {
                string scheme = link is UdpLink ? NodeAddress.Udp : NodeAddress.Tcp;
                RememberAddress(new NodeAddress(scheme, remoteEndPoint.Address.ToString(), remote.ListenPort, peer.Id));
            }

            Publish(new PeerEvent(PeerEventKind.PeerAdded, peer.Id, link.RemoteAddress?.ToString()) { Peer = peer, State = ConnectionState.Connected });
            RaiseState(peer.Id, link.RemoteAddress?.ToString(), ConnectionState.Connected, null, false, peer);
            Diagnostics.PeerKitActivities.Established(trace, peer);
            return peer;
        }
        catch (OperationCanceledException) when (handshake.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            DisconnectReason reason = _stop.IsCancellationRequested ? DisconnectReason.ClientQuitting : DisconnectReason.ReadTimeout;
            if (peer is not null)
            {
                await peer.CloseAsync(reason, isRemote: false, sendDisconnect: true).ConfigureAwait(false);
                RaiseState(link.RemoteId, address, SessionFrame.EndState(reason), reason, false, null);
                throw new PeerConnectException(address, reason, isRemote: false);
            }

            throw await RefuseAsync(link, address, reason).ConfigureAwait(false);
        }
        catch (Exception e) when (e is LinkException and not LinkClosedException || e is LinkClosedException)
        {
            if (peer is not null)
            {
                await peer.CloseAsync(DisconnectReason.NetworkError, isRemote: false, sendDisconnect: false).ConfigureAwait(false);
            }
            else
            {
                await link.DisposeAsync().ConfigureAwait(false);
            }

            RaiseState(link.RemoteId, address, ConnectionState.Closed, DisconnectReason.NetworkError, false, null);
            Diagnostics.PeerKitActivities.Failed(DisconnectReason.NetworkError);
            throw new PeerConnectException(address, DisconnectReason.NetworkError, isRemote: false, e);
        }
        catch (Exception e) when (e is not PeerConnectException)
        {
            if (peer is not null)
            {
                await peer.CloseAsync(DisconnectReason.NetworkError, isRemote: false, sendDisconnect: true).ConfigureAwait(false);
            }
            else
            {
                await link.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>The most addresses remembered for dialing by id (static peers and <see cref="AddAddress"/> do not count against it).</summary>
    private const int MaxRememberedAddresses = 4096;

    /// <summary>Remembers or updates a peer's address, without letting peers with fresh keys grow the table without bound.</summary>
    private void RememberAddress(NodeAddress address)
    {
        if (address.Id is { } id && (_known.ContainsKey(id) || _known.Count < MaxRememberedAddresses))
        {
            _known[id] = address;
        }
    }

    /// <summary>Admits a peer past the hello, or says why not (go-ethereum's post-handshake checks).</summary>
    private DisconnectReason? Admit(Peer peer)
    {
        lock (_gate)
        {
            if (_state == 2)
            {
                return DisconnectReason.ClientQuitting;
            }

            if (_peers.ContainsKey(peer.Id))
            {
                return DisconnectReason.AlreadyConnected;
            }

            if (!_trusted.Contains(peer.Id))
            {
                if (_peers.Count >= _options.MaxPeers)
                {
                    return DisconnectReason.TooManyPeers;
                }

                if (peer.IsInbound && _inbound >= MaxInboundPeers)
                {
                    return DisconnectReason.TooManyPeers;
                }
            }

            _peers.Add(peer.Id, peer);
            if (peer.IsInbound)
            {
                _inbound++;
            }

            return null;
        }
    }

    /// <summary>The inbound share of <see cref="PeerNodeOptions.MaxPeers"/>: go-ethereum's <c>MaxPeers - MaxPeers/DialRatio</c> (at least one dial slot).</summary>
    private int MaxInboundPeers
    {
        get
        {
            if (_options.DialRatio == 0 || _options.MaxPeers == 0)
            {
                return _options.MaxPeers;
            }

            int dialSlots = Math.Max(1, _options.MaxPeers / _options.DialRatio);
            return _options.MaxPeers - dialSlots;
        }
    }

    /// <summary>Sends a Disconnect (best effort), closes the link, reports the state, and returns the exception to throw.</summary>
    private async Task<PeerConnectException> RefuseAsync(IMessageLink link, string address, DisconnectReason reason, bool isRemote = false)
    {
        if (!isRemote)
        {
            await SessionFrame.TrySendDisconnectAsync(link, reason, _options.DisconnectTimeout).ConfigureAwait(false);
        }

        await link.DisposeAsync().ConfigureAwait(false);
        RaiseState(link.RemoteId, address, SessionFrame.EndState(reason), reason, isRemote, null);
        Diagnostics.PeerKitActivities.Failed(reason, isRemote);
        return new PeerConnectException(address, reason, isRemote);
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        CancellationToken stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            // Take a pending slot before accepting: beyond MaxPendingPeers, connections wait in the backlog.
            try
            {
                await _pendingSlots.WaitAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                _pendingSlots.Release();
                return;
            }
            catch (SocketException)
            {
                // Out of descriptors, or the socket is failing: do not spin.
                _pendingSlots.Release();
                try
                {
                    await Task.Delay(100, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            Interlocked.Increment(ref _pending);
            _ = Task.Run(() => HandleInboundAsync(socket));
        }
    }

    private async Task HandleInboundAsync(Socket socket)
    {
        try
        {
            TcpLink link;
            try
            {
                link = await TcpLink.AuthenticateAsync(socket, _key, isInitiator: false, expectedRemoteId: null, _tcpOptions, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HandshakeException or LinkException or SocketException or IOException or OperationCanceledException)
            {
                Interlocked.Increment(ref _failedHandshakes);
                Diagnostics.PeerKitActivities.Failed(e is HandshakeException { Failure: HandshakeFailure.Timeout } ? DisconnectReason.ReadTimeout : e is HandshakeException ? DisconnectReason.BreachOfProtocol : DisconnectReason.NetworkError);
                return;
            }

            await AddInboundAsync(link).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
            _pendingSlots.Release();
        }
    }

    private async Task UdpAcceptLoopAsync(UdpEndpoint endpoint)
    {
        CancellationToken stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            // The endpoint caps link handshakes itself (cookies under load); the session handshake takes a pending slot.
            UdpLink link;
            try
            {
                link = await endpoint.AcceptAsync(stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }

            try
            {
                await _pendingSlots.WaitAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                await link.DisposeAsync().ConfigureAwait(false);
                return;
            }

            Interlocked.Increment(ref _pending);
            _ = Task.Run(async () =>
            {
                try
                {
                    await AddInboundAsync(link).ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Decrement(ref _pending);
                    _pendingSlots.Release();
                }
            });
        }
    }

    /// <summary>Runs the session of an accepted link; failures are reported through <see cref="ConnectionStateChanged"/>.</summary>
    private async Task AddInboundAsync(IMessageLink link)
    {
        try
        {
            // No caller token: the session handshake already ends when the node stops (ClientQuitting).
            await AddLinkAsync(link, isInbound: true).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            await link.DisposeAsync().ConfigureAwait(false); // the node stopped before it took the link
        }
        catch (Exception e) when (e is PeerConnectException or OperationCanceledException)
        {
            // Reported through ConnectionStateChanged.
        }
    }

    /// <summary>Dials over UDP from the first UDP listen endpoint, or from a dial-only endpoint made on first use.</summary>
    private Task<UdpLink> DialUdpAsync(IPEndPoint remote, NodeId? expectedId, CancellationToken cancellationToken)
    {
        UdpEndpoint endpoint;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_state == 2, this);
            endpoint = _udpEndpoints.FirstOrDefault(e => e.LocalEndPoint.AddressFamily == remote.AddressFamily)
                ?? (_udpDialer ??= UdpEndpoint.Start(
                    new IPEndPoint(remote.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0), _key, _options.Udp));
        }

        return endpoint.ConnectAsync(remote, expectedId, cancellationToken);
    }

    private async Task DialStaticAsync(NodeAddress address)
    {
        CancellationToken stop = _stop.Token;
        TimeSpan delay = _options.StaticRedialMinDelay;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                Peer peer = await ConnectAsync(address, stop).ConfigureAwait(false);
                delay = _options.StaticRedialMinDelay;
                await peer.Completion.WaitAsync(stop).ConfigureAwait(false);
            }
            catch (PeerConnectException e) when (e.Reason == DisconnectReason.AlreadyConnected && address.Id is { } id)
            {
                // Connected the other way round: wait for that session to end.
                Peer? existing;
                lock (_gate)
                {
                    _peers.TryGetValue(id, out existing);
                }

                if (existing is not null)
                {
                    try
                    {
                        await existing.Completion.WaitAsync(stop).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is PeerConnectException or InvalidOperationException or ObjectDisposedException)
            {
                // Retried below with backoff.
            }

            try
            {
                await Task.Delay(delay, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.StaticRedialMaxDelay.Ticks));
        }
    }

    // ---- events ----

    private void RaiseState(NodeId id, string? address, ConnectionState state, DisconnectReason? reason, bool isRemote, Peer? peer) =>
        Publish(new PeerEvent(PeerEventKind.StateChanged, id, address) { State = state, Reason = reason, IsRemoteReason = isRemote, Peer = peer });

    private void Publish(PeerEvent e) => _events.Writer.TryWrite(e);

    private async Task PumpEventsAsync()
    {
        await foreach (PeerEvent e in _events.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            EventHandler<PeerEvent>? handler = e.Kind switch
            {
                PeerEventKind.PeerAdded => PeerAdded,
                PeerEventKind.PeerDropped => PeerDropped,
                PeerEventKind.StateChanged => ConnectionStateChanged,
                PeerEventKind.MessageSent => MessageSent,
                _ => MessageReceived,
            };
            try
            {
                handler?.Invoke(this, e);
            }
            catch (Exception)
            {
                // A throwing callback must not stop the events of others.
            }

            lock (_subscribers)
            {
                foreach (Channel<PeerEvent> subscriber in _subscribers)
                {
                    subscriber.Writer.TryWrite(e);
                }
            }
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

    private static TcpLinkOptions CreateTcpOptions(PeerNodeOptions options)
    {
        TcpLinkOptions user = options.Tcp ?? new TcpLinkOptions();
        return new TcpLinkOptions
        {
            MaxFrameSize = user.MaxFrameSize,
            ReceiveQueueCapacity = user.ReceiveQueueCapacity,
            NoDelay = user.NoDelay,
            CloseTimeout = user.CloseTimeout,
            HandshakeTimeout = options.HandshakeTimeout,
            ConnectTimeout = options.DialTimeout,
            MaxPendingHandshakes = options.MaxPendingPeers,
        };
    }
}
