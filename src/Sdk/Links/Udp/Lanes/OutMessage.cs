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
    private bool _shared; // Buffer came from ArrayPool<byte>.Shared with the frame in it (InitOwned)

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
        _shared = false;
        Start(seq, cls, wholeMax, chunkSize, now);
    }

    /// <summary>
    /// Takes <paramref name="buffer"/> (from <see cref="ArrayPool{T}.Shared"/>, the frame in its first
    /// <paramref name="length"/> bytes) as the message's own: the frame is sent from where it was encoded, and the
    /// buffer goes back to the shared pool when the message is done.
    /// </summary>
    public void InitOwned(byte[] buffer, int length, ulong seq, int cls, int wholeMax, int chunkSize, long now)
    {
        Length = length;
        Buffer = buffer;
        _shared = true;
        Start(seq, cls, wholeMax, chunkSize, now);
    }

    private void Start(ulong seq, int cls, int wholeMax, int chunkSize, long now)
    {
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
            if (_shared)
            {
                ArrayPool<byte>.Shared.Return(Buffer);
            }
            else if (!ReferenceEquals(Buffer, _small))
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
