namespace PeerKit.Memory;

/// <summary>
/// What one peer holds of its node's <see cref="MemoryBudget"/>: its link's receive queue, partial frames and frames
/// held for reordering, and its session queues charge it as data arrives and release it as the application takes the
/// data. Lock-free: the receive thread charges while the application's thread releases.
/// </summary>
/// <remarks>
/// Every change to <see cref="Held"/> is applied to the budget as well. Once <see cref="Close"/>d, the account gives
/// back what it held and ignores later charges and releases: an operation that raced with the close sweeps what it
/// changed back out, so the budget never keeps bytes of a closed account, whatever the order.
/// </remarks>
internal sealed class MemoryAccount
{
    private readonly MemoryBudget _budget;
    private readonly Action? _evict;
    private long _held;
    private int _closed;
    private int _evicting;

    internal MemoryAccount(MemoryBudget budget, Action? evict)
    {
        _budget = budget;
        _evict = evict;
    }

    /// <summary>The bytes this account holds now.</summary>
    public long Held => Volatile.Read(ref _held);

    /// <summary>Whether the node's budget has room for new data.</summary>
    public bool HasRoom => _budget.HasRoom;

    /// <summary>The budget this account draws on.</summary>
    public MemoryBudget Budget => _budget;

    /// <summary>Whether the account was closed.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Whether the policy may evict it: it has an eviction callback, is open and not being evicted.</summary>
    internal bool CanEvict => _evict is not null && !IsClosed && Volatile.Read(ref _evicting) == 0;

    /// <summary>Holds <paramref name="bytes"/> more.</summary>
    public void Charge(long bytes) => Change(bytes);

    /// <summary>Gives back <paramref name="bytes"/> charged before.</summary>
    public void Release(long bytes) => Change(-bytes);

    /// <summary>A producer refused data for want of budget (see <see cref="MemoryBudget.OnExhausted"/>).</summary>
    public void OnExhausted() => _budget.OnExhausted();

    /// <summary>Gives back everything held and stops counting (the peer ended). Idempotent.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        Sweep();
        _budget.Remove(this);
    }

    /// <summary>Ends the peer, once, on the thread pool (the budget chose it).</summary>
    internal void BeginEvict()
    {
        if (Interlocked.Exchange(ref _evicting, 1) == 0 && _evict is { } evict)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static action => action(), evict, preferLocal: false);
        }
    }

    private void Change(long delta)
    {
        if (delta == 0 || Volatile.Read(ref _closed) != 0)
        {
            return;
        }

        Interlocked.Add(ref _held, delta);
        _budget.Add(delta);
        if (Volatile.Read(ref _closed) != 0)
        {
            Sweep(); // the close may have run between the check and the change
        }
    }

    private void Sweep()
    {
        long held = Interlocked.Exchange(ref _held, 0);
        if (held != 0)
        {
            _budget.Add(-held);
        }
    }
}
