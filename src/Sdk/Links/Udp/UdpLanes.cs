using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;

namespace PeerKit.Links.Udp;

/// <summary>A frame waiting to be sent or acknowledged, split into fixed-size chunks (one when it fits a packet).</summary>
internal sealed class OutMessage(FramePool pool)
{
    /// <summary>Frames up to this size are kept in the message's own buffer, not one from the endpoint's pool: a
    /// pooled buffer would be rented by the sending thread and returned by the flushing one, which costs two
    /// contended queue operations per small message.</summary>
    public const int SmallCapacity = 64;

    private ulong[]? _ackedBits;
    private ulong _ackedSmall;
    private byte[]? _small;

    public byte[]? Buffer;
    public int Length;
    public ulong Seq;
    public int Class;
    public bool Whole;
    public int ChunkSize;

    /// <summary>The link's chunk size when the message was cut (see <see cref="Rechunk"/>).</summary>
    public int ChunkedFor;
    public int ChunkCount;
    public int NextChunk;
    public int AckedChunks;
    public long EnqueuedAt; // UdpClock.Coarse
    public int Generation;
    public bool Done;

    public void Init(ReadOnlySpan<byte> frame, ulong seq, int cls, int wholeMax, int chunkSize, long now)
    {
        Length = frame.Length;
        Buffer = frame.Length == 0 ? null : frame.Length <= SmallCapacity ? (_small ??= new byte[SmallCapacity]) : pool.Rent(frame.Length);
        frame.CopyTo(Buffer);
        Seq = seq;
        Class = cls;
        NextChunk = 0;
        EnqueuedAt = now;
        Done = false;
        Cut(wholeMax, chunkSize);
    }

    /// <summary>Whether the message, as cut, fits packets of a link whose limits are now these.</summary>
    public bool Fits(int wholeMax, int chunkSize) => Whole ? Length <= wholeMax : ChunkSize <= chunkSize;

    /// <summary>
    /// Cuts the message again for a new packet size (path MTU discovery raised or lowered it). A chunk of the new cut
    /// counts as acknowledged when every byte of it was acknowledged under the old one. Chunks of the old cut that
    /// packets in flight or the retransmission queue still name are void from now on (<see cref="Generation"/>), so
    /// their acknowledgements are ignored and they are not resent; the receiver combines fragments of both cuts by
    /// byte offset. The caller positions <see cref="NextChunk"/> and queues what must be resent.
    /// </summary>
    public void Rechunk(int wholeMax, int chunkSize)
    {
        ulong oldSmall = _ackedSmall;
        ulong[]? oldBits = _ackedBits;
        int oldChunkSize = ChunkSize;
        int oldAcked = AckedChunks;
        _ackedBits = null;
        Cut(wholeMax, chunkSize);
        Generation++;
        if (oldAcked > 0)
        {
            for (int chunk = 0; chunk < ChunkCount; chunk++)
            {
                long start = (long)chunk * ChunkSize;
                long end = Math.Min(start + ChunkSize, Length);
                bool acked = true;
                for (long old = start / oldChunkSize; old * oldChunkSize < end && acked; old++)
                {
                    acked = oldBits is null ? (oldSmall & (1UL << (int)old)) != 0 : (oldBits[(int)(old >> 6)] & (1UL << (int)(old & 63))) != 0;
                }

                if (acked)
                {
                    MarkAcked(chunk);
                }
            }
        }

        if (oldBits is not null)
        {
            ArrayPool<ulong>.Shared.Return(oldBits);
        }
    }

    private void Cut(int wholeMax, int chunkSize)
    {
        Whole = Length <= wholeMax;
        ChunkedFor = chunkSize;
        ChunkSize = Whole ? Math.Max(Length, 1) : chunkSize;
        ChunkCount = Whole ? 1 : (Length + chunkSize - 1) / chunkSize;
        AckedChunks = 0;
        _ackedSmall = 0;
        if (ChunkCount > 64)
        {
            _ackedBits = ArrayPool<ulong>.Shared.Rent((ChunkCount + 63) / 64);
            Array.Clear(_ackedBits, 0, (ChunkCount + 63) / 64);
        }
    }

    public int ChunkLength(int index) => Whole ? Length : Math.Min(ChunkSize, Length - (index * ChunkSize));

    public bool IsAcked(int chunk) => _ackedBits is null
        ? (_ackedSmall & (1UL << chunk)) != 0
        : (_ackedBits[chunk >> 6] & (1UL << (chunk & 63))) != 0;

    /// <summary>Marks a chunk acknowledged; false when it already was.</summary>
    public bool MarkAcked(int chunk)
    {
        if (IsAcked(chunk))
        {
            return false;
        }

        if (_ackedBits is null)
        {
            _ackedSmall |= 1UL << chunk;
        }
        else
        {
            _ackedBits[chunk >> 6] |= 1UL << (chunk & 63);
        }

        AckedChunks++;
        return true;
    }

    /// <summary>Returns the buffers to their pools (the object itself may still be referenced, by generation).</summary>
    public void ReleaseBuffers()
    {
        if (Buffer is not null)
        {
            if (!ReferenceEquals(Buffer, _small))
            {
                pool.Return(Buffer);
            }

            Buffer = null;
        }

        if (_ackedBits is not null)
        {
            ArrayPool<ulong>.Shared.Return(_ackedBits);
            _ackedBits = null;
        }
    }
}

/// <summary>A reliable chunk carried by a packet: the message (checked by generation, as messages are pooled) and the chunk index.</summary>
internal readonly record struct ChunkRef(OutMessage Message, int Generation, int Chunk)
{
    public bool IsLive => Message.Generation == Generation && !Message.Done && !Message.IsAcked(Chunk);
}

/// <summary>An ack-eliciting packet in flight.</summary>
internal sealed class SentPacket
{
    public readonly List<ChunkRef> Chunks = new();
    public ulong Pn;

    /// <summary>Bytes in flight when it was sent (this packet included): the window only grows when it was used.</summary>
    public long InFlightAtSend;
    public long SentAt;
    public int Size;
    public long DeliveredAtSend;
    public long DeliveredTimeAtSend;
}

/// <summary>The packets in flight, indexed by packet number in a ring that grows as needed.</summary>
internal sealed class SentRing
{
    private SentPacket?[] _items = new SentPacket?[256];
    private ulong _base;
    private int _span;
    private int _count;

    public ulong Base => _base;

    public ulong End => _base + (ulong)_span;

    public int Count => _count;

    public void Add(SentPacket packet)
    {
        if (_span == 0)
        {
            _base = packet.Pn;
        }

        ulong needed = packet.Pn - _base + 1;
        while (needed > (ulong)_items.Length)
        {
            Grow();
        }

        _items[(int)(packet.Pn & (ulong)(_items.Length - 1))] = packet;
        _span = (int)needed;
        _count++;
    }

    public SentPacket? Get(ulong pn) => pn < _base || pn >= End ? null : _items[(int)(pn & (ulong)(_items.Length - 1))];

    public SentPacket? Remove(ulong pn)
    {
        SentPacket? packet = Get(pn);
        if (packet is null)
        {
            return null;
        }

        _items[(int)(pn & (ulong)(_items.Length - 1))] = null;
        _count--;
        while (_span > 0 && _items[(int)(_base & (ulong)(_items.Length - 1))] is null)
        {
            _base++;
            _span--;
        }

        return packet;
    }

    public SentPacket? Oldest() => _span == 0 ? null : _items[(int)(_base & (ulong)(_items.Length - 1))];

    private void Grow()
    {
        var items = new SentPacket?[_items.Length * 2];
        for (ulong pn = _base; pn < End; pn++)
        {
            items[(int)(pn & (ulong)(items.Length - 1))] = _items[(int)(pn & (ulong)(_items.Length - 1))];
        }

        _items = items;
    }
}

/// <summary>The send side of one reliable lane.</summary>
internal sealed class ReliableSendLane
{
    public readonly Queue<OutMessage> Unsent = new();
    public readonly Queue<OutMessage> Inflight = new();
    public readonly Queue<ChunkRef> Retransmit = new();
    public ulong NextSeq;
    public long QueuedBytes;
    public int QueuedCount;
}

/// <summary>
/// The send side of one unreliable lane. Frames that fit a packet of the link's base size wait whole in
/// <see cref="Whole"/>, as bytes; larger ones (fragmented, which unreliable frames are only by opt-in) wait in
/// <see cref="Pending"/>. The two are sent merged in sequence order.
/// </summary>
internal sealed class UnreliableSendLane(int cls)
{
    public readonly FrameQueue Whole = new();
    public readonly Queue<OutMessage> Pending = new();
    public readonly int Class = cls;
    public ulong NextSeq;
    public long QueuedBytes;

    /// <summary>Frames waiting in either queue.</summary>
    public int Count => Whole.Count + Pending.Count;

    /// <summary>When the oldest waiting frame was queued (<see cref="long.MaxValue"/> when none waits).</summary>
    public long OldestEnqueuedAt => Math.Min(
        Whole.Count > 0 ? Whole.PeekEnqueuedAt : long.MaxValue,
        Pending.Count > 0 ? Pending.Peek().EnqueuedAt : long.MaxValue);
}

/// <summary>
/// Whole frames queued as bytes in one buffer, each behind a header (sequence number, time queued, length): an
/// unreliable lane queues small frames without an object or a buffer per frame. The buffer doubles as needed (the
/// lane's queue limit bounds it) and is compacted when the live part fits in half of it. A buffer larger than
/// <see cref="KeepCapacity"/> is kept for the next burst, and goes back to <see cref="ArrayPool{T}.Shared"/> when
/// <see cref="Trim"/> (the link's timer, once a second) finds the queue empty after a period that never needed it.
/// Not thread-safe.
/// </summary>
internal sealed class FrameQueue
{
    private const int HeaderSize = 20;
    private const int InitialCapacity = 4096;

    /// <summary>The largest buffer an empty queue keeps.</summary>
    public const int KeepCapacity = 64 * 1024;

    private byte[] _buffer = [];
    private int _head;
    private int _tail;
    private int _peak; // the most bytes queued at once since the last Trim

    /// <summary>The number of frames queued.</summary>
    public int Count { get; private set; }

    /// <summary>The buffer's size (for tests).</summary>
    internal int Capacity => _buffer.Length;

    /// <summary>The sequence number of the first frame.</summary>
    public ulong PeekSeq => BinaryPrimitives.ReadUInt64LittleEndian(_buffer.AsSpan(_head));

    /// <summary>When the first frame was queued.</summary>
    public long PeekEnqueuedAt => BinaryPrimitives.ReadInt64LittleEndian(_buffer.AsSpan(_head + 8));

    /// <summary>The first frame's bytes (valid until the queue changes).</summary>
    public ReadOnlySpan<byte> PeekFrame => _buffer.AsSpan(_head + HeaderSize, BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(_head + 16)));

    public void Enqueue(ReadOnlySpan<byte> frame, ulong seq, long enqueuedAt)
    {
        int size = HeaderSize + frame.Length;
        if (_buffer.Length - _tail < size)
        {
            MakeRoom(size);
        }

        Span<byte> record = _buffer.AsSpan(_tail, size);
        BinaryPrimitives.WriteUInt64LittleEndian(record, seq);
        BinaryPrimitives.WriteInt64LittleEndian(record[8..], enqueuedAt);
        BinaryPrimitives.WriteInt32LittleEndian(record[16..], frame.Length);
        frame.CopyTo(record[HeaderSize..]);
        _tail += size;
        _peak = Math.Max(_peak, _tail - _head);
        Count++;
    }

    /// <summary>Removes the first frame.</summary>
    public void Dequeue()
    {
        _head += HeaderSize + BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(_head + 16));
        if (--Count == 0)
        {
            _head = 0;
            _tail = 0;
        }
    }

    /// <summary>
    /// Gives a buffer larger than <see cref="KeepCapacity"/> back when the queue is empty and held at most
    /// <see cref="KeepCapacity"/> bytes since the last call; starts the next period.
    /// </summary>
    public void Trim()
    {
        if (Count == 0 && _buffer.Length > KeepCapacity && _peak <= KeepCapacity)
        {
            Clear();
        }

        _peak = _tail - _head;
    }

    /// <summary>Drops every frame and gives the buffer back.</summary>
    public void Clear()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = [];
        _head = 0;
        _tail = 0;
        Count = 0;
    }

    private void MakeRoom(int size)
    {
        int live = _tail - _head;
        if (live + size <= _buffer.Length / 2)
        {
            // Compact: each compaction frees at least half the buffer, so the copying costs O(1) per frame.
            _buffer.AsSpan(_head, live).CopyTo(_buffer);
        }
        else
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(Math.Max(InitialCapacity, _buffer.Length * 2), live + size));
            _buffer.AsSpan(_head, live).CopyTo(larger);
            if (_buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = larger;
        }

        _head = 0;
        _tail = live;
    }
}

/// <summary>
/// A frame being reassembled from fragments. What has arrived is tracked per <see cref="UdpWire.FragmentGranule"/>
/// bytes, not per chunk, so fragments of one frame cut to different sizes (the sender re-cut it when its path MTU
/// changed) combine, and bytes that arrive twice are copied in again harmlessly.
/// </summary>
internal sealed class Reassembly
{
    private const int GranuleShift = 4; // log2(UdpWire.FragmentGranule)

    public byte[] Buffer = [];
    public int Total;
    public int Granules;
    public int Received;
    public ulong[] Bits = [];

    public static Reassembly Create(int total)
    {
        int granules = (int)(((long)total + UdpWire.FragmentGranule - 1) >> GranuleShift);
        int words = (granules + 63) / 64;
        var reassembly = new Reassembly
        {
            Buffer = ArrayPool<byte>.Shared.Rent(total),
            Total = total,
            Granules = granules,
            Bits = ArrayPool<ulong>.Shared.Rent(words),
        };
        Array.Clear(reassembly.Bits, 0, words);
        return reassembly;
    }

    /// <summary>
    /// Copies in the fragment at <paramref name="offset"/> (a multiple of the granule; it ends on one or at the frame's
    /// end); false when every byte of it was already there.
    /// </summary>
    public bool Add(int offset, ReadOnlySpan<byte> data)
    {
        int bit = offset >> GranuleShift;
        int end = (int)(((long)offset + data.Length + UdpWire.FragmentGranule - 1) >> GranuleShift);
        int added = 0;
        while (bit < end)
        {
            int low = bit & 63;
            int count = Math.Min(64 - low, end - bit);
            ulong mask = (count == 64 ? ulong.MaxValue : (1UL << count) - 1) << low;
            ref ulong word = ref Bits[bit >> 6];
            added += BitOperations.PopCount(mask & ~word);
            word |= mask;
            bit += count;
        }

        if (added == 0)
        {
            return false;
        }

        data.CopyTo(Buffer.AsSpan(offset));
        Received += added;
        return true;
    }

    public bool IsComplete => Received == Granules;

    /// <summary>Hands the buffer over as a frame.</summary>
    public LinkFrame TakeFrame()
    {
        var frame = new LinkFrame(Buffer, Total);
        Buffer = [];
        ReturnBits();
        return frame;
    }

    public void Release()
    {
        if (Buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
            Buffer = [];
        }

        ReturnBits();
    }

    private void ReturnBits()
    {
        if (Bits.Length > 0)
        {
            ArrayPool<ulong>.Shared.Return(Bits);
            Bits = [];
        }
    }
}

/// <summary>The receive side of one reliable lane: a reorder window of <c>window</c> sequence numbers.</summary>
internal sealed class ReliableReceiveLane
{
    private readonly bool _ordered;
    private readonly int _window;
    private readonly LinkFrame[] _slots;
    private readonly bool[] _present;

    public ReliableReceiveLane(bool ordered, int window)
    {
        _ordered = ordered;
        _window = window;
        _slots = ordered ? new LinkFrame[window] : [];
        _present = new bool[window];
    }

    /// <summary>Ordered: the next sequence number to deliver. Unordered: the lowest not yet delivered.</summary>
    public ulong Next { get; private set; }

    public readonly Dictionary<ulong, Reassembly> Partial = new();

    public bool InWindow(ulong seq) => seq < Next + (ulong)_window;

    public bool IsDone(ulong seq) => seq < Next || _present[(int)(seq % (ulong)_window)];

    /// <summary>A complete frame arrived (not done, within the window): deliver it and whatever it unblocks.</summary>
    public void Complete(ulong seq, LinkFrame frame, LinkInbox inbox)
    {
        int slot = (int)(seq % (ulong)_window);
        if (_ordered)
        {
            if (seq != Next)
            {
                _slots[slot] = frame;
                _present[slot] = true;
                return;
            }

            inbox.TryEnqueue(frame, counted: true);
            Next++;
            while (_present[slot = (int)(Next % (ulong)_window)])
            {
                _present[slot] = false;
                inbox.TryEnqueue(_slots[slot], counted: true);
                _slots[slot] = default;
                Next++;
            }
        }
        else
        {
            inbox.TryEnqueue(frame, counted: true);
            _present[slot] = true;
            while (_present[slot = (int)(Next % (ulong)_window)])
            {
                _present[slot] = false;
                Next++;
            }
        }
    }

    public void Release()
    {
        foreach (Reassembly r in Partial.Values)
        {
            r.Release();
        }

        Partial.Clear();
        if (_ordered)
        {
            for (int i = 0; i < _window; i++)
            {
                if (_present[i])
                {
                    _slots[i].Dispose();
                    _slots[i] = default;
                    _present[i] = false;
                }
            }
        }
    }
}

/// <summary>The receive side of one unreliable lane.</summary>
internal sealed class UnreliableReceiveLane
{
    public const int MaxPartial = 8;

    public readonly Dictionary<ulong, Reassembly> Partial = new();
    public bool Sequenced;
    public bool HasDelivered;
    public ulong Newest;
    public long IncompleteDropped;

    public void Release()
    {
        foreach (Reassembly r in Partial.Values)
        {
            r.Release();
        }

        Partial.Clear();
    }
}
