using System.Collections.Concurrent;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using P = PeerKit.Routing.RouterProtocol;

namespace PeerKit.Routing;

/// <summary>
/// A <see cref="PeerNode"/> attached to a router (<c>src/Router</c>): presence, connect by node id (both sides learn each
/// other's candidates from the router and dial at once; the node's simultaneous-connect rule yields one session), the
/// Oculus implicit connect (a send to a node without a session opens one; reliable messages wait, unreliable ones are
/// dropped), rooms, CLASP's routing modes and events, and reconnecting to a router that went away.
/// </summary>
/// <remarks>
/// The client owns its node: it adds its protocols to the node options and wraps their accept policy, so it is made
/// from the options, before the node. Direct sessions are the node's ordinary sessions and keep working while the
/// router is away.
/// </remarks>
/// <example>
/// <code>
/// await using var client = new RouterClient(
///     new PeerNodeOptions { ListenAddresses = { NodeAddress.Parse("udp://0.0.0.0:0") }, Protocols = { new ChatProtocol() } },
///     new RouterClientOptions { Router = NodeAddress.Parse("udp://&lt;router id&gt;@router.example:7330") });
/// await client.StartAsync();
/// SendResult result = await client.SendAsync(bob, new ChatProtocol.Say("hi"));   // opens a connection to bob
/// </code>
/// </example>
public sealed class RouterClient : IAsyncDisposable
{

    private readonly RouterClientOptions _options;
    private readonly RouterRotation _rotation;
    private readonly Func<ConnectRequest, CancellationToken, ValueTask<bool>>? _userAcceptPolicy;
    private readonly object _gate = new();
    private readonly ConcurrentDictionary<uint, TaskCompletionSource<object>> _requests = new();
    private readonly Dictionary<NodeId, Task<Peer>> _connecting = [];
    private readonly Dictionary<NodeId, RoutingMode> _modes = [];
    private readonly Dictionary<NodeId, ExpectedConnect> _expected = [];
    private int _disposeStarted;
    private readonly Timer _expiry;
    private readonly Dictionary<string, HashSet<NodeId>> _rooms = new(StringComparer.Ordinal);
    private readonly HashSet<string> _acceptRooms = new(StringComparer.Ordinal);
    // Membership notices that come while this client's own create/join of the room waits for its answer (from another
    // router of a cluster, a notice may overtake it): applied to the answer's member list.
    private readonly Dictionary<string, List<(NodeId Member, bool Joined)>> _roomNotices = new(StringComparer.Ordinal);
    private const int MaxEarlyRoomNotices = 1024;
    private readonly ConcurrentDictionary<NodeId, TaskCompletionSource<Peer>> _arrivals = new();
    private readonly ImplicitSends<Peer> _sends;
    private readonly RouterReconnectBackoff _backoff;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<NodeId, string[]> _probeOnArrival = new();
    private TaskCompletionSource<P.Opened>? _opening;
    private Transports.UdpTransport? _udp;
    private Peer? _router;
    private NodeId? _routerId;
    private RouterState _state;
    private Task _reconnecting = Task.CompletedTask;
    private int _nextRequestId;

    /// <summary>Makes the client and its node from <paramref name="nodeOptions"/> (to which it adds its protocols).</summary>
    /// <exception cref="ArgumentException"><see cref="RouterClientOptions.Router"/> is missing; or a node option is invalid.</exception>
    public RouterClient(PeerNodeOptions nodeOptions, RouterClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(nodeOptions);
        ArgumentNullException.ThrowIfNull(options);
        NodeAddress[] routers = [.. new[] { options.Router }.OfType<NodeAddress>(), .. (options.Routers ?? []).Where(r => r is not null && r != options.Router)];
        _rotation = routers.Length > 0
            ? new RouterRotation(routers, RouterFailureHold)
            : throw new ArgumentException("RouterClientOptions.Router (or Routers) is required.", nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.ConnectTimeout, TimeSpan.Zero, nameof(options.ConnectTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.AttachTimeout, TimeSpan.Zero, nameof(options.AttachTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.AnswerTimeout, TimeSpan.Zero, nameof(options.AnswerTimeout));
        _options = options;
        _routerId = _routerAddress.Id;
        _sends = new ImplicitSends<Peer>(id => Node!.TryGetPeer(id, out Peer? p) ? p : null, options.MaxPendingBytesPerPeer, options.MaxPendingBytes, _stop.Token);
        _backoff = new RouterReconnectBackoff(options.ReconnectMinDelay, options.ReconnectMaxDelay);
        _userAcceptPolicy = nodeOptions.AcceptPolicy;
        nodeOptions.Protocols.Add(new ControlChannel(this));
        nodeOptions.Protocols.Add(new PacketChannel(this));
        nodeOptions.AcceptPolicy = AcceptSessionAsync;
        if (nodeOptions.Transports.TryGetValue(NodeAddress.Udp, out Func<Transports.PeerTransportContext, Transports.IPeerTransport>? makeUdp))
        {
            // Keep the node's UDP transport: relay channels open on the endpoint the router session leaves from.
            nodeOptions.Transports[NodeAddress.Udp] = context => makeUdp(context) is var transport && transport is Transports.UdpTransport udp ? _udp = udp : transport;
        }

        Node = new PeerNode(nodeOptions);
        _expiry = new Timer(static c => ((RouterClient)c!).ExpireExpected(), this, options.ConnectTimeout, options.ConnectTimeout);
        Node.PeerAdded += OnPeerAdded;
        Node.PeerDropped += OnPeerDropped;
    }

    /// <summary>How long a router that went away is passed over while another router of the list has not failed.</summary>
    private static readonly TimeSpan RouterFailureHold = TimeSpan.FromSeconds(30);

    /// <summary>The router used (or tried) now: the first of the list, then the next whenever one goes away.</summary>
    private NodeAddress _routerAddress => _rotation.Current;

    /// <summary>The address of the router the client is attached to (or tries next).</summary>
    public NodeAddress RouterAddress => _rotation.Current;

    /// <summary>The node (its peers include the router).</summary>
    public PeerNode Node { get; }

    /// <summary>This node's id.</summary>
    public NodeId Id => Node.Id;

    /// <summary>The router's node id, once attached.</summary>
    public NodeId? RouterId => _routerId;

    /// <summary>The session with the router.</summary>
    public RouterState State => _state;

    /// <summary>This node's UDP address as the router saw it (its server-reflexive candidate), once attached over UDP.</summary>
    public string? ObservedAddress { get; private set; }

    /// <summary>The routing mode of peers without one of their own.</summary>
    public RoutingMode RoutingMode { get; set; }

    /// <summary>Unreliable messages dropped because no connection was up (the Oculus rule).</summary>
    public long DroppedUnreliableCount => _sends.DroppedUnreliableCount;

    /// <summary>Bytes of reliable messages dropped because the connection they waited for failed (each failure is also a <see cref="RoutingEventKind.ConnectionFailed"/> event).</summary>
    public long DroppedReliableBytes => _sends.DroppedReliableBytes;

    /// <summary>Raised for CLASP's events (Connected, Data, Disconnected, ConnectionFailed) and the Oculus state changes. Handlers run on the node's event thread or a protocol task: keep them short.</summary>
    public event EventHandler<RoutingEvent>? Event;

    /// <summary>Raised when a node joins or leaves a room this client is in.</summary>
    public event EventHandler<RoomEvent>? RoomChanged;

    /// <summary>Raised when the session with the router changes state.</summary>
    public event EventHandler<RouterState>? RouterStateChanged;

    /// <summary>
    /// Starts the node and attaches to the router: dials it (from the node's UDP socket), opens the session (with the
    /// token) and learns the observed address. Bounded by <see cref="RouterClientOptions.AttachTimeout"/>.
    /// </summary>
    /// <exception cref="RouterUnavailableException">The router did not answer (down, wrong address or id).</exception>
    /// <exception cref="RouterRequestException">The router refused the session (<see cref="RouterStatus.Unauthorised"/>, <see cref="RouterStatus.Expired"/>…).</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        RoutingMode = _options.RoutingMode;
        await Node.StartAsync(cancellationToken).ConfigureAwait(false);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await AttachAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (RouterUnavailableException) when (attempt < _rotation.Count)
            {
                // Another router of the list may answer.
                _rotation.Failed(Environment.TickCount64);
            }
        }
    }

    /// <summary>Sets the routing mode for one peer (CLASP's per-peer <c>set_p2p_routing_mode</c>).</summary>
    public void SetRoutingMode(NodeId peer, RoutingMode mode)
    {
        lock (_gate)
        {
            _modes[peer] = mode;
        }
    }

    /// <summary>The routing mode for <paramref name="peer"/>: its own, or the client's.</summary>
    public RoutingMode GetRoutingMode(NodeId peer)
    {
        lock (_gate)
        {
            return _modes.TryGetValue(peer, out RoutingMode mode) ? mode : RoutingMode;
        }
    }

    /// <summary>Whether a session with <paramref name="peer"/> is up (Oculus <c>IsConnected</c>).</summary>
    public bool IsConnected(NodeId peer) => Node.TryGetPeer(peer, out _);

    /// <summary>Which of <paramref name="nodes"/> are online (presence); with none, every other node the router lists (up to its limit).</summary>
    /// <exception cref="RouterRequestException">The router refused the query.</exception>
    public async Task<IReadOnlyList<NodeId>> WhoIsOnlineAsync(IEnumerable<NodeId>? nodes = null, CancellationToken cancellationToken = default)
    {
        uint id = NextRequestId();
        object answer = await RequestAsync(id, new P.Who(id, [.. (nodes ?? []).Select(n => n.ToArray())]), cancellationToken).ConfigureAwait(false);
        return answer is P.Online online ? [.. online.NodeIds.Select(b => new NodeId(b))] : throw Refusal(answer);
    }

    /// <summary>
    /// Connects to <paramref name="peer"/> through the router (the Oculus <c>Connect</c>): the router asks the peer's accept
    /// policy, both sides learn each other's candidates and dial at once. Returns the session; when one is up already, at once.
    /// Failures also raise <see cref="RoutingEventKind.ConnectionFailed"/>.
    /// </summary>
    /// <exception cref="RoutedConnectException">The connect failed; <see cref="RoutedConnectException.Failure"/> says why.</exception>
    public Task<Peer> ConnectAsync(NodeId peer, CancellationToken cancellationToken = default) => ConnectAsync(peer, string.Empty, cancellationToken);

    /// <summary>Sends a typed message to <paramref name="peer"/>, connecting first when no session is up (the Oculus implicit connect).</summary>
    /// <returns>The path that carried it, or <see cref="SendResult.Queued"/> (reliable, waiting for the connection) or <see cref="SendResult.Dropped"/> (unreliable, no connection yet).</returns>
    /// <exception cref="PendingSendsFullException">A reliable message would exceed the bytes allowed to wait (<see cref="RouterClientOptions.MaxPendingBytesPerPeer"/>, <see cref="RouterClientOptions.MaxPendingBytes"/>).</exception>
    public ValueTask<SendResult> SendAsync<T>(NodeId peer, in T message, Reliability reliability = Reliability.ReliableOrdered, CancellationToken cancellationToken = default)
        where T : IMessage<T>
    {
        if (_sends.SessionIfIdle(peer) is { } session)
        {
            ValueTask sent;
            try
            {
                sent = session.SendAsync(in message, reliability, cancellationToken); // no closure: nothing to defer
            }
            catch (Exception e)
            {
                return ValueTask.FromException<SendResult>(e); // as from the queued path: a faulted send, not a throw
            }

            return SendNowAsync(session, sent);
        }

        T copy = message;
        return SendCoreAsync(peer, (p, ct) => p.SendAsync(copy, reliability, ct), reliability, MessageSerializer.GetSize(message), cancellationToken);
    }

    /// <summary>The result of a send made at once on <paramref name="session"/> (the message is encoded by then).</summary>
    private static ValueTask<SendResult> SendNowAsync(Peer session, ValueTask sent)
    {
        return sent.IsCompletedSuccessfully ? new ValueTask<SendResult>(PathOf(session)) : AwaitAsync(session, sent);

        static async ValueTask<SendResult> AwaitAsync(Peer session, ValueTask sent)
        {
            await sent.ConfigureAwait(false);
            return PathOf(session);
        }
    }

    /// <summary>Sends raw bytes to <paramref name="peer"/> (the Oculus <c>SendPacket</c>, CLASP's <c>send_p2p</c>); the peer gets a <see cref="RoutingEventKind.Data"/> event.</summary>
    /// <param name="peer">The node.</param>
    /// <param name="data">The bytes (reliable: up to 65,535; unreliable: keep within 1,200).</param>
    /// <param name="reliable">Reliable (ordered, buffered until connected) or unreliable (dropped before connected).</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    public ValueTask<SendResult> SendPacketAsync(NodeId peer, ReadOnlyMemory<byte> data, bool reliable = true, CancellationToken cancellationToken = default)
    {
        if (!reliable)
        {
            // Never kept: sent at once (encoded before this returns) or dropped.
            return SendAsync(peer, new PacketProtocol.UnreliablePacket(data), Reliability.Unreliable, cancellationToken);
        }

        if (_sends.SessionIfIdle(peer) is { } session)
        {
            // Encoded before this returns: the caller's bytes are not kept, so no copy.
            ValueTask sent;
            try
            {
                sent = session.SendAsync(new PacketProtocol.Packet(data), Reliability.ReliableOrdered, cancellationToken);
            }
            catch (Exception e)
            {
                return ValueTask.FromException<SendResult>(e);
            }

            return SendNowAsync(session, sent);
        }

        // It may wait for the connection: keep a copy, the caller may reuse its buffer.
        return SendAsync(peer, new PacketProtocol.Packet(data.ToArray()), Reliability.ReliableOrdered, cancellationToken);
    }

    /// <summary>Creates a room and joins it; returns its members (this node).</summary>
    /// <exception cref="RouterRequestException">The router refused (<see cref="RouterStatus.RoomExists"/>, <see cref="RouterStatus.Malformed"/>…).</exception>
    public Task<IReadOnlyList<NodeId>> CreateRoomAsync(string name, CancellationToken cancellationToken = default) =>
        EnterRoomAsync(name, create: true, cancellationToken);

    /// <summary>Joins a room; returns its members (this node included).</summary>
    /// <exception cref="RouterRequestException">The router refused (<see cref="RouterStatus.NoSuchRoom"/>, <see cref="RouterStatus.RoomFull"/>…).</exception>
    public Task<IReadOnlyList<NodeId>> JoinRoomAsync(string name, CancellationToken cancellationToken = default) =>
        EnterRoomAsync(name, create: false, cancellationToken);

    /// <summary>Leaves a room.</summary>
    /// <exception cref="RouterRequestException">The router refused (<see cref="RouterStatus.NotInRoom"/>).</exception>
    public async Task LeaveRoomAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_gate)
        {
            _rooms.Remove(name);
            _acceptRooms.Remove(name);
        }

        uint id = NextRequestId();
        object answer = await RequestAsync(id, new P.LeaveRoom(id, name), cancellationToken).ConfigureAwait(false);
        if (answer is not P.Result { Status: RouterStatus.Ok })
        {
            throw Refusal(answer);
        }
    }

    /// <summary>The names of the rooms on the router.</summary>
    public async Task<IReadOnlyList<string>> ListRoomsAsync(CancellationToken cancellationToken = default)
    {
        uint id = NextRequestId();
        object answer = await RequestAsync(id, new P.ListRooms(id), cancellationToken).ConfigureAwait(false);
        return answer is P.Rooms rooms ? rooms.Names : throw Refusal(answer);
    }

    /// <summary>The members of a room this client is in, as the router last said (empty when not in it).</summary>
    public IReadOnlyList<NodeId> RoomMembers(string name)
    {
        lock (_gate)
        {
            return _rooms.TryGetValue(name, out HashSet<NodeId>? members) ? [.. members] : [];
        }
    }

    /// <summary>
    /// Sends a message to every member of a room but this node, exactly once each (the Oculus <c>SendPacketToCurrentRoom</c>),
    /// connecting to members without a session. Returns how many members it was given to (sent, queued or, for an
    /// unreliable message to a member not yet connected, dropped).
    /// </summary>
    /// <exception cref="InvalidOperationException">This client is not in the room.</exception>
    public async ValueTask<int> SendToRoomAsync<T>(string room, T message, Reliability reliability = Reliability.ReliableOrdered, CancellationToken cancellationToken = default)
        where T : IMessage<T>
    {
        NodeId[] members;
        lock (_gate)
        {
            members = _rooms.TryGetValue(room, out HashSet<NodeId>? set)
                ? [.. set.Where(m => m != Id)]
                : throw new InvalidOperationException($"This node is not in room \"{room}\"; create or join it first.");
        }

        foreach (NodeId member in members)
        {
            if (_sends.SessionIfIdle(member) is { } session)
            {
                await session.SendAsync(in message, reliability, cancellationToken).ConfigureAwait(false);
                continue;
            }

            await SendCoreAsync(member, (p, ct) => p.SendAsync(message, reliability, ct), reliability, MessageSerializer.GetSize(message), cancellationToken, room).ConfigureAwait(false);
        }

        return members.Length;
    }

    /// <summary>Accepts connect requests from the members of a room without asking the accept policy (Oculus <c>AcceptForCurrentRoom</c>); <c>false</c> when this client is not in the room.</summary>
    public bool AcceptForRoom(string room)
    {
        lock (_gate)
        {
            if (!_rooms.ContainsKey(room))
            {
                return false;
            }

            _acceptRooms.Add(room);
            return true;
        }
    }

    /// <summary>Closes the sessions with every member of a room (Oculus <c>CloseForCurrentRoom</c>); call it before leaving.</summary>
    public async Task CloseForRoomAsync(string room)
    {
        NodeId[] members;
        lock (_gate)
        {
            members = _rooms.TryGetValue(room, out HashSet<NodeId>? set) ? [.. set] : [];
            _acceptRooms.Remove(room);
        }

        foreach (NodeId member in members)
        {
            await CloseAsync(member).ConfigureAwait(false);
        }
    }

    /// <summary>Closes the session with a peer (Oculus <c>Close</c>).</summary>
    public async Task CloseAsync(NodeId peer)
    {
        if (peer != _routerId && Node.TryGetPeer(peer, out Peer? session))
        {
            await session.DisconnectAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Detaches from the router and disposes the node.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposeStarted, 1) != 0)
        {
            return; // disposing twice does nothing, as IAsyncDisposable asks
        }

        SetState(RouterState.Closed);
        await _stop.CancelAsync().ConfigureAwait(false);
        await _expiry.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _reconnecting.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Disposing: a reconnect that failed or was cancelled has nothing left to report.
        }

        await Node.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    internal async Task<Peer> ConnectAsync(NodeId peer, string room, CancellationToken cancellationToken)
    {
        if (Node.TryGetPeer(peer, out Peer? existing))
        {
            return existing;
        }

        Task<Peer> connecting;
        lock (_gate)
        {
            if (!_connecting.TryGetValue(peer, out connecting!))
            {
                connecting = ConnectOnceAsync(peer, room);
                _connecting[peer] = connecting;
            }
        }

        return await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<Peer> ConnectOnceAsync(NodeId peer, string room)
    {
        await Task.Yield();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(_options.ConnectTimeout);
        Raise(new RoutingEvent(RoutingEventKind.StateChanged, peer) { State = ConnectionState.Connecting });
        try
        {
            RoutingMode mode = GetRoutingMode(peer);
            if (IsExpected(peer) && await WaitForArrivalAsync(peer, timeout.Token).ConfigureAwait(false) is { } arrived)
            {
                // The peer is connecting to this node already (this node accepted its request): its session is the one.
                return arrived;
            }

            uint id = NextRequestId();
            object answer;
            try
            {
                answer = await RequestAsync(id, new P.Connect(id, peer.ToArray(), room, mode), timeout.Token).ConfigureAwait(false);
            }
            catch (RouterUnavailableException e)
            {
                throw new RoutedConnectException(peer, ConnectFailure.RouterUnavailable, e.Message, e);
            }

            if (answer is P.Result { Status: RouterStatus.Crossed })
            {
                // Both nodes asked at once; the one with the smaller id declined this request and its own goes on
                // (its request may reach this node after this answer): wait for its session.
                Expect(peer);
                if (await WaitForArrivalAsync(peer, timeout.Token).ConfigureAwait(false) is { } opened)
                {
                    return opened;
                }

                // Expect no more: a later connect must ask the router again, not wait for this one.
                lock (_gate)
                {
                    if (_expected.TryGetValue(peer, out ExpectedConnect? stale))
                    {
                        stale.Deadline = 0;
                    }
                }

                ExpireExpected();
                throw new RoutedConnectException(peer, ConnectFailure.Timeout, $"the node connecting to this node at the same time did not within {_options.ConnectTimeout}.");
            }

            if (answer is P.Result { Status: RouterStatus.Unavailable } && IsExpected(peer)
                && await WaitForArrivalAsync(peer, timeout.Token).ConfigureAwait(false) is { } crossed)
            {
                // This node accepted the peer's request meanwhile: its session is the one.
                return crossed;
            }

            if (answer is P.Candidates { Peer: var about } && (about.Length != NodeId.Size || new NodeId(about) != peer))
            {
                throw new RoutedConnectException(peer, ConnectFailure.RouterRefused, "the router answered with another node's candidates.");
            }

            if (answer is not P.Candidates candidates)
            {
                P.Result result = answer as P.Result ?? new P.Result(id, RouterStatus.Malformed, "unexpected answer");
                ConnectFailure failure = result.Status switch
                {
                    RouterStatus.Unavailable => ConnectFailure.Unavailable,
                    RouterStatus.Refused => ConnectFailure.Refused,
                    RouterStatus.Throttled => ConnectFailure.Throttled,
                    RouterStatus.ClusterUnavailable => ConnectFailure.ClusterUnavailable,
                    _ => ConnectFailure.RouterRefused,
                };
                throw new RoutedConnectException(peer, failure, result.Detail);
            }

            if (mode != RoutingMode.P2POnly && candidates.RelayChannel != 0)
            {
                return await ConnectViaRelayAsync(peer, candidates, mode, timeout.Token).ConfigureAwait(false);
            }

            if (mode == RoutingMode.ServerOnly)
            {
                throw new RoutedConnectException(peer, ConnectFailure.RelayUnavailable, "the router bound no relay channel (it does not relay, its relay is full, or a client is not on UDP).");
            }

            Peer? session = await DialAsync(peer, candidates.Addresses, timeout.Token).ConfigureAwait(false);
            return session ?? throw new RoutedConnectException(peer,
                mode == RoutingMode.P2POnly ? ConnectFailure.NoDirectPath : ConnectFailure.Timeout,
                $"no direct path validated within {_options.ConnectTimeout} (candidates: {string.Join(", ", candidates.Addresses)}).");
        }
        catch (OperationCanceledException e) when (!_stop.IsCancellationRequested)
        {
            ConnectFailure failure = GetRoutingMode(peer) == RoutingMode.P2POnly ? ConnectFailure.NoDirectPath : ConnectFailure.Timeout;
            var error = new RoutedConnectException(peer, failure, $"nothing connected within {_options.ConnectTimeout}.", e);
            Fail(peer, error);
            throw error;
        }
        catch (RoutedConnectException e)
        {
            Fail(peer, e);
            throw;
        }
        catch (Exception e) when (e is PeerConnectException or Links.LinkException && !_stop.IsCancellationRequested)
        {
            // The session over the relayed link was refused or failed (the node's reasons: too many peers, a breach…).
            var error = new RoutedConnectException(peer, ConnectFailure.Unavailable, $"the session failed: {e.Message}", e);
            Fail(peer, error);
            throw error;
        }
        finally
        {
            lock (_gate)
            {
                _connecting.Remove(peer);
            }
        }
    }

    /// <summary>
    /// Dials <paramref name="peer"/> through the router's relay (the link's handshake goes through the router; the router
    /// never holds its keys), runs the session over it, and with <see cref="RoutingMode.PreferP2P"/> probes the peer's
    /// observed address so the link moves to a direct path when one validates.
    /// </summary>
    private async Task<Peer> ConnectViaRelayAsync(NodeId peer, P.Candidates candidates, RoutingMode mode, CancellationToken cancellationToken)
    {
        if (_router?.RemoteAddress is not IPEndPoint router || _udp is null)
        {
            throw new RoutedConnectException(peer, ConnectFailure.RelayUnavailable, "the router session is not on UDP, so there is no relay path.");
        }

        Links.Udp.UdpEndpoint endpoint = _udp.GetEndpoint(router.AddressFamily);
        Links.Udp.UdpLink link;
        try
        {
            link = await endpoint.ConnectViaRelayAsync(router, candidates.RelayChannel, peer, cancellationToken).ConfigureAwait(false);
        }
        catch (Links.HandshakeException e)
        {
            throw new RoutedConnectException(peer, ConnectFailure.Timeout, $"the handshake through the relay failed ({e.Failure}).", e);
        }

        Peer session = await Node.AddLinkAsync(link, isInbound: false, expectedId: peer, cancellationToken).ConfigureAwait(false);
        if (mode == RoutingMode.PreferP2P)
        {
            Probe(session, candidates.Addresses);
        }

        return session;
    }

    /// <summary>Starts hole punching on a relayed session: probes the peer's first candidate (its observed address).</summary>
    private void Probe(Peer session, string[] addresses)
    {
        if (session.Link is not Links.Udp.UdpLink link || addresses.Length == 0 || !NodeAddress.TryParse(addresses[0], out NodeAddress? address)
            || !address.TryGetIPEndPoint(out IPEndPoint? candidate))
        {
            return;
        }

        _ = link.ProbeDirectPathAsync(candidate, _stop.Token)
            .ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    /// <summary>Keeps the relay channel opened for <paramref name="caller"/>'s accepted request, to close it if the caller never comes.</summary>
    private void RecordRelayChannel(NodeId caller, Links.Udp.UdpEndpoint endpoint, uint channel)
    {
        (Links.Udp.UdpEndpoint? Endpoint, uint Channel) replaced = (null, 0);
        lock (_gate)
        {
            if (!_expected.TryGetValue(caller, out ExpectedConnect? expected))
            {
                expected = _expected[caller] = new ExpectedConnect(Environment.TickCount64 + (long)_options.ConnectTimeout.TotalMilliseconds);
            }

            if (expected.RelayChannel != 0 && (expected.RelayChannel != channel || expected.RelayEndpoint != endpoint))
            {
                replaced = (expected.RelayEndpoint, expected.RelayChannel);
            }

            expected.RelayChannel = channel;
            expected.RelayEndpoint = endpoint;
        }

        replaced.Endpoint?.CloseRelayChannel(replaced.Channel);
    }

    /// <summary>Forgets accepted connect requests whose caller never came before the deadline, and closes their relay channels.</summary>
    private void ExpireExpected()
    {
        long now = Environment.TickCount64;
        List<(NodeId Peer, ExpectedConnect Expected)>? expired = null;
        lock (_gate)
        {
            foreach ((NodeId peer, ExpectedConnect expected) in _expected)
            {
                if (expected.Deadline <= now)
                {
                    (expired ??= []).Add((peer, expected));
                }
            }

            foreach ((NodeId peer, _) in expired ?? [])
            {
                _expected.Remove(peer);
            }
        }

        foreach ((NodeId peer, ExpectedConnect expected) in expired ?? [])
        {
            _probeOnArrival.TryRemove(peer, out _);
            if (expected.RelayChannel != 0 && !Node.TryGetPeer(peer, out _))
            {
                try
                {
                    expected.RelayEndpoint?.CloseRelayChannel(expected.RelayChannel);
                }
                catch (ObjectDisposedException)
                {
                }
            }
        }
    }

    /// <summary>Expects a session that <paramref name="peer"/> opens, within the connect timeout (accepted without asking the accept policy).</summary>
    private void Expect(NodeId peer)
    {
        lock (_gate)
        {
            ExpectedConnect expected = _expected.TryGetValue(peer, out ExpectedConnect? earlier) ? earlier : _expected[peer] = new ExpectedConnect(0);
            expected.Deadline = Math.Max(expected.Deadline, Environment.TickCount64 + (long)_options.ConnectTimeout.TotalMilliseconds);
        }
    }

    private bool IsExpected(NodeId peer)
    {
        lock (_gate)
        {
            return _expected.TryGetValue(peer, out ExpectedConnect? expected) && expected.Deadline > Environment.TickCount64;
        }
    }

    /// <summary>Waits for a session with <paramref name="peer"/> that the peer opens; null when none comes before the token.</summary>
    private async Task<Peer?> WaitForArrivalAsync(NodeId peer, CancellationToken cancellationToken)
    {
        TaskCompletionSource<Peer> arrival = _arrivals.GetOrAdd(peer, _ => new TaskCompletionSource<Peer>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (Node.TryGetPeer(peer, out Peer? existing))
        {
            arrival.TrySetResult(existing);
        }

        try
        {
            return await arrival.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        finally
        {
            _arrivals.TryRemove(new KeyValuePair<NodeId, TaskCompletionSource<Peer>>(peer, arrival));
        }
    }

    /// <summary>Dials every candidate at once and waits for the first session with <paramref name="peer"/>, dialed or arrived; null when none came before the token.</summary>
    private async Task<Peer?> DialAsync(NodeId peer, string[] addresses, CancellationToken cancellationToken)
    {
        TaskCompletionSource<Peer> arrival = _arrivals.GetOrAdd(peer, _ => new TaskCompletionSource<Peer>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (Node.TryGetPeer(peer, out Peer? existing))
        {
            arrival.TrySetResult(existing);
        }

        // Dials that lose are not cancelled when one wins: on the node that is not the arbiter, the session the arbiter
        // confirms may be the one still in its handshake, and cancelling it would end it. Each is bounded by the node's
        // dial and handshake timeouts, and by the connect timeout.
        var tasks = new List<Task<Peer>> { arrival.Task };
        foreach (string text in addresses.Take(RouterProtocol.MaxLocalAddresses + 1))
        {
            if (NodeAddress.TryParse(text, out NodeAddress? address) && address.Scheme == NodeAddress.Udp)
            {
                tasks.Add(Node.ConnectAsync(address with { Id = peer }, cancellationToken));
            }
        }

        try
        {
            while (tasks.Count > 0)
            {
                Task<Peer> done = await Task.WhenAny(tasks).WaitAsync(cancellationToken).ConfigureAwait(false);
                if (done.IsCompletedSuccessfully)
                {
                    return done.Result;
                }

                _ = done.Exception;
                tasks.Remove(done);
            }

            return null;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        finally
        {
            foreach (Task<Peer> task in tasks)
            {
                _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }

            _arrivals.TryRemove(new KeyValuePair<NodeId, TaskCompletionSource<Peer>>(peer, arrival));
        }
    }

    private async ValueTask<SendResult> SendCoreAsync(NodeId peer, Func<Peer, CancellationToken, ValueTask> send, Reliability reliability, int bytes, CancellationToken cancellationToken, string room = "")
    {
        bool reliable = reliability is not (Reliability.Unreliable or Reliability.UnreliableSequenced);
        (Peer? session, bool queued) = await _sends.SendAsync(peer, send, reliable, bytes, cancellationToken).ConfigureAwait(false);
        if (session is not null)
        {
            return PathOf(session);
        }

        if (!Node.TryGetPeer(peer, out _))
        {
            _ = ConnectAsync(peer, room, CancellationToken.None).ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        return queued ? SendResult.Queued : SendResult.Dropped;
    }

    private static SendResult PathOf(Peer peer) =>
        peer.Link is Links.Udp.UdpLink { ActivePath: Links.Udp.LinkPath.Relay } ? SendResult.Relay : SendResult.P2P;

    private void Fail(NodeId peer, RoutedConnectException error)
    {
        long dropped = _sends.Drop(peer);
        string detail = dropped > 0 ? $"{error.Message} ({dropped} bytes of reliable messages that waited were dropped.)" : error.Message;
        Raise(new RoutingEvent(RoutingEventKind.ConnectionFailed, peer) { Failure = error.Failure, Detail = detail });
        Raise(new RoutingEvent(RoutingEventKind.StateChanged, peer)
        {
            State = error.Failure == ConnectFailure.Timeout || error.Failure == ConnectFailure.NoDirectPath ? ConnectionState.Timeout : ConnectionState.Closed,
        });
    }

    private async Task<IReadOnlyList<NodeId>> EnterRoomAsync(string name, bool create, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        uint id = NextRequestId();
        lock (_gate)
        {
            _roomNotices[name] = [];
        }

        try
        {
            object answer = create
                ? await RequestAsync(id, new P.CreateRoom(id, name), cancellationToken).ConfigureAwait(false)
                : await RequestAsync(id, new P.JoinRoom(id, name), cancellationToken).ConfigureAwait(false);
            if (answer is P.Room { Status: RouterStatus.Ok } room)
            {
                List<NodeId> members = [.. room.Members.Where(m => m.Length == NodeId.Size).Select(m => new NodeId(m)).Distinct()];
                lock (_gate)
                {
                    foreach ((NodeId member, bool joined) in _roomNotices.TryGetValue(name, out List<(NodeId, bool)>? early) ? early : [])
                    {
                        if (!joined)
                        {
                            members.Remove(member);
                        }
                        else if (!members.Contains(member))
                        {
                            members.Add(member);
                        }
                    }

                    _rooms[name] = [.. members];
                }

                return members;
            }

            throw Refusal(answer);
        }
        finally
        {
            lock (_gate)
            {
                _roomNotices.Remove(name);
            }
        }
    }

    private static RouterRequestException Refusal(object answer) => answer switch
    {
        P.Room room => new RouterRequestException(room.Status, $"room \"{room.Name}\""),
        P.Result result => new RouterRequestException(result.Status, result.Detail),
        _ => new RouterRequestException(RouterStatus.Malformed, "the router sent an unexpected answer."),
    };

    /// <summary>A request id: never 0, which the router uses for messages that answer no request.</summary>
    private uint NextRequestId()
    {
        uint id;
        do
        {
            id = (uint)Interlocked.Increment(ref _nextRequestId);
        }
        while (id == 0);
        return id;
    }

    private async Task<object> RequestAsync<T>(uint id, T message, CancellationToken cancellationToken) where T : IMessage<T>
    {
        Peer router = _router is { IsConnected: true } r && _state == RouterState.Attached
            ? r
            : throw new RouterUnavailableException(_routerAddress, $"not attached (state {_state}).");
        var answer = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests[id] = answer;
        try
        {
            await router.SendAsync(message, cancellationToken).ConfigureAwait(false);
            return await answer.Task.WaitAsync(_options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new RouterUnavailableException(_routerAddress, $"no answer within {_options.RequestTimeout}.", e);
        }
        catch (PeerDisconnectedException e)
        {
            throw new RouterUnavailableException(_routerAddress, "the session with the router ended.", e);
        }
        finally
        {
            _requests.TryRemove(id, out _);
        }
    }

    private async Task AttachAsync(CancellationToken cancellationToken)
    {
        using var attach = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        attach.CancelAfter(_options.AttachTimeout);
        Peer router;
        try
        {
            router = await Node.ConnectAsync(_routerAddress, attach.Token).ConfigureAwait(false);
        }
        catch (PeerConnectException e)
        {
            throw new RouterUnavailableException(_routerAddress, $"{e.Reason}.", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RouterUnavailableException(_routerAddress, $"no answer within {_options.AttachTimeout}.", e);
        }

        var opening = new TaskCompletionSource<P.Opened>(TaskCreationOptions.RunContinuationsAsynchronously);
        _opening = opening;
        _routerId = router.Id;
        _router = router;
        P.Opened opened;
        try
        {
            await router.SendAsync(new P.Open(_options.Token, LocalAddresses()), attach.Token).ConfigureAwait(false);
            opened = await opening.Task.WaitAsync(attach.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or PeerDisconnectedException && !cancellationToken.IsCancellationRequested)
        {
            throw new RouterUnavailableException(_routerAddress, "the router did not open the session.", e);
        }

        if (opened.Status != RouterStatus.Ok)
        {
            await router.DisconnectAsync().ConfigureAwait(false);
            throw new RouterRequestException(opened.Status, opened.Detail);
        }

        ObservedAddress = opened.ObservedAddress.Length > 0 ? opened.ObservedAddress : null;
        _backoff.Reset();
        _rotation.Attached();
        SetState(RouterState.Attached);
    }

    /// <summary>Joins <paramref name="room"/> again after a reconnect, creating it when the router no longer has it.</summary>
    private async Task RejoinAsync(string room, CancellationToken stop)
    {
        try
        {
            await JoinRoomAsync(room, stop).ConfigureAwait(false);
        }
        catch (RouterRequestException e) when (e.Status == RouterStatus.NoSuchRoom)
        {
            try
            {
                await CreateRoomAsync(room, stop).ConfigureAwait(false);
            }
            catch (RouterRequestException again) when (again.Status == RouterStatus.RoomExists)
            {
                await JoinRoomAsync(room, stop).ConfigureAwait(false);
            }
        }
    }

    private async Task ReconnectAsync()
    {
        CancellationToken stop = _stop.Token;
        // The router went away: with a list of routers, the next one is tried (a single router is tried again).
        _rotation.Failed(Environment.TickCount64);
        while (!stop.IsCancellationRequested)
        {
            await Task.Delay(_backoff.Next(Random.Shared.NextDouble()), stop).ConfigureAwait(false);
            try
            {
                await AttachAsync(stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                // Unavailable, refused, or a session that failed on the way: back off and try again (the next router).
                _rotation.Failed(Environment.TickCount64);
                continue;
            }

            string[] rooms;
            lock (_gate)
            {
                rooms = [.. _rooms.Keys];
            }

            foreach (string room in rooms)
            {
                try
                {
                    await RejoinAsync(room, stop).ConfigureAwait(false);
                }
                catch (Exception e) when (e is RouterRequestException or RouterUnavailableException && !stop.IsCancellationRequested)
                {
                    // Keep the room: the next reconnect tries it again.
                }
            }

            return;
        }
    }

    private string[] LocalAddresses()
    {
        var addresses = new List<string>();
        foreach (NodeAddress listen in Node.ListenAddresses.Where(a => a.Scheme == NodeAddress.Udp))
        {
            if (!IPAddress.TryParse(listen.Host, out IPAddress? ip))
            {
                continue;
            }

            if (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any))
            {
                AddressFamily family = ip.AddressFamily;
                foreach (IPAddress local in InterfaceAddresses(family))
                {
                    addresses.Add(NodeAddress.ForUdp(new IPEndPoint(local, listen.Port)).ToString());
                }
            }
            else
            {
                addresses.Add(NodeAddress.ForUdp(new IPEndPoint(ip, listen.Port)).ToString());
            }
        }

        return [.. addresses.Distinct().Take(RouterProtocol.MaxLocalAddresses)];
    }

    private static IEnumerable<IPAddress> InterfaceAddresses(AddressFamily family)
    {
        IEnumerable<IPAddress> all;
        try
        {
            all = NetworkInterface.GetAllNetworkInterfaces()
                .Where(n => n.OperationalStatus is OperationalStatus.Up or OperationalStatus.Unknown)
                .SelectMany(n => n.GetIPProperties().UnicastAddresses.Select(u => u.Address))
                .Where(a => a.AddressFamily == family && !a.IsIPv6LinkLocal)
                .ToArray();
        }
        catch (NetworkInformationException)
        {
            all = [];
        }

        // Non-loopback first: loopback only helps nodes on the same host.
        return all.OrderBy(a => IPAddress.IsLoopback(a) ? 1 : 0);
    }


    private async ValueTask<bool> AcceptSessionAsync(ConnectRequest request, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (request.PeerId == _routerId || _connecting.ContainsKey(request.PeerId))
            {
                return true;
            }

            // An accepted connect request lets the caller's session in until it arrives (PeerAdded consumes the entry) or
            // its deadline passes; later sessions ask the policy again. Several links may race for that one session (the
            // caller dials every candidate), so the entry is not consumed by the first of them.
            if (_expected.TryGetValue(request.PeerId, out ExpectedConnect? expected) && expected.Deadline > Environment.TickCount64)
            {
                expected.Accepted = true;
                return true;
            }
        }

        return _userAcceptPolicy is null || await _userAcceptPolicy(request, cancellationToken).ConfigureAwait(false);
    }

    private void OnPeerAdded(object? sender, PeerEvent e)
    {
        if (e.Peer is not { } peer || peer.Id == _routerId)
        {
            return;
        }

        if (_arrivals.TryGetValue(peer.Id, out TaskCompletionSource<Peer>? arrival))
        {
            arrival.TrySetResult(peer);
        }

        lock (_gate)
        {
            _expected.Remove(peer.Id);
        }

        if (_probeOnArrival.TryRemove(peer.Id, out string[]? candidates))
        {
            Probe(peer, candidates);
        }

        _sends.SessionUp(peer.Id);
        Raise(new RoutingEvent(RoutingEventKind.Connected, peer.Id) { Path = PathOf(peer) });
        Raise(new RoutingEvent(RoutingEventKind.StateChanged, peer.Id) { State = ConnectionState.Connected });
    }

    private void OnPeerDropped(object? sender, PeerEvent e)
    {
        if (e.Peer is not { } peer)
        {
            return;
        }

        if (peer.Id == _routerId)
        {
            if (peer == _router && _state == RouterState.Attached && !_stop.IsCancellationRequested)
            {
                SetState(RouterState.Reconnecting);
                foreach (TaskCompletionSource<object> request in _requests.Values)
                {
                    request.TrySetException(new RouterUnavailableException(_routerAddress, "the session with the router ended."));
                }

                _reconnecting = ReconnectAsync();
            }

            return;
        }

        // A duplicate session may have ended under a flusher: what still waits goes on the session that is up, if any.
        _sends.SessionUp(peer.Id);
        Raise(new RoutingEvent(RoutingEventKind.Disconnected, peer.Id) { Detail = e.Reason?.ToString() });
        Raise(new RoutingEvent(RoutingEventKind.StateChanged, peer.Id) { State = e.State == ConnectionState.Timeout ? ConnectionState.Timeout : ConnectionState.Closed });
    }

    private void SetState(RouterState state)
    {
        if (_state == state || _state == RouterState.Closed)
        {
            return;
        }

        _state = state;
        try
        {
            RouterStateChanged?.Invoke(this, state);
        }
        catch (Exception)
        {
            // A throwing handler does not stop the client.
        }
    }

    private void Raise(RoutingEvent routingEvent)
    {
        try
        {
            Event?.Invoke(this, routingEvent);
        }
        catch (Exception)
        {
            // A throwing handler does not stop the client.
        }
    }

    /// <summary>A control message from the router (<see cref="ControlChannel"/>).</summary>
    private async ValueTask OnControlAsync(Peer from, ProtocolMessage message)
    {
        switch (message.Code)
        {
            case 8:
                _opening?.TrySetResult(message.Decode<P.Opened>());
                return;
            case 9:
                P.Result result = message.Decode<P.Result>();
                Answer(result.RequestId, result);
                return;
            case 10:
                P.Online online = message.Decode<P.Online>();
                Answer(online.RequestId, online);
                return;
            case 11:
                // The accept policy is the user's code: it is timed (AnswerTimeout). It stays on the read loop so
                // requests are decided in the order they came (running it off the loop lost crossed connects).
                await OnIncomingAsync(from, message.Decode<P.Incoming>()).ConfigureAwait(false);
                return;
            case 12:
                P.Candidates candidates = message.Decode<P.Candidates>();
                if ((candidates.RequestId != 0 && Answer(candidates.RequestId, candidates)) || candidates.Peer.Length != NodeId.Size)
                {
                    return;
                }

                var caller = new NodeId(candidates.Peer);
                if (candidates.Mode != RoutingMode.P2POnly && candidates.RelayChannel != 0 && _udp is not null && from.RemoteAddress is IPEndPoint relayRouter)
                {
                    // The target's side of a relayed connect: open its channel; the caller's handshake comes through it.
                    if (candidates.Mode == RoutingMode.PreferP2P)
                    {
                        _probeOnArrival[caller] = candidates.Addresses;
                    }

                    try
                    {
                        Links.Udp.UdpEndpoint endpoint = _udp.GetEndpoint(relayRouter.AddressFamily);
                        endpoint.OpenRelayChannel(relayRouter, candidates.RelayChannel);
                        RecordRelayChannel(caller, endpoint, candidates.RelayChannel);
                    }
                    catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
                    {
                        // A channel number in use with another router, or the node is closing: the caller's connect times out.
                    }
                }
                else
                {
                    // The target's side of a direct connect: dial the caller at once too.
                    _ = Task.Run(async () =>
                    {
                        using var dial = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                        dial.CancelAfter(_options.ConnectTimeout);
                        await DialAsync(caller, candidates.Addresses, dial.Token).ConfigureAwait(false);
                        lock (_gate)
                        {
                            _expected.Remove(caller);
                        }
                    });
                }

                return;
            case 13:
                P.Room room = message.Decode<P.Room>();
                Answer(room.RequestId, room);
                return;
            case 14:
                P.Rooms rooms = message.Decode<P.Rooms>();
                Answer(rooms.RequestId, rooms);
                return;
            case 15:
                P.RoomChanged changed = message.Decode<P.RoomChanged>();
                if (changed.Member.Length != NodeId.Size)
                {
                    return;
                }

                var member = new NodeId(changed.Member);
                lock (_gate)
                {
                    bool entering = _roomNotices.TryGetValue(changed.Name, out List<(NodeId, bool)>? early);
                    if (entering && early!.Count < MaxEarlyRoomNotices)
                    {
                        early.Add((member, changed.Joined));
                    }

                    if (_rooms.TryGetValue(changed.Name, out HashSet<NodeId>? members))
                    {
                        _ = changed.Joined ? members.Add(member) : members.Remove(member);
                    }
                    else if (!entering)
                    {
                        return;
                    }
                }

                try
                {
                    RoomChanged?.Invoke(this, new RoomEvent(changed.Name, member, changed.Joined));
                }
                catch (Exception)
                {
                    // A throwing handler does not stop the client.
                }

                return;
            default:
                // Codes 0–7 go to the router; the router sending one breaks the protocol.
                throw new MessageFormatException(0, $"code {message.Code} is sent by clients, not by the router.");
        }
    }

    private bool Answer(uint requestId, object answer) => _requests.TryGetValue(requestId, out TaskCompletionSource<object>? request) && request.TrySetResult(answer);

    private async Task OnIncomingAsync(Peer router, P.Incoming incoming)
    {
        if (incoming.From.Length != NodeId.Size)
        {
            return;
        }

        var caller = new NodeId(incoming.From);
        bool accept, crossed;
        lock (_gate)
        {
            // Both nodes asked at once: the smaller id keeps its own request and declines the other's (which then
            // waits for the session this node opens), so only one link is set up. The larger id accepts without
            // asking its policy: it asked for this connection itself.
            bool connecting = _connecting.ContainsKey(caller);
            crossed = connecting && string.CompareOrdinal(Id.ToString(), caller.ToString()) < 0;
            accept = connecting
                || (_acceptRooms.Contains(incoming.Room) && _rooms.TryGetValue(incoming.Room, out HashSet<NodeId>? members) && members.Contains(caller));
        }

        if (crossed)
        {
            accept = false;
        }
        else if (!accept)
        {
            try
            {
                accept = _options.AcceptPolicy is null
                    || await _options.AcceptPolicy(caller, incoming.Room).AsTask().WaitAsync(_options.AnswerTimeout, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                accept = false;
            }
        }

        if (accept)
        {
            ExpireExpected();
            lock (_gate)
            {
                ExpectedConnect expected = _expected.TryGetValue(caller, out ExpectedConnect? earlier) ? earlier : _expected[caller] = new ExpectedConnect(0);
                expected.Deadline = Environment.TickCount64 + (long)_options.ConnectTimeout.TotalMilliseconds;
                expected.Accepted = false;
            }
        }

        try
        {
            await router.SendAsync(new P.Answer(incoming.RequestId, accept, _options.RevealRefusals && !crossed, crossed), _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is PeerDisconnectedException or OperationCanceledException)
        {
        }
    }

    /// <summary>The client's side of <see cref="RouterProtocol"/>: messages from the router go to the client; other peers that run it have nothing to say.</summary>
    private sealed class ControlChannel(RouterClient client) : IProtocol
    {
        public ProtocolDescriptor Descriptor => RouterProtocol.Descriptor;

        public async ValueTask RunAsync(Peer peer, MessageReadWriter readWriter, CancellationToken cancellationToken)
        {
            while (true)
            {
                using ProtocolMessage message = await readWriter.ReadAsync(cancellationToken).ConfigureAwait(false);
                if (peer.Id == client._routerId)
                {
                    await client.OnControlAsync(peer, message).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Raises <see cref="RoutingEventKind.Data"/> for every packet from a peer.</summary>
    private sealed class PacketChannel(RouterClient client) : IProtocol
    {
        public ProtocolDescriptor Descriptor => PacketProtocol.Descriptor;

        public async ValueTask RunAsync(Peer peer, MessageReadWriter readWriter, CancellationToken cancellationToken)
        {
            while (true)
            {
                using ProtocolMessage message = await readWriter.ReadAsync(cancellationToken).ConfigureAwait(false);
                bool reliable = message.Code == 0;
                ReadOnlyMemory<byte> data = reliable ? message.Decode<PacketProtocol.Packet>().Data : message.Decode<PacketProtocol.UnreliablePacket>().Data;
                client.Raise(new RoutingEvent(RoutingEventKind.Data, peer.Id) { Data = data.ToArray(), Reliable = reliable, Path = PathOf(peer) });
            }
        }
    }
}
