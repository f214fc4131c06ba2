using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using PeerKit.Links;
using PeerKit.Memory;
using PeerKit.Sessions;

namespace PeerKit;

/// <summary>
/// Sets up the session over each new link (go-ethereum's <c>setupConn</c> and its checkpoints in
/// <c>p2p/server.go</c>): identity checks, the hello exchange (<see cref="SessionHandshake"/>), the accept policy,
/// admission (<see cref="Admission{TSession}"/>), the confirmation round trip, and watching each admitted peer until
/// it ends. It reports every step through <see cref="NodeEvents"/>.
/// </summary>
internal sealed class SessionSetup
{
    private readonly PeerNodeOptions _options;
    private readonly NodeId _localId;
    private readonly IProtocol[] _protocols;
    private readonly Capability[] _capabilities;
    private readonly Admission<Peer> _admission;
    private readonly Dialer _dialer;
    private readonly AddressBook _addresses;
    private readonly NodeEvents _events;
    private readonly Func<int> _listenPort;
    private readonly CancellationToken _stop;
    private readonly PeerSettings _peerSettings;
    private readonly ConcurrentDictionary<Peer, Task> _watchers = new();
    private readonly MemoryBudget? _budget; // the node's, which each session's link and queues charge

    public SessionSetup(PeerNodeOptions options, NodeId localId, Admission<Peer> admission, Dialer dialer, AddressBook addresses, NodeEvents events, Func<int> listenPort, CancellationToken stop, MemoryBudget? budget = null)
    {
        _budget = budget;
        _options = options;
        _localId = localId;
        _protocols = [.. options.Protocols];
        _capabilities = [.. _protocols.Select(p => p.Descriptor.Capability)];
        _admission = admission;
        _dialer = dialer;
        _addresses = addresses;
        _events = events;
        _listenPort = listenPort;
        _stop = stop;
        _peerSettings = new PeerSettings
        {
            PingTimeout = options.PingTimeout,
            PingInterval = options.PingInterval,
            IdleTimeout = options.IdleTimeout,
            DisconnectTimeout = options.DisconnectTimeout,
            ReadQueueCapacity = options.ReadQueueCapacity,
            ReadQueueBytes = options.ReadQueueBytes,
            Establish = OnEstablished,
            MessageEvents = options.EnableMessageEvents ? events.Message : null,
        };
    }

    /// <summary>Completes when every admitted peer has ended and been reported.</summary>
    public Task WhenAllEndedAsync() => Task.WhenAll(_watchers.Values);

    /// <summary>
    /// The session over a new link: identity checks, the hello exchange, the accept policy, admission, and the
    /// confirmation round trip. Returns the established peer; when this link lost to another session with the same
    /// node (a duplicate, or a simultaneous connect), returns that session's peer.
    /// </summary>
    public async Task<Peer> EstablishAsync(IMessageLink link, bool isInbound, NodeId? expectedId, string address, string? scheme, Dialer.DialHandle? dial, CancellationToken cancellationToken, Action? helloReceived = null)
    {
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop);
        handshake.CancelAfter(_options.HandshakeTimeout);
        using System.Diagnostics.Activity? trace = Diagnostics.PeerKitActivities.StartHandshake(isInbound, address);
        Peer? peer = null;
        StrongBox<Peer?>? owner = null;
        MemoryAccount? account = null;
        try
        {
            if (_budget is { } budget)
            {
                if (budget.Policy == MemoryBudgetPolicy.Refuse && !budget.HasRoom)
                {
                    budget.OnExhausted();
                    throw await RefuseAsync(link, address, DisconnectReason.MemoryBudgetExceeded).ConfigureAwait(false);
                }

                // From here on, what the link holds counts against the node's budget; the policy may end the session.
                owner = new StrongBox<Peer?>();
                account = budget.Open(() => Evict(link, owner));
                if (link is IAccountedLink accounted)
                {
                    accounted.ChargeTo(account);
                }
            }

            if (expectedId is { } expected && link.RemoteId != expected)
            {
                throw await RefuseAsync(link, address, DisconnectReason.UnexpectedIdentity).ConfigureAwait(false);
            }

            if (link.RemoteId == _localId)
            {
                throw await RefuseAsync(link, address, DisconnectReason.ConnectedToSelf).ConfigureAwait(false);
            }

            int listenPort = _listenPort();

            var hello = new BaseProtocol.Hello(BaseProtocol.ProtocolVersion, _options.Name, _capabilities, listenPort, _localId.ToArray());
            HelloOutcome outcome = await SessionHandshake.ExchangeAsync(link, hello, _protocols, handshake.Token).ConfigureAwait(false);
            helloReceived?.Invoke();
            if (outcome.Refusal is { } refusal)
            {
                throw await RefuseAsync(link, address, refusal, outcome.IsRemote).ConfigureAwait(false);
            }

            BaseProtocol.Hello remote = outcome.Remote!;
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

            // Simultaneous connect: the node with the smaller id lets its own dial to this node reach admission
            // first, so that the session it initiated is the one both sides keep.
            // The wait is bounded by half the handshake timeout: a dial of ours that is still looking for the peer
            // (a stale address) must not hold up the session the peer opened.
            if (isInbound && _admission.IsArbiter(link.RemoteId))
            {
                Task idle = _dialer.WhenIdleAsync(link.RemoteId);
                if (!idle.IsCompleted)
                {
                    using var bound = CancellationTokenSource.CreateLinkedTokenSource(handshake.Token);
                    bound.CancelAfter(_options.HandshakeTimeout / 2);
                    try
                    {
                        await idle.WaitAsync(bound.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!handshake.IsCancellationRequested)
                    {
                        // Our dial is still looking for the peer: admit this session instead.
                    }
                }
            }

            ProtocolSlot[] slots = [.. outcome.Shared.Select(s => new ProtocolSlot(s.Protocol, s.Protocol.Descriptor, s.Offset, _options.InboundQueueCapacity, _options.InboundQueueBytes, account))];
            var candidate = new Peer(link, isInbound, _admission.IsTrusted(link.RemoteId), remote, slots, _peerSettings, account);
            DisconnectReason? admission = _admission.Admit(candidate, candidate.Id, isInbound);
            dial?.Dispose();
            if (admission is { } refused)
            {
                if (refused == DisconnectReason.AlreadyConnected)
                {
                    await SessionFrame.TrySendDisconnectAsync(link, refused, _options.DisconnectTimeout).ConfigureAwait(false);
                    await link.DisposeAsync().ConfigureAwait(false);
                    return await JoinAsync(link.RemoteId, address, handshake.Token).ConfigureAwait(false);
                }

                throw await RefuseAsync(link, address, refused).ConfigureAwait(false);
            }

            peer = candidate;
            if (owner is not null)
            {
                Volatile.Write(ref owner.Value, peer);
            }

            _watchers[peer] = WatchAsync(peer);
            bool confirmed = await peer.StartAsync().WaitAsync(handshake.Token).ConfigureAwait(false);
            if (!confirmed)
            {
                PeerDisconnect end = await peer.Completion.ConfigureAwait(false);
                if (end.Reason == DisconnectReason.AlreadyConnected)
                {
                    return await JoinAsync(link.RemoteId, address, handshake.Token).ConfigureAwait(false);
                }

                _events.State(link.RemoteId, address, SessionFrame.EndState(end.Reason), end.Reason, end.IsRemote, null);
                throw new PeerConnectException(address, end.Reason, end.IsRemote);
            }

            if (isInbound && scheme is not null && link.RemoteAddress is IPEndPoint remoteEndPoint && remote.ListenPort is > 0 and <= 65535)
            {
                _addresses.Learn(new NodeAddress(scheme, remoteEndPoint.Address.ToString(), remote.ListenPort, peer.Id));
            }

            Diagnostics.PeerKitActivities.Established(trace, peer);
            return peer;
        }
        catch (OperationCanceledException) when (handshake.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            DisconnectReason reason = _stop.IsCancellationRequested ? DisconnectReason.ClientQuitting : DisconnectReason.ReadTimeout;
            if (peer is not null)
            {
                await peer.CloseAsync(reason, isRemote: false, sendDisconnect: true).ConfigureAwait(false);
                _events.State(link.RemoteId, address, SessionFrame.EndState(reason), reason, false, null);
                throw new PeerConnectException(address, reason, isRemote: false);
            }

            throw await RefuseAsync(link, address, reason).ConfigureAwait(false);
        }
        catch (LinkException e)
        {
            if (peer is not null)
            {
                await peer.CloseAsync(DisconnectReason.NetworkError, isRemote: false, sendDisconnect: false).ConfigureAwait(false);
            }
            else
            {
                await link.DisposeAsync().ConfigureAwait(false);
            }

            _events.State(link.RemoteId, address, ConnectionState.Closed, DisconnectReason.NetworkError, false, null);
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
        finally
        {
            if (peer is null)
            {
                account?.Close(); // a peer closes its own account when it ends
            }
        }
    }

    /// <summary>The memory budget's policy chose this session: ends the peer, or the link before there is one.</summary>
    private void Evict(IMessageLink link, StrongBox<Peer?> owner)
    {
        if (Volatile.Read(ref owner.Value) is { } peer)
        {
            _ = peer.CloseAsync(DisconnectReason.MemoryBudgetExceeded, isRemote: false, sendDisconnect: true);
        }
        else
        {
            _ = link.DisposeAsync().AsTask();
        }
    }

    /// <summary>This link lost to another session with the same node: waits for that session and returns its peer.</summary>
    private async Task<Peer> JoinAsync(NodeId id, string address, CancellationToken cancellationToken)
    {
        Peer? winner = await _admission.WhenEstablishedAsync(id, cancellationToken).ConfigureAwait(false);
        if (winner is not null)
        {
            return winner;
        }

        // The session this link lost to did not come up within the handshake timeout (or the node stopped).
        _events.State(id, address, ConnectionState.Closed, DisconnectReason.AlreadyConnected, false, null);
        throw new PeerConnectException(address, DisconnectReason.AlreadyConnected, isRemote: false);
    }

    /// <summary>Lists a peer both sides admitted (called once, by the peer's read loop) and announces it.</summary>
    private bool OnEstablished(Peer peer)
    {
        if (!_admission.TryEstablish(peer, peer.Id, peer.IsInbound))
        {
            return false;
        }

        string? address = peer.RemoteAddress?.ToString();
        _events.Publish(new PeerEvent(PeerEventKind.PeerAdded, peer.Id, address) { Peer = peer, State = ConnectionState.Connected });
        _events.State(peer.Id, address, ConnectionState.Connected, null, false, peer);
        return true;
    }

    /// <summary>Takes an admitted peer out of the table when it ends, and announces the end of an established one.</summary>
    private async Task WatchAsync(Peer peer)
    {
        PeerDisconnect end = await peer.Completion.ConfigureAwait(false);
        bool wasEstablished = _admission.Remove(peer, peer.Id);
        if (wasEstablished && peer.WasRunning)
        {
            ConnectionState state = SessionFrame.EndState(end.Reason);
            string? address = peer.RemoteAddress?.ToString();
            _events.Publish(new PeerEvent(PeerEventKind.PeerDropped, peer.Id, address) { Peer = peer, Reason = end.Reason, IsRemoteReason = end.IsRemote, State = state, Error = peer.Error });
            _events.State(peer.Id, address, state, end.Reason, end.IsRemote, peer);
        }

        _watchers.TryRemove(peer, out _);
    }

    /// <summary>Sends a Disconnect (best effort), closes the link, reports the state, and returns the exception to throw.</summary>
    private async Task<PeerConnectException> RefuseAsync(IMessageLink link, string address, DisconnectReason reason, bool isRemote = false)
    {
        if (!isRemote)
        {
            await SessionFrame.TrySendDisconnectAsync(link, reason, _options.DisconnectTimeout).ConfigureAwait(false);
        }

        await link.DisposeAsync().ConfigureAwait(false);
        _events.State(link.RemoteId, address, SessionFrame.EndState(reason), reason, isRemote, null);
        Diagnostics.PeerKitActivities.Failed(reason, isRemote);
        return new PeerConnectException(address, reason, isRemote);
    }
}
