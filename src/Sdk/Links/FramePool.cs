using System.Buffers;

namespace PeerKit.Links;

/// <summary>
/// A bounded, thread-safe pool of frame buffers up to <see cref="MaxLength"/> bytes, owned by one endpoint and
/// shared by its links (larger buffers come from <see cref="ArrayPool{T}.Shared"/>). <see cref="ArrayPool{T}.Shared"/>
/// keeps only a few dozen arrays per size, so a link with thousands of frames queued or in flight would allocate
/// most of its buffers; this pool keeps up to <c>arraysPerSize</c> of each power-of-two size instead.
/// </summary>
internal sealed class FramePool
{
    /// <summary>The largest buffer this pool keeps.</summary>
    public const int MaxLength = 4096;

    private readonly ArrayPool<byte> _pool;

    /// <param name="arraysPerSize">How many buffers of each size the pool keeps at most.</param>
    public FramePool(int arraysPerSize) => _pool = ArrayPool<byte>.Create(MaxLength, arraysPerSize);

    /// <summary>A buffer of at least <paramref name="length"/> bytes; null for 0.</summary>
    public byte[]? Rent(int length) => length == 0 ? null : length <= MaxLength ? _pool.Rent(length) : ArrayPool<byte>.Shared.Rent(length);

    /// <summary>Returns a buffer from <see cref="Rent"/>.</summary>
    public void Return(byte[] array)
    {
        if (array.Length <= MaxLength)
        {
            _pool.Return(array);
        }
        else
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
