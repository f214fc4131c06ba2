using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace PeerKit.Links.Udp;

/// <summary>
/// A token bucket per source address for handshake initiations (issue 13, finding 6), in the manner of WireGuard's
/// ratelimiter: a source (an IPv4 address, or the /64 prefix of an IPv6 address, since one host usually holds a whole
/// /64) may start <c>rate</c> initiations a second, with bursts of <c>burst</c>. The table of sources is bounded in
/// bytes (<see cref="EntryBytes"/> per source): when it is full, the source seen least recently is evicted if its
/// bucket has refilled (forgetting it loses nothing), otherwise the newcomer is refused, so a flood of spoofed
/// addresses cannot reset the bucket of a source being limited. Times in microseconds, passed in; nothing allocates
/// after construction. Not thread-safe (the endpoint calls it under its handshake lock).
/// </summary>
internal sealed class InitiationRateLimiter
{
    /// <summary>Bytes one source costs: its entry (key, tokens, time, list links) and its slot in the index.</summary>
    public const int EntryBytes = 96;

    private readonly long _cost;      // µs of budget one initiation takes: 1 s / rate
    private readonly long _capacity;  // µs of budget a full bucket holds: burst × cost
    private readonly Entry[] _entries;
    private readonly Dictionary<UInt128, int> _index;
    private int _count;
    private int _free = -1; // a list of free slots through Next
    private int _oldest = -1;
    private int _newest = -1;

    /// <param name="ratePerSecond">Initiations a source may start each second, on average.</param>
    /// <param name="burst">Initiations a source may start at once after being quiet.</param>
    /// <param name="maxBytes">The bound of the table of sources.</param>
    public InitiationRateLimiter(int ratePerSecond, int burst, long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ratePerSecond, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, EntryBytes);
        _cost = 1_000_000 / ratePerSecond;
        _capacity = _cost * burst;
        int entries = (int)Math.Min(maxBytes / EntryBytes, 1 << 24);
        _entries = new Entry[entries];
        _index = new Dictionary<UInt128, int>(entries);
    }

    /// <summary>Sources the table can hold.</summary>
    public int Capacity => _entries.Length;

    /// <summary>Sources in the table now.</summary>
    public int Count => _count;

    /// <summary>Newcomers refused because the table was full of sources still being limited.</summary>
    public long TableFullRefusals { get; private set; }

    /// <summary>
    /// Whether <paramref name="source"/> may start an initiation at <paramref name="now"/>; if so, the initiation is
    /// taken from its bucket.
    /// </summary>
    public bool TryTake(UInt128 source, long now)
    {
        if (_index.TryGetValue(source, out int slot))
        {
            ref Entry e = ref _entries[slot];
            long elapsed = Math.Max(0, now - e.Last);
            e.Tokens = Math.Min(_capacity, e.Tokens + elapsed);
            e.Last = now;
            MoveToNewest(slot);
            if (e.Tokens < _cost)
            {
                return false;
            }

            e.Tokens -= _cost;
            return true;
        }

        if (_count == _entries.Length)
        {
            ref Entry oldest = ref _entries[_oldest];
            if (now - oldest.Last < _capacity - oldest.Tokens)
            {
                TableFullRefusals++;
                return false; // every source in the table is still being limited
            }

            int evicted = _oldest;
            _index.Remove(oldest.Key);
            Unlink(evicted);
            oldest.Next = _free;
            _free = evicted;
            _count--;
        }

        slot = _free >= 0 ? _free : _count;
        if (_free >= 0)
        {
            _free = _entries[slot].Next;
        }

        _entries[slot] = new Entry { Key = source, Tokens = _capacity - _cost, Last = now, Previous = -1, Next = -1 };
        _index.Add(source, slot);
        _count++;
        LinkAsNewest(slot);
        return true;
    }

    /// <summary>
    /// The source an address counts as: an IPv4 address (also when written IPv4-mapped in IPv6), or the first 64 bits
    /// of an IPv6 address. The port is left out: many sockets on one host are one source.
    /// </summary>
    public static UInt128 SourceOf(SocketAddress address)
    {
        ReadOnlySpan<byte> b = address.Buffer.Span;
        if (address.Family == AddressFamily.InterNetwork && address.Size >= 8)
        {
            return new UInt128(0, 0xFFFF_0000_0000UL | BinaryPrimitives.ReadUInt32BigEndian(b[4..]));
        }

        if (address.Family == AddressFamily.InterNetworkV6 && address.Size >= 24)
        {
            ReadOnlySpan<byte> ip = b.Slice(8, 16);
            ulong high = BinaryPrimitives.ReadUInt64BigEndian(ip);
            ulong low = BinaryPrimitives.ReadUInt64BigEndian(ip[8..]);
            return high == 0 && (low >> 32) == 0xFFFF ? new UInt128(0, low) : new UInt128(high, 1UL << 63);
        }

        // Another family: the whole address.
        var hash = new HashCode();
        hash.AddBytes(b[..address.Size]);
        return new UInt128(0x8000_0000_0000_0000UL, (uint)hash.ToHashCode());
    }

    private void MoveToNewest(int slot)
    {
        if (slot != _newest)
        {
            Unlink(slot);
            LinkAsNewest(slot);
        }
    }

    private void Unlink(int slot)
    {
        ref Entry e = ref _entries[slot];
        if (e.Previous >= 0)
        {
            _entries[e.Previous].Next = e.Next;
        }
        else
        {
            _oldest = e.Next;
        }

        if (e.Next >= 0)
        {
            _entries[e.Next].Previous = e.Previous;
        }
        else
        {
            _newest = e.Previous;
        }

        e.Previous = -1;
        e.Next = -1;
    }

    private void LinkAsNewest(int slot)
    {
        ref Entry e = ref _entries[slot];
        e.Previous = _newest;
        e.Next = -1;
        if (_newest >= 0)
        {
            _entries[_newest].Next = slot;
        }
        else
        {
            _oldest = slot;
        }

        _newest = slot;
    }

    private struct Entry
    {
        public UInt128 Key;
        public long Tokens;
        public long Last;
        public int Previous;
        public int Next;
    }
}
