using System.Buffers;

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
        Whole = frame.Length <= wholeMax;
        ChunkSize = Whole ? Math.Max(frame.Length, 1) : chunkSize;
        ChunkCount = Whole ? 1 : (frame.Length + chunkSize - 1) / chunkSize;
        NextChunk = 0;
        AckedChunks = 0;
        EnqueuedAt = now;
        Done = false;
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

/// <summary>The send side of one unreliable lane.</summary>
internal sealed class UnreliableSendLane
{
    public readonly Queue<OutMessage> Pending = new();
    public ulong NextSeq;
    public long QueuedBytes;
}

/// <summary>A frame being reassembled from fragments.</summary>
internal sealed class Reassembly
{
    public byte[] Buffer = [];
    public int Total;
    public int ChunkSize;
    public int ChunkCount;
    public int Received;
    public ulong[] Bits = [];

    public static Reassembly Create(int total, int chunkSize)
    {
        int count = (int)(((long)total + chunkSize - 1) / chunkSize);
        return new Reassembly
        {
            Buffer = ArrayPool<byte>.Shared.Rent(total),
            Total = total,
            ChunkSize = chunkSize,
            ChunkCount = count,
            Bits = new ulong[(count + 63) / 64],
        };
    }

    /// <summary>Copies a chunk in; false when it was already there.</summary>
    public bool Add(int index, ReadOnlySpan<byte> data)
    {
        ref ulong word = ref Bits[index >> 6];
        ulong bit = 1UL << (index & 63);
        if ((word & bit) != 0)
        {
            return false;
        }

        word |= bit;
        data.CopyTo(Buffer.AsSpan(index * ChunkSize));
        Received++;
        return true;
    }

    public bool IsComplete => Received == ChunkCount;

    /// <summary>Hands the buffer over as a frame.</summary>
    public LinkFrame TakeFrame()
    {
        var frame = new LinkFrame(Buffer, Total);
        Buffer = [];
        return frame;
    }

    public void Release()
    {
        if (Buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
            Buffer = [];
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
