using System.Net;

namespace PeerKit.Links.Tcp;

/// <summary>
/// The TCP listener's handshake slots, shared fairly between addresses: one address may hold at most
/// <see cref="MaxPerAddress"/> (half the slots), and a freed slot goes to the waiting connection whose address holds
/// the fewest, the oldest first among equals. So connections from one address that stall in the middle of the
/// handshake can hold half the slots for <see cref="PeerKit.Links.Streams.StreamLinkOptions.HandshakeTimeout"/>, never all of them: a peer from
/// another address gets a slot at once. Waiting never throws: a wait that times out or is cancelled returns false.
/// </summary>
internal sealed class HandshakeSlots
{
    private readonly Lock _lock = new();
    private readonly Dictionary<IPAddress, int> _held = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private int _free;

    /// <param name="capacity">Slots in all.</param>
    public HandshakeSlots(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _free = capacity;
        MaxPerAddress = Math.Max(1, capacity / 2);
    }

    /// <summary>Slots in all.</summary>
    public int Capacity { get; }

    /// <summary>Slots one address may hold at once.</summary>
    public int MaxPerAddress { get; }

    /// <summary>Slots held now.</summary>
    public int Held
    {
        get
        {
            lock (_lock)
            {
                return Capacity - _free;
            }
        }
    }

    /// <summary>Connections waiting for a slot now.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _waiters.Count;
            }
        }
    }

    /// <summary>Takes a slot for a connection from <paramref name="address"/> at once, if one is free to it.</summary>
    public bool TryTake(IPAddress? address)
    {
        lock (_lock)
        {
            return TryTakeLocked(Key(address));
        }
    }

    /// <summary>Waits for a slot; false when <paramref name="timeout"/> passed or <paramref name="cancellationToken"/> was cancelled first.</summary>
    public Task<bool> WaitAsync(IPAddress? address, TimeSpan timeout, CancellationToken cancellationToken)
    {
        IPAddress key = Key(address);
        Waiter waiter;
        lock (_lock)
        {
            if (TryTakeLocked(key))
            {
                return Task.FromResult(true);
            }

            waiter = new Waiter(key);
            waiter.Node = _waiters.AddLast(waiter);
        }

        waiter.Expiry = new CancellationTokenSource(timeout);
        waiter.Registrations[0] = waiter.Expiry.Token.UnsafeRegister(static state => GiveUp(state), (this, waiter));
        waiter.Registrations[1] = cancellationToken.UnsafeRegister(static state => GiveUp(state), (this, waiter));
        if (waiter.Completion.Task.IsCompleted)
        {
            waiter.ReleaseTimers(); // granted before the timers were set: Finish could not release them
        }

        return waiter.Completion.Task;
    }

    /// <summary>Gives back a slot held for <paramref name="address"/>, handing it to the fairest waiter.</summary>
    public void Release(IPAddress? address)
    {
        Waiter? granted;
        lock (_lock)
        {
            IPAddress key = Key(address);
            if (_held.TryGetValue(key, out int count))
            {
                if (count <= 1)
                {
                    _held.Remove(key);
                }
                else
                {
                    _held[key] = count - 1;
                }
            }

            _free++;
            granted = GrantLocked();
        }

        granted?.Finish(true);
    }

    private static void GiveUp(object? state)
    {
        (HandshakeSlots slots, Waiter waiter) = ((HandshakeSlots, Waiter))state!;
        slots.GiveUp(waiter);
    }

    private bool GiveUp(Waiter waiter)
    {
        lock (_lock)
        {
            if (waiter.Node?.List is null)
            {
                return false; // already granted
            }

            _waiters.Remove(waiter.Node);
        }

        waiter.Finish(false);
        return true;
    }

    private bool TryTakeLocked(IPAddress key)
    {
        int held = _held.GetValueOrDefault(key);
        if (_free == 0 || held >= MaxPerAddress)
        {
            return false;
        }

        _free--;
        _held[key] = held + 1;
        return true;
    }

    /// <summary>Picks the waiter whose address holds the fewest slots (under its share), oldest first; null when none can have one.</summary>
    private Waiter? GrantLocked()
    {
        if (_free == 0)
        {
            return null;
        }

        LinkedListNode<Waiter>? best = null;
        int bestHeld = int.MaxValue;
        for (LinkedListNode<Waiter>? node = _waiters.First; node is not null; node = node.Next)
        {
            int held = _held.GetValueOrDefault(node.Value.Address);
            if (held < MaxPerAddress && held < bestHeld)
            {
                best = node;
                bestHeld = held;
                if (held == 0)
                {
                    break;
                }
            }
        }

        if (best is null)
        {
            return null;
        }

        _waiters.Remove(best);
        _free--;
        _held[best.Value.Address] = bestHeld + 1;
        return best.Value;
    }

    private static IPAddress Key(IPAddress? address) => address is null ? IPAddress.None : address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private sealed class Waiter(IPAddress address)
    {
        public IPAddress Address { get; } = address;

        public TaskCompletionSource<bool> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<Waiter>? Node { get; set; }

        public CancellationTokenSource? Expiry { get; set; }

        public CancellationTokenRegistration[] Registrations { get; } = new CancellationTokenRegistration[2];

        public void Finish(bool granted)
        {
            if (Completion.TrySetResult(granted))
            {
                ReleaseTimers();
            }
        }

        public void ReleaseTimers()
        {
            Registrations[0].Dispose();
            Registrations[1].Dispose();
            Expiry?.Dispose();
        }
    }
}
