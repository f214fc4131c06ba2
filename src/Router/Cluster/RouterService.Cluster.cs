using P = PeerKit.Routing.RouterProtocol;

namespace PeerKit.Routing;

/// <summary>
/// The router's side of a cluster (<see cref="IRouterBackplane"/>): connect requests between a local client and a client
/// of another router, their relay halves, and room notices from other routers. Caller side: locate the target, bind the
/// caller's relay half, send the request, and on the answer route the half and give the caller its candidates. Target
/// side: ask the local target, bind its half, give it its candidates, and answer.
/// </summary>
internal sealed partial class RouterService : IRouterBackplaneHost
{
    /// <summary>Request ids this router gives cluster requests have the high bit set, so they never meet the local ones.</summary>
    private const uint ClusterIdBit = 0x8000_0000;

    private readonly Dictionary<uint, ClusterPendingConnect> _clusterPending = [];
    private readonly Dictionary<uint, ClusterIncomingConnect> _clusterIncoming = [];
    private readonly Dictionary<uint, ClusterRelayHalf> _clusterHalves = [];
    private uint _nextClusterId;

    /// <summary>The cluster relay ports (one per relay switch), once the router started them; empty when the router runs alone or does not relay.</summary>
    public IReadOnlyList<ClusterRelayPort> ClusterPorts { get; set; } = [];

    /// <summary>The backplane (<see cref="LocalBackplane"/> when the router runs alone); set once, before the router starts (it needs the router's node id).</summary>
    public IRouterBackplane Backplane
    {
        get => _backplane;
        set => _backplane = value;
    }

    public void OnConnectRequest(ClusterProtocol.ConnectRequest request)
    {
        ClusterProtocol.ConnectAnswer? refusal = null;
        lock (_gate)
        {
            if (request.Target.Length != NodeId.Size || request.Caller.Length != NodeId.Size
                || !_sessions.TryGetValue(new NodeId(request.Target), out RouterSession? target) || !target.IsOpen)
            {
                refusal = Answer(request, RouterStatus.Unavailable, "the node is not online.");
            }
            else if (_clusterIncoming.Count >= _options.MaxSessions * _options.MaxPendingConnectsPerSession)
            {
                refusal = Answer(request, RouterStatus.Busy, "the target's router has too many connect requests waiting.");
            }
            else
            {
                uint id = NextClusterIdLocked();
                _clusterIncoming[id] = new ClusterIncomingConnect(id, request, target, _options.Time.GetUtcNow() + _options.AnswerTimeout);
                if (!PostNoticeLocked(target.Id, new P.Incoming(id, request.Caller, request.Room)))
                {
                    _clusterIncoming.Remove(id);
                    refusal = Answer(request, RouterStatus.Unavailable, "the node did not answer.");
                }
            }
        }

        if (refusal is not null)
        {
            _ = SignalQuietlyAsync(request.FromRouter, refusal);
        }
    }

    public void OnConnectAnswer(ClusterProtocol.ConnectAnswer answer)
    {
        lock (_gate)
        {
            if (!_clusterPending.Remove(answer.RequestId, out ClusterPendingConnect? pending) || answer.Target.Length != NodeId.Size || new NodeId(answer.Target) != pending.Target)
            {
                return;
            }

            EndClusterPendingLocked(pending);
            if (!_sessions.TryGetValue(pending.CallerSession.Id, out RouterSession? caller) || caller != pending.CallerSession)
            {
                UnbindHalfLocked(pending.Half);
                return;
            }

            if (answer.Status != RouterStatus.Ok)
            {
                UnbindHalfLocked(pending.Half);
                PostLocked(caller.Id, new P.Result(pending.CallerRequestId, answer.Status, answer.Detail));
                return;
            }

            uint channel = 0;
            if (pending.Half is { } half && answer.RelayChannel != 0)
            {
                half.Port.Route(half.PortChannel, answer.FromRouter, answer.RelayChannel);
                channel = half.ClientChannel;
            }
            else
            {
                UnbindHalfLocked(pending.Half);
            }

            PostLocked(caller.Id, new P.Candidates(pending.CallerRequestId, answer.Target, Checked(answer.Addresses), channel, pending.Mode));
        }
    }

    public void OnRoomNotice(ClusterProtocol.RoomNotice notice)
    {
        if (notice.Member.Length != NodeId.Size || !RoomDirectory.IsValidName(notice.Name))
        {
            return;
        }

        lock (_gate)
        {
            foreach (byte[] to in notice.To)
            {
                if (to.Length == NodeId.Size && _sessions.TryGetValue(new NodeId(to), out RouterSession? member) && member.IsOpen)
                {
                    PostNoticeLocked(member.Id, new P.RoomChanged(notice.Name, notice.Member, notice.Joined));
                }
            }
        }
    }

    public void OnRelay(ReadOnlySpan<byte> datagram)
    {
        foreach (ClusterRelayPort port in ClusterPorts)
        {
            if (port.Owns(datagram))
            {
                port.Deliver(datagram);
                return;
            }
        }
    }

    /// <summary>The caller's side of a connect to a node no local session holds.</summary>
    private async ValueTask ConnectElsewhereAsync(RouterSession session, SessionOutbox outbox, P.Connect connect, NodeId target)
    {
        string? router;
        try
        {
            router = await _backplane.LocateAsync(target).ConfigureAwait(false);
        }
        catch (ClusterUnavailableException e)
        {
            Post(session, outbox, new P.Result(connect.RequestId, RouterStatus.ClusterUnavailable, e.Message));
            return;
        }

        if (router is null || router == _backplane.RouterId)
        {
            Post(session, outbox, new P.Result(connect.RequestId, RouterStatus.Unavailable, "the node is not online."));
            return;
        }

        ClusterPendingConnect pending;
        lock (_gate)
        {
            if (session.PendingConnects >= _options.MaxPendingConnectsPerSession)
            {
                PostLocked(session.Id, new P.Result(connect.RequestId, RouterStatus.Busy, "too many connect requests waiting for answers."));
                return;
            }

            uint id = NextClusterIdLocked();
            ClusterRelayHalf? half = connect.Mode == RoutingMode.P2POnly ? null : BindHalfLocked(session);
            pending = new ClusterPendingConnect(id, session, connect.RequestId, target, connect.Mode, router, _options.Time.GetUtcNow() + _options.AnswerTimeout, half);
            _clusterPending[id] = pending;
            session.PendingConnects++;
        }

        try
        {
            await _backplane.SignalAsync(router, new ClusterProtocol.ConnectRequest(_backplane.RouterId, pending.Id, session.Id.ToArray(), target.ToArray(),
                connect.Room, connect.Mode, session.Candidates(), pending.Half?.PortChannel ?? 0)).ConfigureAwait(false);
        }
        catch (ClusterUnavailableException e)
        {
            lock (_gate)
            {
                if (_clusterPending.Remove(pending.Id))
                {
                    EndClusterPendingLocked(pending);
                    UnbindHalfLocked(pending.Half);
                    PostLocked(session.Id, new P.Result(connect.RequestId, RouterStatus.ClusterUnavailable, e.Message));
                }
            }
        }
    }

    /// <summary>The target answered a request from another router's caller; false when the id is not such a request of this session's.</summary>
    private bool TryAnswerElsewhereLocked(RouterSession session, P.Answer answer)
    {
        if (!_clusterIncoming.TryGetValue(answer.RequestId, out ClusterIncomingConnect? incoming) || incoming.TargetSession != session)
        {
            return false;
        }

        _clusterIncoming.Remove(answer.RequestId);
        ClusterProtocol.ConnectRequest request = incoming.Request;
        ClusterProtocol.ConnectAnswer reply;
        if (answer.Accept)
        {
            ClusterRelayHalf? half = request.Mode != RoutingMode.P2POnly && request.RelayChannel != 0 ? BindHalfLocked(session) : null;
            half?.Port.Route(half.PortChannel, request.FromRouter, request.RelayChannel);
            // The target hears first, so its channel is open before the caller's first relayed packet.
            PostLocked(session.Id, new P.Candidates(0, request.Caller, Checked(request.Addresses), half?.ClientChannel ?? 0, request.Mode));
            reply = new ClusterProtocol.ConnectAnswer(_backplane.RouterId, request.RequestId, RouterStatus.Ok, string.Empty, session.Id.ToArray(), session.Candidates(), half?.PortChannel ?? 0);
        }
        else
        {
            reply = answer.Crossed
                ? Answer(request, RouterStatus.Crossed, "the node is connecting to this node at the same time: its session is the one.")
                : answer.RevealRefusal
                ? Answer(request, RouterStatus.Refused, "the node refused the connection.")
                : Answer(request, RouterStatus.Unavailable, "the node is not online.");
        }

        _ = SignalQuietlyAsync(request.FromRouter, reply);
        return true;
    }

    /// <summary>A session ended: its cluster requests (as caller or target) and relay halves go.</summary>
    private void EndClusterSessionLocked(RouterSession session)
    {
        foreach (ClusterPendingConnect pending in _clusterPending.Values.Where(p => p.CallerSession == session).ToArray())
        {
            _clusterPending.Remove(pending.Id);
            EndClusterPendingLocked(pending);
        }

        foreach (ClusterIncomingConnect incoming in _clusterIncoming.Values.Where(i => i.TargetSession == session).ToArray())
        {
            _clusterIncoming.Remove(incoming.Id);
            _ = SignalQuietlyAsync(incoming.Request.FromRouter, Answer(incoming.Request, RouterStatus.Unavailable, "the node is not online."));
        }

        foreach (ClusterRelayHalf half in _clusterHalves.Values.Where(h => h.Session == session).ToArray())
        {
            UnbindHalfLocked(half);
        }
    }

    /// <summary>Ends cluster requests past their deadline and unbinds relay halves that carried nothing.</summary>
    private void SweepClusterLocked(DateTimeOffset now)
    {
        foreach (ClusterPendingConnect pending in _clusterPending.Values.Where(p => p.Deadline <= now).ToArray())
        {
            _clusterPending.Remove(pending.Id);
            EndClusterPendingLocked(pending);
            UnbindHalfLocked(pending.Half);
            PostLocked(pending.CallerSession.Id, new P.Result(pending.CallerRequestId, RouterStatus.Unavailable, "the node did not answer."));
        }

        foreach (ClusterIncomingConnect incoming in _clusterIncoming.Values.Where(i => i.Deadline <= now).ToArray())
        {
            _clusterIncoming.Remove(incoming.Id);
        }

        foreach (ClusterRelayHalf half in _clusterHalves.Values.Where(h => h.IsUnused(now, _options.RelayUnusedTimeout)).ToArray())
        {
            UnbindHalfLocked(half);
        }
    }

    /// <summary>Binds a local client to the cluster port of its address family; null when it is not on UDP, the router does not relay, or the relay is full.</summary>
    private ClusterRelayHalf? BindHalfLocked(RouterSession session)
    {
        if (session.ObservedEndPoint is not { } observed || Relay?.Invoke(observed.AddressFamily) is not { } relay
            || ClusterPorts.FirstOrDefault(p => p.Switch == relay) is not { } port
            || session.Bindings.Count + _clusterHalves.Values.Count(h => h.Session == session) >= _options.MaxRelayBindingsPerSession)
        {
            return null;
        }

        try
        {
            var half = new ClusterRelayHalf(port, relay.Bind(observed, port.Address), session, _options.Time.GetUtcNow());
            _clusterHalves[half.PortChannel] = half;
            return half;
        }
        catch (Exception e) when (e is Links.Udp.RelayLimitException or ArgumentException)
        {
            return null;
        }
    }

    private void UnbindHalfLocked(ClusterRelayHalf? half)
    {
        if (half is not null && _clusterHalves.Remove(half.PortChannel))
        {
            half.Port.Forget(half.PortChannel);
            half.Port.Switch.Unbind(half.Binding);
        }
    }

    private void EndClusterPendingLocked(ClusterPendingConnect pending)
    {
        if (pending.CallerSession.PendingConnects > 0)
        {
            pending.CallerSession.PendingConnects--;
        }
    }

    private uint NextClusterIdLocked()
    {
        uint id;
        do
        {
            id = ClusterIdBit | (++_nextClusterId & ~ClusterIdBit);
        }
        while (_clusterPending.ContainsKey(id) || _clusterIncoming.ContainsKey(id));
        return id;
    }

    private ClusterProtocol.ConnectAnswer Answer(ClusterProtocol.ConnectRequest request, RouterStatus status, string detail) =>
        new(_backplane.RouterId, request.RequestId, status, detail, request.Target, [], 0);

    private async Task SignalQuietlyAsync<T>(string router, T message) where T : IMessage<T>
    {
        try
        {
            await _backplane.SignalAsync(router, message).ConfigureAwait(false);
        }
        catch (ClusterUnavailableException)
        {
            // The other router's caller times out on its side (its answer deadline); counted in the backplane's statistics.
        }
    }

    /// <summary>Candidates from another router, kept only when they are udp://ip:port addresses (as this router checks its own clients').</summary>
    private static string[] Checked(string[] addresses) =>
        [.. addresses.Take(RouterProtocol.MaxLocalAddresses + 1).Where(a => a.Length <= 64 && NodeAddress.TryParse(a, out NodeAddress? parsed)
            && parsed.Scheme == NodeAddress.Udp && parsed.Id is null && parsed.TryGetIPEndPoint(out _))];
}
