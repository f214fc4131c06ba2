using System.Diagnostics.CodeAnalysis;
using P = PeerKit.Routing.RouterProtocol;

namespace PeerKit.Routing;

/// <summary>
/// The router's side of <see cref="RouterProtocol"/>: one read loop per client session, and the shared state (sessions,
/// pending connects, rooms) under one lock. The sender of every request is the session's authenticated node id; no
/// message names its sender. Answers go out through each session's <see cref="SessionOutbox"/>.
/// </summary>
internal sealed partial class RouterService : IProtocol
{
    private readonly RouterOptions _options;
    private readonly object _gate = new();
    private readonly Dictionary<NodeId, RouterSession> _sessions = [];
    private readonly Dictionary<NodeId, SessionOutbox> _outboxes = [];
    private readonly Dictionary<uint, PendingConnect> _pending = [];
    private readonly Dictionary<(NodeId Low, NodeId High), List<RouterRelayBinding>> _bindings = [];
    private IRouterBackplane _backplane;
    // In a cluster, this router's room changes run one at a time, each with its answer and its local notices, so a
    // notice of a later change never reaches a member of this router before the answer to its own (as under _gate alone).
    private readonly SemaphoreSlim _roomOrder = new(1, 1);
    private uint _nextRequestId;
    private long _throttled;
    private long _refusedSessions;
    private long _malformed;
    private long _droppedNotices;
    private long _rebinds;

    public RouterService(RouterOptions options)
    {
        _options = options;
        _backplane = new LocalBackplane(options, string.Empty);
    }

    public ProtocolDescriptor Descriptor => RouterProtocol.Descriptor;

    /// <summary>The relay switch for a client address's family, once the router started it; null when the router does not relay.</summary>
    public Func<System.Net.Sockets.AddressFamily, Links.Udp.RelaySwitch?>? Relay { get; set; }

    /// <summary>Sessions held, opened or not (an unopened one is dropped after the open timeout).</summary>
    public int HeldSessionCount
    {
        get
        {
            lock (_gate)
            {
                return _sessions.Count;
            }
        }
    }

    public int OpenSessionCount
    {
        get
        {
            lock (_gate)
            {
                return _sessions.Values.Count(s => s.IsOpen);
            }
        }
    }

    public long ThrottledCount => Interlocked.Read(ref _throttled);

    public long RefusedSessionCount => Interlocked.Read(ref _refusedSessions);

    public long MalformedCount => Interlocked.Read(ref _malformed);

    public long DroppedNoticeCount => Interlocked.Read(ref _droppedNotices);

    public long RebindCount => Interlocked.Read(ref _rebinds);

    public int RoomCount => _backplane.RoomCount;

    public async ValueTask RunAsync(Peer peer, MessageReadWriter readWriter, CancellationToken cancellationToken)
    {
        DateTimeOffset now = _options.Time.GetUtcNow();
        var session = new RouterSession(peer,
            new SignalingRateLimit(_options.SignalingRate, _options.SignalingBurst, now),
            new SignalingRateLimit(_options.SignalingRate, _options.SignalingBurst, now),
            now);
        var outbox = new SessionOutbox();
        lock (_gate)
        {
            _sessions[peer.Id] = session;
            _outboxes[peer.Id] = outbox;
        }

        Task sending = outbox.RunAsync(peer, _options.SendTimeout, cancellationToken);
        try
        {
            while (true)
            {
                using ProtocolMessage message = await readWriter.ReadAsync(cancellationToken).ConfigureAwait(false);
                await Handle(session, outbox, message).ConfigureAwait(false);
            }
        }
        finally
        {
            await RemoveAsync(session).ConfigureAwait(false);
            outbox.Complete();
            await sending.ConfigureAwait(false);
        }
    }

    /// <summary>Ends connect requests whose target did not answer by their deadline, unbinds relay bindings that carried nothing, and drops sessions that did not open in time.</summary>
    public void Sweep(DateTimeOffset now)
    {
        RouterSession[] unopened;
        lock (_gate)
        {
            unopened = [.. _sessions.Values.Where(s => !s.IsOpen && now - s.Started >= _options.OpenTimeout)];
            foreach (PendingConnect pending in _pending.Values.Where(p => p.Deadline <= now).ToArray())
            {
                EndPendingLocked(pending);
                PostLocked(pending.Caller, new P.Result(pending.CallerRequestId, RouterStatus.Unavailable, "the node did not answer."));
            }

            foreach (RouterRelayBinding binding in _bindings.Values.SelectMany(b => b).Where(b => b.IsStale(now, _options.RelayUnusedTimeout, _options.RelayIdleTimeout)).ToArray())
            {
                UnbindLocked(binding);
            }

            // A client whose NAT mapping changed: its router link moved with it; its relay channels follow.
            foreach (RouterSession session in _sessions.Values)
            {
                if (session.RefreshObserved())
                {
                    RebindLocked(session);
                }
            }

            SweepClusterLocked(now);
        }

        // Outside the lock: a disconnect runs the session's end (Remove), which takes it.
        foreach (RouterSession session in unopened)
        {
            _ = session.Peer.DisconnectAsync(DisconnectReason.ReadTimeout).AsTask();
        }
    }

    /// <summary>Serves one request; what needs the cluster completes later (the read loop waits for it, so one session's requests stay in order).</summary>
    private ValueTask Handle(RouterSession session, SessionOutbox outbox, in ProtocolMessage message)
    {
        // A payload that does not decode throws MessageFormatException: the node drops the session (breach of protocol).
        switch (message.Code)
        {
            case 0:
                Open(session, outbox, message.Decode<P.Open>());
                return ValueTask.CompletedTask;
            case 1:
                P.Who who = message.Decode<P.Who>();
                return Admit(session, outbox, who.RequestId) ? WhoAsync(session, outbox, who) : ValueTask.CompletedTask;
            case 2:
                P.Connect connect = message.Decode<P.Connect>();
                return Admit(session, outbox, connect.RequestId) ? Connect(session, outbox, connect) : ValueTask.CompletedTask;
            case 3:
                P.Answer answer = message.Decode<P.Answer>();
                if (Admit(session, outbox, answer.RequestId))
                {
                    AnswerConnect(session, outbox, answer);
                }

                return ValueTask.CompletedTask;
            case 4:
                P.CreateRoom create = message.Decode<P.CreateRoom>();
                return Admit(session, outbox, create.RequestId) ? EnterRoomAsync(session, outbox, create.RequestId, create.Name, create: true) : ValueTask.CompletedTask;
            case 5:
                P.JoinRoom join = message.Decode<P.JoinRoom>();
                return Admit(session, outbox, join.RequestId) ? EnterRoomAsync(session, outbox, join.RequestId, join.Name, create: false) : ValueTask.CompletedTask;
            case 6:
                P.LeaveRoom leave = message.Decode<P.LeaveRoom>();
                return Admit(session, outbox, leave.RequestId) ? LeaveRoomAsync(session, outbox, leave) : ValueTask.CompletedTask;
            case 7:
                P.ListRooms list = message.Decode<P.ListRooms>();
                return Admit(session, outbox, list.RequestId) ? ListRoomsAsync(session, outbox, list) : ValueTask.CompletedTask;
            default:
                // Codes 8–15 go from the router to clients; a client sending one breaks the protocol.
                Interlocked.Increment(ref _malformed);
                throw new MessageFormatException(0, $"code {message.Code} is sent by the router, not by clients.");
        }
    }

    /// <summary>Checks the rate and that the session is open; answers the request with the refusal when not.</summary>
    private bool Admit(RouterSession session, SessionOutbox outbox, uint requestId)
    {
        if (!session.Rate.TryTake(_options.Time.GetUtcNow()))
        {
            Interlocked.Increment(ref _throttled);
            // Refusals are answered at the signaling rate too; past that the flood is dropped unanswered (counted), so a flood cannot make the router send as much as it receives.
            session.Throttled++;
            if (session.Notices.TryTake(_options.Time.GetUtcNow()))
            {
                Post(session, outbox, new P.Result(requestId, RouterStatus.Throttled, "too many control messages; slow down."));
            }

            return false;
        }

        if (!session.IsOpen)
        {
            Post(session, outbox, new P.Result(requestId, RouterStatus.NotOpen, "open the session first."));
            return false;
        }

        return true;
    }

    private void Open(RouterSession session, SessionOutbox outbox, P.Open open)
    {
        if (!session.Rate.TryTake(_options.Time.GetUtcNow()))
        {
            Interlocked.Increment(ref _throttled);
            return;
        }

        if (_options.TokenSecret is { } secret)
        {
            RouterStatus status = RouterAccessToken.Check(open.Token, secret, session.Id, _options.Time.GetUtcNow());
            if (status != RouterStatus.Ok)
            {
                Interlocked.Increment(ref _refusedSessions);
                string detail = status == RouterStatus.Expired ? "the access token has expired." : "a valid access token is required.";
                // The refusal goes out, then the session ends: a refused session must not hold a MaxSessions slot.
                if (!outbox.TryPostThenDisconnect(new P.Opened(status, detail, string.Empty), DisconnectReason.UselessPeer))
                {
                    _ = session.Peer.DisconnectAsync(DisconnectReason.UselessPeer).AsTask();
                }

                return;
            }
        }

        if (!TryCheckAddresses(open.LocalAddresses, out string? problem))
        {
            Interlocked.Increment(ref _malformed);
            Post(session, outbox, new P.Opened(RouterStatus.Malformed, problem, string.Empty));
            return;
        }

        lock (_gate)
        {
            session.LocalAddresses = open.LocalAddresses;
            session.IsOpen = true;
        }

        _backplane.SessionOpened(session.Id);

        Post(session, outbox, new P.Opened(RouterStatus.Ok, string.Empty, session.ObservedAddress ?? string.Empty));
    }

    private async ValueTask WhoAsync(RouterSession session, SessionOutbox outbox, P.Who who)
    {
        if (who.NodeIds.Length > RouterProtocol.MaxPresenceQuery || who.NodeIds.Any(id => id.Length != NodeId.Size))
        {
            Refuse(session, outbox, who.RequestId, RouterStatus.Malformed, $"name at most {RouterProtocol.MaxPresenceQuery} node ids of 32 bytes.");
            return;
        }

        byte[][] online;
        NodeId[] elsewhere;
        HashSet<NodeId>? listed = null;
        lock (_gate)
        {
            online = who.NodeIds.Length == 0
                ? [.. _sessions.Values.Where(s => s.IsOpen && s.Id != session.Id).Take(_options.MaxPresenceAnswer).Select(s => s.Id.ToArray())]
                : [.. who.NodeIds.Where(id => _sessions.TryGetValue(new NodeId(id), out RouterSession? s) && s.IsOpen)];
            elsewhere = _backplane.IsClustered ? [.. who.NodeIds.Where(id => !_sessions.TryGetValue(new NodeId(id), out RouterSession? s) || !s.IsOpen).Select(id => new NodeId(id))] : [];
            if (who.NodeIds.Length == 0 && _backplane.IsClustered && online.Length < _options.MaxPresenceAnswer)
            {
                // None named, in a cluster: this router's sessions first, then the directory's others, up to the same cap.
                listed = [.. _sessions.Keys];
                listed.Add(session.Id);
            }
        }

        if (elsewhere.Length > 0 || listed is not null)
        {
            try
            {
                NodeId[] more = listed is null
                    ? await _backplane.OnlineElsewhereAsync(elsewhere).ConfigureAwait(false)
                    : await _backplane.ListOnlineAsync(_options.MaxPresenceAnswer - online.Length, id => !listed.Contains(id)).ConfigureAwait(false);
                online = [.. online, .. more.Select(id => id.ToArray())];
            }
            catch (ClusterUnavailableException e)
            {
                Post(session, outbox, new P.Result(who.RequestId, RouterStatus.ClusterUnavailable, e.Message));
                return;
            }
        }

        Post(session, outbox, new P.Online(who.RequestId, online));
    }

    private ValueTask Connect(RouterSession session, SessionOutbox outbox, P.Connect connect)
    {
        if (connect.Target.Length != NodeId.Size || (connect.Room.Length > 0 && !RoomDirectory.IsValidName(connect.Room)))
        {
            Refuse(session, outbox, connect.RequestId, RouterStatus.Malformed, "the target must be a 32-byte node id (and the room a valid name).");
            return ValueTask.CompletedTask;
        }

        var target = new NodeId(connect.Target);
        lock (_gate)
        {
            if (target != session.Id && _backplane.IsClustered && (!_sessions.TryGetValue(target, out RouterSession? local) || !local.IsOpen))
            {
                // Not here: another router of the cluster may hold it.
                return ConnectElsewhereAsync(session, outbox, connect, target);
            }

            if (target == session.Id || !_sessions.TryGetValue(target, out RouterSession? to) || !to.IsOpen)
            {
                PostLocked(session.Id, new P.Result(connect.RequestId, RouterStatus.Unavailable, "the node is not online."));
                return ValueTask.CompletedTask;
            }

            if (session.PendingConnects >= _options.MaxPendingConnectsPerSession)
            {
                PostLocked(session.Id, new P.Result(connect.RequestId, RouterStatus.Busy, "too many connect requests waiting for answers."));
                return ValueTask.CompletedTask;
            }

            if (connect.Mode != RoutingMode.P2POnly && session.ObservedEndPoint is not null && Relay is not null && IsAtBindingCapLocked(session, target))
            {
                PostLocked(session.Id, new P.Result(connect.RequestId, RouterStatus.Busy, $"this session is part of {_options.MaxRelayBindingsPerSession} relay bindings already."));
                return ValueTask.CompletedTask;
            }

            uint id = ++_nextRequestId;
            _pending[id] = new PendingConnect(id, session.Id, connect.RequestId, target, connect.Mode, _options.Time.GetUtcNow() + _options.AnswerTimeout, session, to);
            session.PendingConnects++;
            if (!PostNoticeLocked(target, new P.Incoming(id, session.Id.ToArray(), connect.Room)))
            {
                // The target is not reading: the caller hears at once what it would hear at the deadline.
                EndPendingLocked(_pending[id]);
                PostLocked(session.Id, new P.Result(connect.RequestId, RouterStatus.Unavailable, "the node did not answer."));
            }
        }

        return ValueTask.CompletedTask;
    }

    private void AnswerConnect(RouterSession session, SessionOutbox outbox, P.Answer answer)
    {
        lock (_gate)
        {
            // Only the node asked may answer: the answerer is the session, never a field of the message.
            if (!_pending.TryGetValue(answer.RequestId, out PendingConnect? pending) || pending.TargetSession != session)
            {
                if (TryAnswerElsewhereLocked(session, answer))
                {
                    return;
                }

                Interlocked.Increment(ref _malformed);
                PostLocked(session.Id, new P.Result(answer.RequestId, RouterStatus.Malformed, "no connect request with that id waits for this node's answer."));
                return;
            }

            EndPendingLocked(pending);
            if (!_sessions.TryGetValue(pending.Caller, out RouterSession? caller) || caller != pending.CallerSession)
            {
                return;
            }

            if (answer.Accept)
            {
                Links.Udp.RelayBinding? binding = pending.Mode == RoutingMode.P2POnly ? null : BindLocked(caller, session);
                PostLocked(caller.Id, new P.Candidates(pending.CallerRequestId, session.Id.ToArray(), session.Candidates(), binding?.FirstChannel ?? 0, pending.Mode));
                // Request id 0 on the target's side: it answers no request of the target's (whose ids start at 1).
                PostLocked(session.Id, new P.Candidates(0, caller.Id.ToArray(), caller.Candidates(), binding?.SecondChannel ?? 0, pending.Mode));
            }
            else
            {
                // Passed on as the target says: its own request to the caller may reach the router after this answer.
                // A target that claims it falsely keeps the caller waiting no longer than one that accepts and never
                // completes the handshake: the caller's connect timeout.
                PostLocked(caller.Id, answer.Crossed
                    ? new P.Result(pending.CallerRequestId, RouterStatus.Crossed, "the node is connecting to this node at the same time: its session is the one.")
                    : answer.RevealRefusal
                    ? new P.Result(pending.CallerRequestId, RouterStatus.Refused, "the node refused the connection.")
                    : new P.Result(pending.CallerRequestId, RouterStatus.Unavailable, "the node is not online."));
            }
        }
    }

    /// <summary>
    /// Binds a relay channel pair for two clients by their observed UDP addresses, replacing the pair's earlier binding;
    /// null when either is not on UDP, either is part of <see cref="RouterOptions.MaxRelayBindingsPerSession"/> other
    /// bindings, or the relay is full.
    /// </summary>
    private Links.Udp.RelayBinding? BindLocked(RouterSession caller, RouterSession target)
    {
        if (caller.ObservedEndPoint is not { } a || target.ObservedEndPoint is not { } b || Relay?.Invoke(a.AddressFamily) is not { } relay)
        {
            return null;
        }

        // A pair keeps its newest two bindings: crossed connect requests (each end asks at once) each keep theirs, and
        // repeated connects between the same two nodes do not pile up. At a session's cap, the pair's binding is replaced.
        (NodeId, NodeId) pair = RouterRelayBinding.KeyOf(caller.Id, target.Id);
        List<RouterRelayBinding> existing = _bindings.TryGetValue(pair, out List<RouterRelayBinding>? held) ? held : [];

        while (existing.Count >= 2
            || (existing.Count > 0 && (caller.Bindings.Count >= _options.MaxRelayBindingsPerSession || target.Bindings.Count >= _options.MaxRelayBindingsPerSession)))
        {
            UnbindLocked(existing[0]);
        }

        if (IsAtBindingCapLocked(caller, target.Id) || IsAtBindingCapLocked(target, caller.Id))
        {
            return null;
        }

        try
        {
            var binding = new RouterRelayBinding(pair, relay, relay.Bind(a, b), caller, target, _options.Time.GetUtcNow());
            existing.Add(binding);
            _bindings[pair] = existing; // again: unbinding the pair's last binding above removed its entry
            caller.Bindings.Add(binding);
            target.Bindings.Add(binding);
            return binding.Binding;
        }
        catch (Exception e) when (e is Links.Udp.RelayLimitException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Whether a new binding between <paramref name="session"/> and <paramref name="other"/> would put the session over its cap (the pair's own binding is replaced, so it does not count).</summary>
    private bool IsAtBindingCapLocked(RouterSession session, NodeId other) =>
        session.Bindings.Count(b => b.First.Id != other && b.Second.Id != other) >= _options.MaxRelayBindingsPerSession;

    /// <summary>Points the client's side of each of its relay bindings at the address its session is seen at now.</summary>
    private void RebindLocked(RouterSession session)
    {
        if (session.ObservedEndPoint is not { } address)
        {
            return;
        }

        foreach (RouterRelayBinding binding in session.Bindings)
        {
            if (binding.Switch.Rebind(binding.First == session ? binding.Binding.FirstChannel : binding.Binding.SecondChannel, address))
            {
                Interlocked.Increment(ref _rebinds);
            }
        }
    }

    /// <summary>Unbinds on the switch the binding was made on and forgets it on both sessions.</summary>
    private void UnbindLocked(RouterRelayBinding binding)
    {
        binding.Switch.Unbind(binding.Binding);
        if (_bindings.TryGetValue(binding.Pair, out List<RouterRelayBinding>? pair) && pair.Remove(binding) && pair.Count == 0)
        {
            _bindings.Remove(binding.Pair);
        }

        binding.First.Bindings.Remove(binding);
        binding.Second.Bindings.Remove(binding);
    }

    private async ValueTask EnterRoomAsync(RouterSession session, SessionOutbox outbox, uint requestId, string name, bool create)
    {
        RoomChange change;
        if (!_backplane.IsClustered)
        {
            // Alone, the rooms answer at once: the change, its answer and its notices under the one lock, so the notice of
            // a concurrent join never reaches a member before that member's own answer.
            lock (_gate)
            {
                change = _backplane.EnterRoomAsync(name, session.Id, create).GetAwaiter().GetResult();
                AnswerEnterRoom(session, outbox, requestId, name, change);
            }

            return;
        }

        await _roomOrder.WaitAsync().ConfigureAwait(false);
        try
        {
            change = await _backplane.EnterRoomAsync(name, session.Id, create).ConfigureAwait(false);
            AnswerEnterRoom(session, outbox, requestId, name, change);
        }
        catch (ClusterUnavailableException e)
        {
            Post(session, outbox, new P.Result(requestId, RouterStatus.ClusterUnavailable, e.Message));
        }
        finally
        {
            _roomOrder.Release();
        }
    }

    private void AnswerEnterRoom(RouterSession session, SessionOutbox outbox, uint requestId, string name, RoomChange change)
    {
        if (change.Status == RouterStatus.Malformed)
        {
            Interlocked.Increment(ref _malformed);
        }

        Post(session, outbox, new P.Room(requestId, change.Status, name, [.. change.Members.Select(m => m.ToArray())]));
        if (change.Changed)
        {
            TellRoom(change, session.Id, joined: true);
        }
    }

    private async ValueTask LeaveRoomAsync(RouterSession session, SessionOutbox outbox, P.LeaveRoom leave)
    {
        RoomChange change;
        if (!_backplane.IsClustered)
        {
            lock (_gate)
            {
                change = _backplane.LeaveRoomAsync(leave.Name, session.Id).GetAwaiter().GetResult();
                AnswerLeaveRoom(session, outbox, leave, change);
            }

            return;
        }

        await _roomOrder.WaitAsync().ConfigureAwait(false);
        try
        {
            change = await _backplane.LeaveRoomAsync(leave.Name, session.Id).ConfigureAwait(false);
            AnswerLeaveRoom(session, outbox, leave, change);
        }
        catch (ClusterUnavailableException e)
        {
            Post(session, outbox, new P.Result(leave.RequestId, RouterStatus.ClusterUnavailable, e.Message));
        }
        finally
        {
            _roomOrder.Release();
        }
    }

    private void AnswerLeaveRoom(RouterSession session, SessionOutbox outbox, P.LeaveRoom leave, RoomChange change)
    {
        Post(session, outbox, new P.Result(leave.RequestId, change.Status, change.Status == RouterStatus.Ok ? string.Empty : "not a member of that room."));
        if (change.Changed)
        {
            TellRoom(change, session.Id, joined: false);
        }
    }

    private async ValueTask ListRoomsAsync(RouterSession session, SessionOutbox outbox, P.ListRooms list)
    {
        try
        {
            Post(session, outbox, new P.Rooms(list.RequestId, await _backplane.RoomNamesAsync(_options.MaxRoomsListed).ConfigureAwait(false)));
        }
        catch (ClusterUnavailableException e)
        {
            Post(session, outbox, new P.Result(list.RequestId, RouterStatus.ClusterUnavailable, e.Message));
        }
    }

    /// <summary>
    /// Ends a session: its relay bindings and its pending connects (as caller or target) always go; its slot, outbox
    /// and rooms only when no newer session of the same node took them (a fast reconnect).
    /// </summary>
    private async ValueTask RemoveAsync(RouterSession session)
    {
        bool owner;
        lock (_gate)
        {
            owner = _sessions.TryGetValue(session.Id, out RouterSession? current) && current == session;
            if (owner)
            {
                _sessions.Remove(session.Id);
                _outboxes.Remove(session.Id);
            }

            foreach (RouterRelayBinding binding in session.Bindings.ToArray())
            {
                UnbindLocked(binding);
            }

            foreach (PendingConnect pending in _pending.Values.Where(p => p.CallerSession == session || p.TargetSession == session).ToArray())
            {
                EndPendingLocked(pending);
                if (pending.TargetSession == session && _sessions.TryGetValue(pending.Caller, out RouterSession? caller) && caller == pending.CallerSession)
                {
                    PostLocked(pending.Caller, new P.Result(pending.CallerRequestId, RouterStatus.Unavailable, "the node is not online."));
                }
            }

            EndClusterSessionLocked(session);
            if (owner && session.IsOpen && !_backplane.IsClustered)
            {
                // Alone: the session leaves its rooms under the same lock that removed it, as one change.
                foreach (RoomChange change in _backplane.SessionEndedAsync(session.Id).GetAwaiter().GetResult())
                {
                    TellRoom(change, session.Id, joined: false);
                }

                return;
            }
        }

        if (owner && session.IsOpen)
        {
            foreach (RoomChange change in await _backplane.SessionEndedAsync(session.Id).ConfigureAwait(false))
            {
                TellRoom(change, session.Id, joined: false);
            }
        }
    }

    private void EndPendingLocked(PendingConnect pending)
    {
        if (_pending.Remove(pending.Id) && pending.CallerSession.PendingConnects > 0)
        {
            pending.CallerSession.PendingConnects--;
        }
    }

    /// <summary>Tells the other members of a room that <paramref name="who"/> joined or left: those of this router at once, those of other routers through the backplane (a notice that cannot go is dropped and counted).</summary>
    private void TellRoom(RoomChange change, NodeId who, bool joined)
    {
        byte[] id = who.ToArray();
        var elsewhere = new List<NodeId>();
        lock (_gate)
        {
            foreach (NodeId member in change.Members)
            {
                if (member == who)
                {
                    continue;
                }

                if (_outboxes.ContainsKey(member))
                {
                    PostNoticeLocked(member, new P.RoomChanged(change.Name, id, joined));
                }
                else if (_backplane.IsClustered)
                {
                    elsewhere.Add(member);
                }
            }
        }

        if (elsewhere.Count > 0)
        {
            _ = TellElsewhereAsync(change.Name, who, joined, [.. elsewhere]);
        }
    }

    private async Task TellElsewhereAsync(string room, NodeId who, bool joined, NodeId[] members)
    {
        int untold = await _backplane.TellRoomAsync(room, who, joined, members).ConfigureAwait(false);
        Interlocked.Add(ref _droppedNotices, untold);
    }

    private void Refuse(RouterSession session, SessionOutbox outbox, uint requestId, RouterStatus status, string detail)
    {
        if (status == RouterStatus.Malformed)
        {
            Interlocked.Increment(ref _malformed);
        }

        Post(session, outbox, new P.Result(requestId, status, detail));
    }

    private void PostLocked<T>(NodeId to, T message) where T : IMessage<T>
    {
        if (_outboxes.TryGetValue(to, out SessionOutbox? outbox) && _sessions.TryGetValue(to, out RouterSession? session))
        {
            Post(session, outbox, message);
        }
    }

    /// <summary>
    /// Posts a notice another session's request caused (<see cref="P.Incoming"/>, <see cref="P.RoomChanged"/>): when
    /// the outbox is full it is dropped and counted, so one session's churn cannot get another disconnected.
    /// </summary>
    private bool PostNoticeLocked<T>(NodeId to, T message) where T : IMessage<T>
    {
        if (_outboxes.TryGetValue(to, out SessionOutbox? outbox) && !outbox.TryPost(message))
        {
            Interlocked.Increment(ref _droppedNotices);
            return false;
        }

        return true;
    }

    /// <summary>Posts an answer to the session's own request; a full outbox means the client stopped reading its answers, and it is dropped.</summary>
    private static void Post<T>(RouterSession session, SessionOutbox outbox, T message) where T : IMessage<T>
    {
        if (!outbox.TryPost(message))
        {
            // Never disconnect under _gate (the session's end takes it): from the thread pool.
            ThreadPool.UnsafeQueueUserWorkItem(static peer => _ = peer.DisconnectAsync(DisconnectReason.ReadTimeout).AsTask(), session.Peer, preferLocal: false);
        }
    }

    private static bool TryCheckAddresses(string[] addresses, [NotNullWhen(false)] out string? problem)
    {
        if (addresses.Length > RouterProtocol.MaxLocalAddresses)
        {
            problem = $"at most {RouterProtocol.MaxLocalAddresses} local addresses.";
            return false;
        }

        foreach (string address in addresses)
        {
            if (address.Length > 64 || !NodeAddress.TryParse(address, out NodeAddress? parsed) || parsed.Scheme != NodeAddress.Udp || parsed.Id is not null
                || !parsed.TryGetIPEndPoint(out _) || parsed.Port is <= 0)
            {
                problem = $"\"{(address.Length > 64 ? address[..64] + "…" : address)}\" is not a udp://ip:port address.";
                return false;
            }
        }

        problem = null;
        return true;
    }
}
