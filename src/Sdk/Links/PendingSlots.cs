using System.Net;

namespace PeerKit.Links;

/// <summary>
/// Fair admission of connections that have not yet proven anything (issue 13, finding 7): a fixed number of slots,
/// a cap per source address, and eviction instead of first-come waiting. A newcomer beyond its address's cap evicts
/// that address's oldest slot that is still silent (else its oldest); a newcomer when every slot is taken evicts the
/// oldest slot still silent, and is refused only when every slot has made progress. A legitimate peer, which speaks
/// at once, is therefore never behind a crowd of silent ones: to be evicted it would have to stay silent while every
/// other slot is taken by a newer arrival. Used for sessions waiting for their hello. Thread-safe; it decides and never calls out (the caller closes what it evicts).
/// </summary>
internal sealed class PendingSlots
{
    private readonly object _gate = new();
    private readonly int _capacity;
    private readonly int _perAddress;
    private readonly List<Slot> _slots = [];
    private readonly Dictionary<IPAddress, int> _byAddress = [];
    private long _sequence;
    private long _evicted;
    private long _refused;

    /// <param name="capacity">Slots in all.</param>
    /// <param name="perAddress">Slots one source address may hold.</param>
    public PendingSlots(int capacity, int perAddress)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(perAddress, 1);
        _capacity = capacity;
        _perAddress = perAddress;
    }

    /// <summary>Slots held now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _slots.Count;
            }
        }
    }

    /// <summary>Slots taken from their holders to make room for a newcomer, so far.</summary>
    public long EvictedCount => Interlocked.Read(ref _evicted);

    /// <summary>Newcomers refused because every slot had made progress, so far.</summary>
    public long RefusedCount => Interlocked.Read(ref _refused);

    /// <summary>Takes a slot for a newcomer from <paramref name="address"/>.</summary>
    /// <param name="address">The source address (null: not capped per address).</param>
    /// <param name="evicted">A slot taken from its holder to make room, which the caller must close; or null.</param>
    /// <param name="hasSpoken">Asked, under the lock, whether the holder has sent something yet that the caller has not
    /// seen (for a socket: bytes waiting to be read), so that a slot is not taken as silent only because its holder's
    /// code has not run yet. Must be cheap and must not call back.</param>
    /// <returns>The newcomer's slot, or null when it is refused.</returns>
    public Slot? TryTake(IPAddress? address, out Slot? evicted, Func<bool>? hasSpoken = null)
    {
        evicted = null;
        lock (_gate)
        {
            if (address is not null && _byAddress.TryGetValue(address, out int held) && held >= _perAddress)
            {
                evicted = Oldest(address, silentOnly: true) ?? Oldest(address, silentOnly: false);
            }
            else if (_slots.Count >= _capacity)
            {
                evicted = OldestSilent();
                if (evicted is null)
                {
                    _refused++;
                    return null;
                }
            }

            if (evicted is not null)
            {
                RemoveLocked(evicted);
                evicted.IsEvicted = true;
                _evicted++;
            }

            var slot = new Slot(address, ++_sequence) { HasSpoken = hasSpoken };
            _slots.Add(slot);
            if (address is not null)
            {
                _byAddress[address] = _byAddress.GetValueOrDefault(address) + 1;
            }

            return slot;
        }
    }

    /// <summary>Marks a slot's holder as having spoken: it is evicted only for its own address's cap.</summary>
    public void Progress(Slot slot)
    {
        lock (_gate)
        {
            slot.HasProgressed = true;
        }
    }

    /// <summary>Gives a slot back (its holder finished or failed); a slot already evicted is ignored.</summary>
    public void Release(Slot slot)
    {
        lock (_gate)
        {
            if (!slot.IsEvicted)
            {
                RemoveLocked(slot);
            }
        }
    }

    private Slot? Oldest(IPAddress address, bool silentOnly)
    {
        foreach (Slot slot in _slots)
        {
            // _slots is in arrival order.
            if (address.Equals(slot.Address) && (!silentOnly || IsSilent(slot)))
            {
                return slot;
            }
        }

        return null;
    }

    private Slot? OldestSilent()
    {
        foreach (Slot slot in _slots)
        {
            if (IsSilent(slot))
            {
                return slot;
            }
        }

        return null;
    }

    private static bool IsSilent(Slot slot)
    {
        if (!slot.HasProgressed && slot.HasSpoken is { } probe && probe())
        {
            slot.HasProgressed = true;
        }

        return !slot.HasProgressed;
    }

    private void RemoveLocked(Slot slot)
    {
        if (!_slots.Remove(slot))
        {
            return;
        }

        if (slot.Address is { } address)
        {
            int left = _byAddress[address] - 1;
            if (left == 0)
            {
                _byAddress.Remove(address);
            }
            else
            {
                _byAddress[address] = left;
            }
        }
    }

    /// <summary>One admitted connection's place.</summary>
    public sealed class Slot(IPAddress? address, long sequence)
    {
        private readonly TaskCompletionSource _evictedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The source address.</summary>
        public IPAddress? Address { get; } = address;

        /// <summary>Arrival order.</summary>
        public long Sequence { get; } = sequence;

        /// <summary>Whether its holder has spoken.</summary>
        public bool HasProgressed { get; internal set; }

        /// <summary>Asks whether the holder has spoken without the caller having seen it yet.</summary>
        internal Func<bool>? HasSpoken { get; init; }

        /// <summary>Whether it was taken to make room for a newcomer.</summary>
        public bool IsEvicted { get; internal set; }

        /// <summary>Completes when the slot is evicted (<see cref="SignalEvicted"/>); never faults.</summary>
        public Task Evicted => _evictedSignal.Task;

        /// <summary>Tells the holder it was evicted.</summary>
        public void SignalEvicted() => _evictedSignal.TrySetResult();
    }
}
