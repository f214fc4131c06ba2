namespace PeerKit.Links.Udp;

/// <summary>
/// Path MTU discovery (RFC 8899 DPLPMTUD; docs/udp.md, "Path MTU discovery"), in bytes of UDP payload. The link starts
/// at the base size (both sides' <see cref="UdpLinkOptions.Mtu"/>) and probes larger sizes up to the ceiling (both
/// sides' <see cref="UdpLinkOptions.MaxMtu"/>): the ceiling first, since most paths carry it, then a binary search.
/// A probe is an authenticated packet of a PING and padding, outside congestion control, resent up to
/// <see cref="UdpWire.MaxProbes"/> times before its size counts as too large. Losses of only large packets, in
/// <see cref="UdpWire.BlackHoleLossEvents"/> loss events in a row, are a black hole: back to the base size, and a
/// new search later. Owned by one link and used under its lock; it decides, the link sends. Times in microseconds.
/// </summary>
internal sealed class PathMtuDiscovery
{
    private readonly long _searchInterval;
    private int _packetSize;
    private int _searchLow; // the largest size confirmed in this search
    private int _searchHigh; // the largest size not yet known to fail
    private int _probeTarget; // the size being searched for; 0 when no search is under way
    private int _probeAttempts; // probes of _probeTarget lost so far
    private int _probeSize; // the size of the probe in flight; 0 when none is
    private ulong _probePn;
    private long _probeSentAt;
    private long _probePingAt;
    private long _probeNotBefore;
    private long _searchAt = long.MaxValue; // when the next search starts (the raise timer)
    private int _suspiciousLosses; // loss events that lost only packets above the base size, since one was acknowledged
    private bool _lostLarge;
    private bool _lostSmall;

    /// <param name="baseSize">The size packets never go below.</param>
    /// <param name="maxSize">The search's ceiling.</param>
    /// <param name="searchInterval">How long after a search ends below the ceiling the next one starts (µs).</param>
    /// <param name="now">The link's start: the first search starts then (probes wait for the link to be confirmed).</param>
    public PathMtuDiscovery(int baseSize, int maxSize, long searchInterval, long now)
    {
        BaseSize = baseSize;
        MaxSize = Math.Max(baseSize, maxSize);
        _searchInterval = searchInterval;
        _packetSize = baseSize;
        if (MaxSize > BaseSize)
        {
            StartSearch(now);
        }
    }

    /// <summary>The base size (BASE_PLPMTU).</summary>
    public int BaseSize { get; }

    /// <summary>The ceiling.</summary>
    public int MaxSize { get; }

    /// <summary>The largest packet sent now (PLPMTU); read without the lock.</summary>
    public int PacketSize => Volatile.Read(ref _packetSize);

    /// <summary>A search is under way.</summary>
    public bool Searching => _probeTarget != 0;

    /// <summary>Probes sent.</summary>
    public long ProbesSent { get; private set; }

    /// <summary>Probes lost (too large, or lost for another reason).</summary>
    public long ProbesLost { get; private set; }

    /// <summary>Black holes detected.</summary>
    public long BlackHoles { get; private set; }

    /// <summary>The size of the probe to send now, or 0 (none due, one in flight, or waiting).</summary>
    public int ProbeDue(long now) => _probeTarget != 0 && _probeSize == 0 && now >= _probeNotBefore ? _probeTarget : 0;

    /// <summary>The probe of <paramref name="size"/> bytes left as packet <paramref name="pn"/>.</summary>
    public void OnProbeSent(int size, ulong pn, long now)
    {
        _probeSize = size;
        _probePn = pn;
        _probeSentAt = now;
        _probePingAt = 0;
        ProbesSent++;
    }

    /// <summary>The local interface refused the probe as too large (EMSGSIZE): it is lost, the next waits <paramref name="rto"/>.</summary>
    public void OnProbeTooLarge(long now, long rto)
    {
        OnProbeLost(now);
        _probeNotBefore = now + rto;
    }

    /// <summary>The probe was not sent for a reason that says nothing about its size: it goes again after <paramref name="rto"/>,
    /// not counted as one of its tries.</summary>
    public void OnProbeNotSent(long now, long rto)
    {
        _probeSize = 0;
        _probeNotBefore = now + rto;
    }

    /// <summary>Packets <paramref name="lo"/>..<paramref name="hi"/> were acknowledged.</summary>
    /// <returns>True when they include the probe and the packet size grew (the caller cuts frames for it).</returns>
    public bool OnAckRange(ulong lo, ulong hi, long now)
    {
        if (_probeSize == 0 || _probePn < lo || _probePn > hi)
        {
            return false;
        }

        int size = _probeSize;
        _probeSize = 0;
        _suspiciousLosses = 0;
        bool grew = false;
        if (size > _packetSize)
        {
            Volatile.Write(ref _packetSize, size);
            grew = true;
        }

        _searchLow = Math.Max(_searchLow, size);
        NextTarget(now);
        return grew;
    }

    /// <summary>A packet (not a probe) of <paramref name="size"/> bytes was acknowledged: one above the base size means no black hole.</summary>
    public void OnPacketAcked(int size)
    {
        if (size > BaseSize)
        {
            _suspiciousLosses = 0;
        }
    }

    /// <summary>A packet (not a probe) of <paramref name="size"/> bytes was lost in the current loss event.</summary>
    public void OnPacketLost(int size)
    {
        if (size > BaseSize)
        {
            _lostLarge = true;
        }
        else
        {
            _lostSmall = true;
        }
    }

    /// <summary>
    /// Ends one pass of loss detection. A pass that lost only packets above the base size is suspicious;
    /// <see cref="UdpWire.BlackHoleLossEvents"/> in a row, with none of them acknowledged in between, are a black hole:
    /// back to the base size, and a new search after 1 s, doubling with every black hole up to the search interval.
    /// </summary>
    /// <returns>True when the packet size went down (the caller cuts frames again).</returns>
    public bool EndLossEvent(long now)
    {
        bool suspicious = _lostLarge && !_lostSmall;
        _lostLarge = false;
        _lostSmall = false;
        if (!suspicious || _packetSize <= BaseSize || ++_suspiciousLosses < UdpWire.BlackHoleLossEvents)
        {
            return false;
        }

        BlackHoles++;
        long delay = Math.Min(_searchInterval, 1_000_000L << (int)Math.Min(BlackHoles - 1, 20));
        return Restart(now, delay);
    }

    /// <summary>
    /// The timer: starts the next search when the raise timer is due; a probe older than <paramref name="rto"/> is lost
    /// once a later packet was acknowledged (<paramref name="largestAcked"/>), which shows smaller packets get through:
    /// a link that hears nothing does not conclude its packets are too large.
    /// </summary>
    /// <returns>True when a PING should ask for that acknowledgement (at most once per <paramref name="backedOffRto"/>).</returns>
    public bool OnTick(long now, ulong? largestAcked, long rto, long backedOffRto)
    {
        if (_probeTarget == 0 && now >= _searchAt)
        {
            StartSearch(now);
            return false;
        }

        if (_probeSize == 0 || now - _probeSentAt < rto)
        {
            return false;
        }

        if (largestAcked is { } largest && largest > _probePn)
        {
            OnProbeLost(now);
            return false;
        }

        if (now >= _probePingAt)
        {
            _probePingAt = now + backedOffRto;
            return true;
        }

        return false;
    }

    /// <summary>Back to the base size, searching again after <paramref name="delay"/> µs: after a black hole, or on a new path.</summary>
    /// <returns>True when the packet size went down.</returns>
    public bool Restart(long now, long delay)
    {
        _suspiciousLosses = 0;
        if (MaxSize <= BaseSize)
        {
            return false;
        }

        bool down = _packetSize > BaseSize;
        if (down)
        {
            Volatile.Write(ref _packetSize, BaseSize);
        }

        StartSearch(now);
        _probeNotBefore = now + delay;
        return down;
    }

    private void StartSearch(long now)
    {
        _searchAt = long.MaxValue;
        _searchLow = _packetSize;
        _searchHigh = MaxSize;
        _probeAttempts = 0;
        _probeSize = 0;
        _probeTarget = _searchHigh > _searchLow ? _searchHigh : 0;
        _probeNotBefore = now;
    }

    private void NextTarget(long now)
    {
        _probeAttempts = 0;
        if (_searchHigh - _searchLow < UdpWire.SearchGranularity)
        {
            _probeTarget = 0;
            _searchAt = _packetSize < MaxSize ? now + _searchInterval : long.MaxValue;
            return;
        }

        _probeTarget = _searchLow + ((_searchHigh - _searchLow + 1) / 2);
    }

    private void OnProbeLost(long now)
    {
        _probeSize = 0;
        ProbesLost++;
        if (++_probeAttempts >= UdpWire.MaxProbes)
        {
            _searchHigh = _probeTarget - 1;
            NextTarget(now);
        }
    }
}
