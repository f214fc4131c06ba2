using System.Buffers;
using System.Collections.Concurrent;
using System.Numerics;

namespace PeerKit.Links;

/// <summary>
/// A bounded, thread-safe pool of frame buffers up to <see cref="MaxLength"/> bytes (or the maximum it is made with),
/// owned by one endpoint and shared by its links (larger buffers come from <see cref="FrameBuffer"/>). <see cref="ArrayPool{T}.Shared"/>
/// keeps only a few dozen arrays per size, so a link with thousands of frames queued or in flight would allocate
/// most of its buffers; this pool keeps up to <c>arraysPerSize</c> of each power-of-two size from 16 bytes instead,
/// or more of the small sizes when a byte bound per size allows, so a burst of thousands of small frames waiting for
/// the application allocates nothing the second time. <see cref="Trim"/> lets go of what a period did not use.
/// </summary>
/// <remarks>
/// Buffers usually move between threads: a receive thread rents them, the application returns them. Each size
/// is therefore a lock-free queue with a counter, not a lock-protected stack: <see cref="ArrayPool{T}.Create(int, int)"/>'s
/// spin locks, contended by those two threads, cost 7% of the CPU of a 64-byte UDP transfer.
/// </remarks>
internal sealed class FramePool
{
    /// <summary>The largest buffer this pool keeps.</summary>
    public const int MaxLength = 4096;

    /// <summary>The smallest buffer it hands out.</summary>
    public const int MinLength = 16;

    private const int MinShift = 4;
    private readonly Bucket[] _buckets;
    private readonly int _maxLength;

    /// <param name="arraysPerSize">How many buffers of each size the pool keeps at most.</param>
    /// <param name="bytesPerSize">Keeps more of a size while they total at most this many bytes (0: no more).</param>
    /// <param name="maxLength">The largest buffer kept, a power of two (default <see cref="MaxLength"/>); larger ones
    /// come from <see cref="FrameBuffer"/>.</param>
    public FramePool(int arraysPerSize, int bytesPerSize = 0, int maxLength = MaxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(arraysPerSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(bytesPerSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, MinLength);
        if (!BitOperations.IsPow2(maxLength))
        {
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "Must be a power of two.");
        }

        _maxLength = maxLength;
        _buckets = new Bucket[BitOperations.Log2((uint)maxLength) - MinShift + 1];
        for (int i = 0; i < _buckets.Length; i++)
        {
            int size = MinLength << i;
            _buckets[i] = new Bucket(size, Math.Max(arraysPerSize, bytesPerSize / size));
        }
    }

    /// <summary>A buffer of at least <paramref name="length"/> bytes (a power of two, at least 16); null for 0.</summary>
    public byte[]? Rent(int length)
    {
        if (length <= 0)
        {
            return length == 0 ? null : throw new ArgumentOutOfRangeException(nameof(length));
        }

        if (length > _maxLength)
        {
            return FrameBuffer.Rent(length);
        }

        Bucket bucket = _buckets[BucketIndex(length)];
        if (bucket.Arrays.TryDequeue(out byte[]? array))
        {
            int held = Interlocked.Decrement(ref bucket.Count);
            if (held < bucket.LowWater)
            {
                bucket.LowWater = held; // a racy minimum is close enough for Trim
            }

            return array;
        }

        bucket.LowWater = 0;

        return GC.AllocateUninitializedArray<byte>(bucket.Size);
    }

    /// <summary>Returns a buffer from <see cref="Rent"/>; one of another size, or one too many, is left to the GC.</summary>
    public void Return(byte[] array)
    {
        int length = array.Length;
        if (length > _maxLength)
        {
            FrameBuffer.Return(array);
            return;
        }

        if (length < MinLength || !BitOperations.IsPow2(length))
        {
            return;
        }

        Bucket bucket = _buckets[BucketIndex(length)];
        if (Interlocked.Increment(ref bucket.Count) > bucket.Limit)
        {
            Interlocked.Decrement(ref bucket.Count);
            return;
        }

        bucket.Arrays.Enqueue(array);
    }

    /// <summary>
    /// Lets go of the buffers of each size that were never rented since the last call (the fewest held at any time
    /// since then), keeping up to <paramref name="keep"/> of each: the pool shrinks back after a burst. The endpoint
    /// calls it every few seconds.
    /// </summary>
    /// <returns>How many buffers it let go.</returns>
    public int Trim(int keep)
    {
        int released = 0;
        foreach (Bucket bucket in _buckets)
        {
            int unused = Math.Min(bucket.LowWater, Volatile.Read(ref bucket.Count) - keep);
            for (int i = 0; i < unused && bucket.Arrays.TryDequeue(out _); i++)
            {
                Interlocked.Decrement(ref bucket.Count);
                released++;
            }

            bucket.LowWater = Volatile.Read(ref bucket.Count);
        }

        return released;
    }

    /// <summary>How many buffers of <paramref name="size"/> bytes the pool holds now (tests).</summary>
    internal int Held(int size) => _buckets[BucketIndex(size)].Arrays.Count;

    private static int BucketIndex(int length) => length <= MinLength ? 0 : BitOperations.Log2((uint)length - 1) + 1 - MinShift;

    private sealed class Bucket(int size, int limit)
    {
        public readonly ConcurrentQueue<byte[]> Arrays = new();
        public readonly int Size = size;
        public readonly int Limit = limit;
        public int Count;
        public int LowWater; // the fewest held since the last Trim
    }
}
