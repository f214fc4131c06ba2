using System.Net;

namespace PeerKit.Links.Udp;

/// <summary>
/// Start on the relay, upgrade to direct (libp2p's DCUtR, ICE's nomination), fall back when the direct path dies: the
/// schedule of a link that has a relay path. It sends hole-punching probes (path challenges from the link's own socket
/// to the peer's server-reflexive address) every probe interval until the link's path validation moves it to a direct
/// address, or gives up after the probe timeout; it declares a direct path dead when nothing arrived on it and nothing
/// was newly acknowledged for the failure timeout while packets await acknowledgement, or when the peer, once heard on
/// the direct path, sends through the relay again and the direct path has been quiet for half of it; a failed direct path is probed again after the retry interval (60 s by
/// default, CLASP's). Owned by one link and used under its lock; takes the time (µs) and returns decisions.
/// </summary>
internal sealed class PathUpgrade
{
    private readonly long _probeInterval;
    private readonly long _probeTimeout;
    private readonly long _retryInterval;
    private readonly long _failureTimeout;
    private long _nextProbe;
    private long _deadline;
    private long _retryAt;
    private long _lastHeard;
    private bool _peerOnDirect; // the peer's packets came on the direct path since the move: it moved too

    /// <param name="probeInterval">Time between two probes of the candidate.</param>
    /// <param name="probeTimeout">How long a round of probing lasts before it gives up.</param>
    /// <param name="retryInterval">How long after a failure the candidate is probed again.</param>
    /// <param name="failureTimeout">The least silence on the direct path, with packets awaiting acknowledgement, that
    /// declares it dead (the link passes 3 × RTO when that is longer).</param>
    public PathUpgrade(long probeInterval, long probeTimeout, long retryInterval, long failureTimeout)
    {
        _probeInterval = probeInterval;
        _probeTimeout = probeTimeout;
        _retryInterval = retryInterval;
        _failureTimeout = failureTimeout;
    }

    public PathUpgradeState State { get; private set; }

    /// <summary>The direct address probed (or the one the link moved to).</summary>
    public SocketAddress? Candidate { get; private set; }

    /// <summary>Probes asked for.</summary>
    public long ProbesSent { get; private set; }

    /// <summary>Moves back to the relay.</summary>
    public long Fallbacks { get; private set; }

    /// <summary>When the next round of probing starts (µs), while <see cref="PathUpgradeState.Failed"/>.</summary>
    public long RetryAt => _retryAt;

    /// <summary>Probe <paramref name="candidate"/> from now (a new candidate, or the same one again at once).</summary>
    public void Start(SocketAddress candidate, long now)
    {
        if (State == PathUpgradeState.Direct && Candidate is { } current && current.Equals(candidate))
        {
            return;
        }

        Candidate = UdpEndpoint.Clone(candidate);
        State = PathUpgradeState.Probing;
        _nextProbe = now;
        _deadline = now + _probeTimeout;
    }

    /// <summary>The timer: a probe due, probing over, or the direct path dead.</summary>
    /// <param name="now">The time.</param>
    /// <param name="awaitingAck">Whether packets the peer should acknowledge are in flight.</param>
    /// <param name="rto">The link's retransmission timeout (not backed off).</param>
    public PathUpgradeAction OnTick(long now, bool awaitingAck, long rto)
    {
        switch (State)
        {
            case PathUpgradeState.Probing:
                if (now >= _deadline)
                {
                    Fail(now);
                    return PathUpgradeAction.GaveUp;
                }

                if (now >= _nextProbe)
                {
                    _nextProbe = now + _probeInterval;
                    ProbesSent++;
                    return PathUpgradeAction.Probe;
                }

                return PathUpgradeAction.None;
            case PathUpgradeState.Direct:
                if (awaitingAck && now - _lastHeard >= FailureTimeout(rto))
                {
                    Fail(now);
                    Fallbacks++;
                    return PathUpgradeAction.FallBack;
                }

                return PathUpgradeAction.None;
            case PathUpgradeState.Failed when Candidate is not null && now >= _retryAt:
                State = PathUpgradeState.Probing;
                _deadline = now + _probeTimeout;
                _nextProbe = now + _probeInterval;
                ProbesSent++;
                return PathUpgradeAction.Probe;
            default:
                return PathUpgradeAction.None;
        }
    }

    /// <summary>The link's path validation moved it to the direct address <paramref name="address"/>.</summary>
    public void OnMovedDirect(SocketAddress address, long now)
    {
        Candidate = address;
        State = PathUpgradeState.Direct;
        _lastHeard = now;
        _peerOnDirect = false;
    }

    /// <summary>An authenticated packet arrived on the direct path the link is on: the peer is on it too.</summary>
    public void OnHeardDirect(long now)
    {
        _lastHeard = now;
        _peerOnDirect = true;
    }

    /// <summary>
    /// An acknowledgement (on either path) newly acknowledged packets: what the link sends arrives, so its direct path
    /// is not dead, even while the peer, not moved yet, answers through the relay.
    /// </summary>
    public void OnAcknowledged(long now)
    {
        if (State == PathUpgradeState.Direct)
        {
            _lastHeard = now;
        }
    }

    /// <summary>
    /// An authenticated packet arrived through the relay while the link is on a direct path: the peer fell back, if it
    /// had been heard on the direct path since the move (before that it has not moved yet: its own validation of the
    /// direct path is still under way). True when it fell back and the direct path has been quiet for half the failure
    /// timeout: fall back too.
    /// </summary>
    public bool OnRelayedPacket(long now, long rto)
    {
        if (State != PathUpgradeState.Direct || !_peerOnDirect || now - _lastHeard < FailureTimeout(rto) / 2)
        {
            return false;
        }

        Fail(now);
        Fallbacks++;
        return true;
    }

    private long FailureTimeout(long rto) => Math.Max(_failureTimeout, 3 * rto);

    private void Fail(long now)
    {
        State = PathUpgradeState.Failed;
        _retryAt = now + _retryInterval;
    }
}
