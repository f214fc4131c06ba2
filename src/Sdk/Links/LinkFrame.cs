using System.Buffers;

namespace PeerKit.Links;

/// <summary>
/// One received frame, in a pooled buffer (from <see cref="ArrayPool{T}.Shared"/> or the link's own pool). The
/// receiver owns it and must call <see cref="Dispose"/> exactly once when done with the bytes, which returns the
/// buffer to its pool.
/// </summary>
/// <remarks>
/// A small struct, so receiving allocates nothing. Copies of a <see cref="LinkFrame"/> share the buffer:
/// dispose one copy only, and do not touch <see cref="Span"/> or <see cref="Memory"/> after disposing
/// (the buffer may already hold another frame). <c>default(LinkFrame)</c> is an empty frame.
/// </remarks>
public readonly struct LinkFrame : IDisposable
{
    private readonly byte[]? _array;
    private readonly FramePool? _pool;
    private readonly int _length;

    internal LinkFrame(byte[]? array, int length, FramePool? pool = null)
    {
        _array = array;
        _length = length;
        _pool = pool;
    }

    /// <summary>The number of bytes in the frame.</summary>
    public int Length => _length;

    /// <summary>The frame's bytes.</summary>
    public ReadOnlySpan<byte> Span => _array is null ? default : new ReadOnlySpan<byte>(_array, 0, _length);

    /// <summary>The frame's bytes, for APIs that take memory (valid until <see cref="Dispose"/>).</summary>
    public ReadOnlyMemory<byte> Memory => _array is null ? default : new ReadOnlyMemory<byte>(_array, 0, _length);

    /// <summary>Copies the frame's bytes into a new array (which outlives <see cref="Dispose"/>).</summary>
    public byte[] ToArray() => Span.ToArray();

    /// <summary>Returns the buffer to the pool. Call once, on one copy.</summary>
    public void Dispose()
    {
        if (_array is null)
        {
            return;
        }

        if (_pool is not null)
        {
            _pool.Return(_array);
        }
        else
        {
            FrameBuffer.Return(_array);
        }
    }

    /// <summary>Rents a buffer of at least <paramref name="length"/> bytes (none for an empty frame).</summary>
    internal static byte[]? Rent(int length) => length == 0 ? null : FrameBuffer.Rent(length);

    /// <summary>A frame holding a pooled copy of <paramref name="bytes"/>.</summary>
    internal static LinkFrame Copy(ReadOnlySpan<byte> bytes)
    {
        byte[]? array = Rent(bytes.Length);
        bytes.CopyTo(array);
        return new LinkFrame(array, bytes.Length);
    }

    /// <summary>A frame holding a copy of <paramref name="bytes"/> in a buffer from <paramref name="pool"/>.</summary>
    internal static LinkFrame Copy(ReadOnlySpan<byte> bytes, FramePool pool)
    {
        byte[]? array = pool.Rent(bytes.Length);
        bytes.CopyTo(array);
        return new LinkFrame(array, bytes.Length, pool);
    }
}
