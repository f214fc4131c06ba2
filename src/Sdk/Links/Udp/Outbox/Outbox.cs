using System.Buffers;
using System.Net;

namespace PeerKit.Links.Udp;

/// <summary>
/// A link's sealed datagrams on their way to the socket (quic-go's send queue). Packets sealed under the link's lock
/// join the current batch: where the transport sends runs of equal-size datagrams in one call (UDP GSO) a batch holds
/// up to its <see cref="IDatagramTransport.MaxSegments"/> of them; a packet larger than the batch's first, or one
/// after a shorter packet, closes the batch first. Closed batches wait in packet-number order for
/// <see cref="Drain"/>, which one thread at a time runs outside the link's lock: senders, the receive thread and the
/// timer never wait on the link while another thread is in the kernel. The batch belongs to the link's lock; the
/// queue has its own, taken alone or inside the link's.
/// </summary>
internal sealed class Outbox
{
    /// <summary>The most bytes of packets sent in one call: under the 65,507-byte UDP limit, in 64 segments at most.</summary>
    public const int MaxBatchBytes = 60 * 1024;

    private readonly Queue<OutboxEntry> _queue = new();
    private readonly Lock _lock = new();
    private bool _sending;
    private byte[]? _batch;
    private int _batchLength;
    private int _batchSegment;
    private int _batchCount;
    private bool _batchClosed;

    /// <summary>Packets in the open batch.</summary>
    public int BatchCount => _batchCount;

    /// <summary>
    /// Room for a packet of <paramref name="size"/> bytes in the open batch, which is closed first (and queued for
    /// <paramref name="destination"/>) when the packet cannot join it. Seal into it, then <see cref="Commit"/>.
    /// </summary>
    /// <param name="size">The packet's size.</param>
    /// <param name="maxSegments">The transport's <see cref="IDatagramTransport.MaxSegments"/>.</param>
    /// <param name="maxPacketSize">The largest packet the link may send.</param>
    /// <param name="destination">Where a batch closed now goes.</param>
    public Span<byte> Reserve(int size, int maxSegments, int maxPacketSize, SocketAddress destination)
    {
        maxSegments = Math.Max(1, maxSegments);
        if (_batchCount > 0 && (_batchClosed || size > _batchSegment || _batchCount >= maxSegments || _batchLength + size > MaxBatchBytes))
        {
            CloseBatch(destination);
        }

        _batch ??= ArrayPool<byte>.Shared.Rent(maxSegments > 1 ? Math.Max(MaxBatchBytes, maxPacketSize) : maxPacketSize);
        if (_batchCount == 0)
        {
            _batchSegment = size;
        }

        return _batch.AsSpan(_batchLength, size);
    }

    /// <summary>The packet reserved last, of <paramref name="size"/> bytes, is sealed: it is part of the batch.</summary>
    public void Commit(int size)
    {
        _batchLength += size;
        _batchCount++;
        _batchClosed = size < _batchSegment;
    }

    /// <summary>Queues the open batch for <paramref name="destination"/> (nothing when it is empty).</summary>
    public void CloseBatch(SocketAddress destination)
    {
        if (_batch is not { } batch)
        {
            return;
        }

        if (_batchCount == 0)
        {
            _batch = null; // sealing its first packet failed
            ArrayPool<byte>.Shared.Return(batch);
            return;
        }

        Enqueue(new OutboxEntry(batch, _batchLength, _batchCount == 1 ? 0 : _batchSegment, destination));
        _batch = null;
        _batchLength = 0;
        _batchCount = 0;
        _batchClosed = false;
    }

    /// <summary>Queues datagrams behind those waiting (the caller closed the batch first, to keep packet-number order).</summary>
    public void Enqueue(OutboxEntry entry)
    {
        lock (_lock)
        {
            _queue.Enqueue(entry);
        }
    }

    /// <summary>Whether no datagram waits and no thread is sending (a path MTU probe, sent at once, would overtake them).</summary>
    public bool IsIdle
    {
        get
        {
            lock (_lock)
            {
                return !_sending && _queue.Count == 0;
            }
        }
    }

    /// <summary>
    /// Makes the system calls for the queued datagrams, in order, and returns their buffers. One thread sends at a
    /// time: a thread that finds another sending leaves its datagrams to it, since that thread empties the queue
    /// before it stops.
    /// </summary>
    public void Drain(IDatagramTransport transport)
    {
        OutboxEntry next;
        lock (_lock)
        {
            if (_sending || !_queue.TryDequeue(out next))
            {
                return;
            }

            _sending = true;
        }

        try
        {
            while (true)
            {
                try
                {
                    if (next.Segment == 0)
                    {
                        transport.Send(next.Buffer.AsSpan(0, next.Length), next.Destination);
                    }
                    else
                    {
                        transport.SendSegments(next.Buffer.AsSpan(0, next.Length), next.Segment, next.Destination);
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(next.Buffer);
                }

                lock (_lock)
                {
                    if (!_queue.TryDequeue(out next))
                    {
                        _sending = false;
                        return;
                    }
                }
            }
        }
        catch
        {
            lock (_lock)
            {
                _sending = false;
            }

            throw;
        }
    }
}
