using System.Buffers;
using System.Buffers.Binary;

namespace PeerKit.Links.Udp;

/// <summary>
/// Whole frames queued as bytes in one buffer, each behind a header (sequence number, time queued, length): an
/// unreliable lane queues small frames without an object or a buffer per frame. The buffer doubles as needed (the
/// lane's queue limit bounds it) and is compacted when the live part fits in half of it. The buffer goes back to
/// <see cref="ArrayPool{T}.Shared"/> when <see cref="Trim"/> (the link's timer, once a second) finds the queue empty
/// after a period in which nothing was queued (an idle link holds none), and one larger than
/// <see cref="KeepCapacity"/> already after a period that never needed more than that. Not thread-safe.
/// </summary>
internal sealed class FrameQueue
{
    private const int HeaderSize = 20;
    private const int InitialCapacity = 4096;

    /// <summary>The largest buffer an empty queue keeps while frames still come.</summary>
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
    /// Gives the buffer back when the queue is empty and nothing was queued since the last call, or when it is larger
    /// than <see cref="KeepCapacity"/> and the queue held at most <see cref="KeepCapacity"/> bytes since then; starts
    /// the next period.
    /// </summary>
    public void Trim()
    {
        if (Count == 0 && (_peak == 0 || (_buffer.Length > KeepCapacity && _peak <= KeepCapacity)))
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
