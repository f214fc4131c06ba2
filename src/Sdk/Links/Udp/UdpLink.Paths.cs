using System.Net;

namespace PeerKit.Links.Udp;

/// <content>
/// The relay and direct paths (docs/udp.md, "Relay path"): which path the link is on, hole-punching probes of a direct
/// candidate, the fall back to the relay when the direct path dies, and its retry. Moving is the link's path validation
/// (<see cref="PathValidator"/>): the relay path is one more address, so nothing in flight is lost or delivered twice.
/// </content>
public sealed partial class UdpLink
{
    private readonly PathUpgrade _upgrade;
    private SocketAddress? _relayPath; // the relay path's address, when the link was established over a relay channel
    private uint _relayChannel;
    private int _relayChannelClosing; // 1: to close after the lock; 2: closed
    private TaskCompletionSource<bool>? _probeDone;

    /// <summary>
    /// The path the link's packets take now: <see cref="LinkPath.Relay"/> through a router, or
    /// <see cref="LinkPath.Direct"/>. What CLASP's <c>SendResult</c> reports (P2P or Relay) for a send made now.
    /// </summary>
    public LinkPath ActivePath
    {
        get
        {
            lock (_lock)
            {
                return _relayPath is { } relay && relay.Equals(_remote) ? LinkPath.Relay : LinkPath.Direct;
            }
        }
    }

    /// <summary>The relay channel the link was established over, or null for a link dialed or accepted directly.</summary>
    public RelayChannel? RelayChannel
    {
        get
        {
            lock (_lock)
            {
                return _relayPath is null ? null : _endpoint.FindRelayChannel(_relayPath);
            }
        }
    }

    /// <summary>
    /// Hole punching: sends path challenges from this link's socket to <paramref name="candidate"/> (the peer's
    /// server-reflexive address, as the router observes it) every <see cref="UdpLinkOptions.DirectProbeInterval"/>,
    /// and moves the link there once an answer comes back from it (path validation). Run it on both sides at once: each
    /// side's first packets open its own NAT's mapping for the other's. Nothing in flight is lost or repeated by the
    /// move. If the direct path later dies the link falls back to the relay by itself, and probes again after
    /// <see cref="UdpLinkOptions.DirectPathRetryInterval"/>.
    /// </summary>
    /// <param name="candidate">The peer's direct address to try.</param>
    /// <param name="cancellationToken">Stops waiting (probing goes on).</param>
    /// <returns>True once the link is on a direct path (maybe another address the peer's packets came from); false when
    /// <see cref="UdpLinkOptions.DirectProbeTimeout"/> passed without an answer (the link stays on the relay and tries
    /// again after the retry interval), or the link closed meanwhile.</returns>
    /// <exception cref="LinkClosedException">The link is closed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<bool> ProbeDirectPathAsync(IPEndPoint candidate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        SocketAddress address = _endpoint.ForSocket(candidate).Serialize();
        Task<bool> done;
        lock (_lock)
        {
            if (_state != State.Established)
            {
                return Task.FromException<bool>(ClosedExceptionLocked());
            }

            if (_upgrade.State == PathUpgradeState.Direct && !_remote.Equals(_relayPath))
            {
                return Task.FromResult(true);
            }

            _probeDone ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            done = _probeDone.Task;
            _upgrade.Start(address, UdpClock.Now);
            TickPathsLocked(UdpClock.Now);
        }

        AfterLock();
        return done.WaitAsync(cancellationToken);
    }

    /// <summary>The relay channel's path, when <paramref name="remote"/> is one (the link was set up over the relay).</summary>
    private void InitRelayPath(SocketAddress remote)
    {
        if (_endpoint.FindRelayChannel(remote) is { } channel)
        {
            _relayPath = channel.PathAddress;
            _relayChannel = channel.Channel;
        }
    }

    private bool OnRelay => _relayPath is { } relay && relay.Equals(_remote);

    /// <summary>
    /// An authenticated packet from <paramref name="source"/>, not the link's address. True when the path logic took
    /// care of it: a packet through the relay while the link is on a direct path is not a reason to validate the relay
    /// again (it is known); it means the peer fell back, and the link follows once its direct path has been quiet.
    /// </summary>
    private bool OnPacketFromOtherPathLocked(SocketAddress source, long now)
    {
        if (_relayPath is not { } relay || !source.Equals(relay))
        {
            return false;
        }

        if (_upgrade.OnRelayedPacket(now, _recovery.Rtt.Rto))
        {
            FallBackLocked(now);
        }
        else if (_upgrade.State == PathUpgradeState.Direct && _recovery.InFlightCount == 0)
        {
            // The peer has not moved yet (or fell back) and this side has nothing awaiting acknowledgement (it only
            // acknowledges): an ack-eliciting packet on the direct path shows within the failure timeout whether the
            // path still carries this side's packets, instead of only at the next keep-alive.
            _pingPending = true;
        }

        return true;
    }

    /// <summary>The link's timer: probes, giving up, and the direct path's death.</summary>
    private void TickPathsLocked(long now)
    {
        if (_upgrade.State == PathUpgradeState.Idle)
        {
            return;
        }

        switch (_upgrade.OnTick(now, _recovery.InFlightCount > 0, _recovery.Rtt.Rto))
        {
            case PathUpgradeAction.Probe:
                Span<byte> challenge = stackalloc byte[PathValidator.FrameSize];
                if (_paths.TryChallenge(_upgrade.Candidate!, now, 0, challenge, out SocketAddress destination))
                {
                    SendControlPacketLocked(challenge, destination, now);
                }

                break;
            case PathUpgradeAction.GaveUp:
                _probeDone?.TrySetResult(false);
                _probeDone = null;
                break;
            case PathUpgradeAction.FallBack:
                FallBackLocked(now);
                break;
        }
    }

    /// <summary>The link moved to <paramref name="address"/> after validating it.</summary>
    private void OnMovedLocked(SocketAddress address, long now)
    {
        if (_relayPath is { } relay && address.Equals(relay))
        {
            return;
        }

        if (_relayPath is not null || _upgrade.State != PathUpgradeState.Idle)
        {
            // A link without a relay path watches a direct path only when asked to probe one.
            _upgrade.OnMovedDirect(address, now);
        }

        _probeDone?.TrySetResult(true);
        _probeDone = null;
    }

    /// <summary>
    /// Back to the relay path, at once (it was validated when the link was set up, and only the router may send on it):
    /// everything in flight on the dead path goes again, through the relay, as after a RESUME.
    /// </summary>
    private void FallBackLocked(long now)
    {
        if (_relayPath is not { } relay || relay.Equals(_remote))
        {
            return;
        }

        SetRemoteLocked(relay);
        _recovery.TakeAll(_lost);
        foreach (SentPacket lost in _lost)
        {
            _packer.OnPacketLost(lost);
            _recovery.Recycle(lost);
        }

        _lost.Clear();
        _received.AckNow();
        _pingPending = true;
        if (_pmtu!.Restart(now, delay: 0))
        {
            OnPacketSizeDownLocked();
        }
    }

    private void SetRemoteLocked(SocketAddress address)
    {
        _remote = address;
        _remoteEndPoint = UdpEndpoint.ToEndPoint(address);
    }

    /// <summary>The link closed: its relay channel goes with it, once the last packets are out (<see cref="ReleaseRelayChannel"/>).</summary>
    private void ClosePathsLocked()
    {
        _probeDone?.TrySetResult(false);
        _probeDone = null;
        if (_relayPath is not null)
        {
            Volatile.Write(ref _relayChannelClosing, 1);
        }
    }

    /// <summary>
    /// Closes the closed link's relay channel after the lock, once the datagrams queued with the close (the
    /// acknowledgement of the peer's CLOSE) were handed to the socket: closed first, they would have nowhere to go.
    /// </summary>
    private void ReleaseRelayChannel()
    {
        if (Volatile.Read(ref _relayChannelClosing) == 1 && Interlocked.Exchange(ref _relayChannelClosing, 2) == 1)
        {
            _endpoint.CloseRelayChannel(_relayChannel);
        }
    }
}
