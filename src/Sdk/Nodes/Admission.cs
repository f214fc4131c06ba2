namespace PeerKit;

/// <summary>
/// The node's peer table and admission rules (go-ethereum's post-handshake checks in <c>p2p/server.go</c>): MaxPeers,
/// the inbound share from the dial ratio, trusted peers, and one session per node id. Thread-safe; it never waits and
/// never calls out, so it is tested alone with plain objects as sessions.
/// </summary>
/// <remarks>
/// <para><b>Duplicates and simultaneous connects.</b> Two nodes that dial each other at once each end up with two
/// sessions to the other. Exactly one must survive, the same one on both sides. The node with the smaller id is the
/// arbiter: it admits the first session for the other node and refuses later ones (<see cref="DisconnectReason.AlreadyConnected"/>),
/// and it defers an inbound session while its own dial to that node is in progress (see <see cref="Dialer"/>), so
/// that when both dials race, the one the smaller id initiated wins. The node with the larger id admits every
/// session as a candidate and lists the one the arbiter confirms; the arbiter refuses the others, which ends them on
/// both sides. Once a session is established, later ones are refused on both sides.</para>
/// </remarks>
/// <typeparam name="TSession">The session type (<see cref="Peer"/> in the node).</typeparam>
internal sealed class Admission<TSession>
    where TSession : class
{
    private readonly object _gate = new();
    private readonly NodeId _self;
    private readonly int _maxPeers;
    private readonly int _maxInbound;
    private readonly HashSet<NodeId> _trusted;
    private readonly Dictionary<NodeId, Entry> _entries = [];
    private readonly Dictionary<NodeId, TaskCompletionSource<TSession?>> _waiters = [];
    private TSession[] _established = [];
    private int _inbound;
    private bool _closed;

    public Admission(NodeId self, int maxPeers, int dialRatio, IEnumerable<NodeId> trusted)
    {
        _self = self;
        _maxPeers = maxPeers;
        _maxInbound = MaxInbound(maxPeers, dialRatio);
        _trusted = [.. trusted];
    }

    /// <summary>The established sessions (a snapshot, in the order they were established).</summary>
    public TSession[] Established => Volatile.Read(ref _established);

    /// <summary>Whether this node decides between duplicate sessions with <paramref name="remote"/> (it has the smaller id).</summary>
    public bool IsArbiter(NodeId remote) => Compare(_self, remote) < 0;

    /// <summary>Whether <paramref name="id"/> is admitted above the limits.</summary>
    public bool IsTrusted(NodeId id) => _trusted.Contains(id);

    /// <summary>Admits a session past the hello, or says why not.</summary>
    /// <returns><c>null</c> when admitted; otherwise the reason to refuse it.</returns>
    public DisconnectReason? Admit(TSession session, NodeId id, bool isInbound)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return DisconnectReason.ClientQuitting;
            }

            if (_entries.TryGetValue(id, out Entry? entry))
            {
                // One session per node: the arbiter keeps the first; the other side holds candidates until the
                // arbiter confirms one. An established session refuses every later one, on both sides.
                if (entry.Established is not null || IsArbiter(id))
                {
                    return DisconnectReason.AlreadyConnected;
                }

                entry.Candidates.Add(session);
                return null;
            }

            if (!_trusted.Contains(id))
            {
                if (_entries.Count >= _maxPeers)
                {
                    return DisconnectReason.TooManyPeers;
                }

                if (isInbound && _inbound >= _maxInbound)
                {
                    return DisconnectReason.TooManyPeers;
                }
            }

            entry = new Entry(isInbound);
            entry.Candidates.Add(session);
            _entries.Add(id, entry);
            if (isInbound)
            {
                _inbound++;
            }

            return null;
        }
    }

    /// <summary>Lists an admitted session once both sides admitted it.</summary>
    /// <returns><c>false</c> when the session was removed, another one is established, or the table is closed.</returns>
    public bool TryEstablish(TSession session, NodeId id, bool isInbound)
    {
        lock (_gate)
        {
            if (_closed || !_entries.TryGetValue(id, out Entry? entry) || entry.Established is not null || !entry.Candidates.Contains(session))
            {
                return false;
            }

            entry.Established = session;
            if (entry.IsInbound != isInbound)
            {
                _inbound += isInbound ? 1 : -1;
                entry.IsInbound = isInbound;
            }

            Volatile.Write(ref _established, [.. _established, session]);
            if (_waiters.Remove(id, out TaskCompletionSource<TSession?>? waiter))
            {
                waiter.TrySetResult(session);
            }

            return true;
        }
    }

    /// <summary>Removes an admitted session that ended.</summary>
    /// <returns>Whether it was the established one (then it was listed, and its end is announced).</returns>
    public bool Remove(TSession session, NodeId id)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(id, out Entry? entry) || !entry.Candidates.Remove(session))
            {
                return false;
            }

            bool wasEstablished = ReferenceEquals(entry.Established, session);
            if (wasEstablished)
            {
                entry.Established = null;
                Volatile.Write(ref _established, [.. _established.Where(s => !ReferenceEquals(s, session))]);
            }

            if (entry.Candidates.Count == 0)
            {
                _entries.Remove(id);
                if (entry.IsInbound)
                {
                    _inbound--;
                }
            }

            return wasEstablished;
        }
    }

    /// <summary>The established session with <paramref name="id"/>, if any.</summary>
    public TSession? Find(NodeId id)
    {
        lock (_gate)
        {
            return _entries.TryGetValue(id, out Entry? entry) ? entry.Established : null;
        }
    }

    /// <summary>
    /// Completes with the session with <paramref name="id"/> once one is established (at once when one is), even if
    /// it is not admitted yet: the arbiter may refuse this side's dial before the session it chose arrives here.
    /// Completes with <c>null</c> when the table closes or <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public async Task<TSession?> WhenEstablishedAsync(NodeId id, CancellationToken cancellationToken)
    {
        TaskCompletionSource<TSession?>? waiter;
        lock (_gate)
        {
            if (_entries.TryGetValue(id, out Entry? entry) && entry.Established is { } established)
            {
                return established;
            }

            if (_closed)
            {
                return null;
            }

            if (!_waiters.TryGetValue(id, out waiter))
            {
                waiter = NewWaiter();
                _waiters.Add(id, waiter);
            }
        }

        using (cancellationToken.UnsafeRegister(static state => ((TaskCompletionSource<TSession?>)state!).TrySetResult(null), waiter))
        {
            TSession? session = await waiter.Task.ConfigureAwait(false);
            if (session is null)
            {
                lock (_gate)
                {
                    // A cancelled waiter is replaced by a fresh one for the next caller.
                    if (_waiters.TryGetValue(id, out TaskCompletionSource<TSession?>? current) && ReferenceEquals(current, waiter))
                    {
                        _waiters.Remove(id);
                    }
                }
            }

            return session;
        }
    }

    /// <summary>Refuses every later admission and returns every admitted session, to be closed.</summary>
    public TSession[] Close()
    {
        lock (_gate)
        {
            _closed = true;
            foreach (TaskCompletionSource<TSession?> waiter in _waiters.Values)
            {
                waiter.TrySetResult(null);
            }

            _waiters.Clear();
            return [.. _entries.Values.SelectMany(e => e.Candidates)];
        }
    }

    /// <summary>The inbound share of <c>maxPeers</c>: go-ethereum's <c>MaxPeers - MaxPeers/DialRatio</c> (at least one dial slot); a ratio of 0 reserves none.</summary>
    internal static int MaxInbound(int maxPeers, int dialRatio)
    {
        if (dialRatio == 0 || maxPeers == 0)
        {
            return maxPeers;
        }

        return maxPeers - Math.Max(1, maxPeers / dialRatio);
    }

    /// <summary>Orders node ids by their bytes (big-endian), the same on every node.</summary>
    internal static int Compare(NodeId left, NodeId right)
    {
        Span<byte> a = stackalloc byte[NodeId.Size];
        Span<byte> b = stackalloc byte[NodeId.Size];
        left.WriteTo(a);
        right.WriteTo(b);
        return a.SequenceCompareTo(b);
    }

    private static TaskCompletionSource<TSession?> NewWaiter() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class Entry(bool isInbound)
    {
        public bool IsInbound { get; set; } = isInbound;

        public List<TSession> Candidates { get; } = [];

        public TSession? Established { get; set; }
    }
}
