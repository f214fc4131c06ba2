namespace PeerKit.Memory;

/// <summary>
/// The bytes a node's peers may make it hold at once, across all of them (<see cref="PeerNodeOptions.MemoryBudgetBytes"/>):
/// the frames waiting in link receive queues, partial UDP frames, frames held for reordering, and messages waiting in
/// session queues. Each peer charges and releases its own <see cref="MemoryAccount"/>; the budget sums them.
/// </summary>
/// <remarks>
/// Charging never fails: a producer asks <see cref="HasRoom"/> before it takes new data from a peer, and refuses it
/// when the budget is spent (a link stops reading its socket, or leaves reliable packets unacknowledged so they come
/// again later, or drops unreliable frames and counts them). It then calls <see cref="OnExhausted"/>, which counts the
/// refusal and, under <see cref="MemoryBudgetPolicy.DropLargestPeer"/>, evicts the account holding the most, one at a
/// time. What one charge may overshoot is one frame or one packet per producer. Bytes are cost units: a frame's
/// length plus 64 (<see cref="Links.LinkInbox.FrameCost"/>), a partial frame's buffers.
/// </remarks>
internal sealed class MemoryBudget
{
    private readonly Lock _gate = new();
    private readonly HashSet<MemoryAccount> _accounts = [];
    private long _used;
    private long _peak;
    private long _refused;
    private long _evicted;
    private MemoryAccount? _evicting;
    private TaskCompletionSource? _room;

    /// <param name="limit">The bytes all accounts may hold together.</param>
    /// <param name="policy">What happens when it is spent.</param>
    public MemoryBudget(long limit, MemoryBudgetPolicy policy)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        Limit = limit;
        Policy = policy;
    }

    /// <summary>The bytes all accounts may hold together.</summary>
    public long Limit { get; }

    /// <summary>What happens when the budget is spent.</summary>
    public MemoryBudgetPolicy Policy { get; }

    /// <summary>The bytes held now.</summary>
    public long Used => Volatile.Read(ref _used);

    /// <summary>The most bytes held at once so far.</summary>
    public long Peak => Volatile.Read(ref _peak);

    /// <summary>Whether new data may be taken: less than <see cref="Limit"/> is held.</summary>
    public bool HasRoom => Volatile.Read(ref _used) < Limit;

    /// <summary>How many times a producer found the budget spent and refused data (or a new peer).</summary>
    public long RefusedCount => Volatile.Read(ref _refused);

    /// <summary>How many accounts were evicted (<see cref="MemoryBudgetPolicy.DropLargestPeer"/>).</summary>
    public long EvictedCount => Volatile.Read(ref _evicted);

    /// <summary>How many accounts are open.</summary>
    public int AccountCount
    {
        get
        {
            lock (_gate)
            {
                return _accounts.Count;
            }
        }
    }

    /// <summary>Opens an account for one peer.</summary>
    /// <param name="evict">Ends the peer (called at most once, on the thread pool) when the policy drops it; null
    /// for an account that is never evicted.</param>
    public MemoryAccount Open(Action? evict = null)
    {
        var account = new MemoryAccount(this, evict);
        lock (_gate)
        {
            _accounts.Add(account);
        }

        return account;
    }

    /// <summary>
    /// A producer found the budget spent and refused data: counts it and, under
    /// <see cref="MemoryBudgetPolicy.DropLargestPeer"/>, evicts the account holding the most unless an eviction is
    /// still under way (its bytes not yet given back).
    /// </summary>
    /// <returns>The account evicted now, if any.</returns>
    public MemoryAccount? OnExhausted()
    {
        Interlocked.Increment(ref _refused);
        if (Policy != MemoryBudgetPolicy.DropLargestPeer)
        {
            return null;
        }

        MemoryAccount? largest = null;
        lock (_gate)
        {
            if (_evicting is not null || HasRoom)
            {
                return null;
            }

            foreach (MemoryAccount account in _accounts)
            {
                if (account.CanEvict && (largest is null || account.Held > largest.Held))
                {
                    largest = account;
                }
            }

            if (largest is null || largest.Held == 0)
            {
                return null;
            }

            _evicting = largest;
            _evicted++;
        }

        largest.BeginEvict();
        return largest;
    }

    /// <summary>Completes when less than <see cref="Limit"/> is held (a producer that refused data waits on it).</summary>
    public Task WhenRoomAsync()
    {
        if (HasRoom)
        {
            return Task.CompletedTask;
        }

        lock (_gate)
        {
            _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task waiting = _room.Task;
            if (HasRoom)
            {
                _room.TrySetResult();
                _room = null;
            }

            return waiting;
        }
    }

    /// <summary>Adds <paramref name="delta"/> bytes (negative to release); called by the accounts only.</summary>
    internal void Add(long delta)
    {
        long now = Interlocked.Add(ref _used, delta);
        if (delta > 0)
        {
            long peak = Volatile.Read(ref _peak);
            while (now > peak)
            {
                long seen = Interlocked.CompareExchange(ref _peak, now, peak);
                if (seen == peak)
                {
                    break;
                }

                peak = seen;
            }
        }
        else if (now < Limit && Volatile.Read(ref _room) is not null)
        {
            lock (_gate)
            {
                _room?.TrySetResult();
                _room = null;
            }
        }
    }

    /// <summary>An account closed: it no longer counts, and an eviction of it is over.</summary>
    internal void Remove(MemoryAccount account)
    {
        lock (_gate)
        {
            _accounts.Remove(account);
            if (_evicting == account)
            {
                _evicting = null;
            }
        }
    }
}
