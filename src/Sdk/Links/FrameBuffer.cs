using System.Buffers;
using System.Numerics;

namespace PeerKit.Links;

/// <summary>
/// Where frame buffers come from: up to <see cref="SharedMaxLength"/> bytes from <see cref="ArrayPool{T}.Shared"/>;
/// up to <see cref="PooledMaxLength"/> from a pool of PeerKit's own that keeps at most
/// <see cref="LargeBytesPerSize"/> bytes of each size and lets go, every <see cref="TrimInterval"/>, of what the last
/// period did not use; larger ones allocated for the frame and left to the garbage collector. A burst of large frames
/// therefore leaves little behind in a pool, and that only briefly: its memory comes back (issue 13, finding 4: after
/// the attacks the shared pool kept 1.18 GiB of 16 and 32 MiB arrays; with buffers up to 1 MiB in the shared pool,
/// the heap stayed 51 MiB above its level before a slow-reader flood of 256 KiB messages, against 6 MiB now).
/// </summary>
internal static class FrameBuffer
{
    /// <summary>The largest buffer taken from and returned to the shared pool: 64 KiB.</summary>
    public const int SharedMaxLength = 1 << 16;

    /// <summary>The largest buffer pooled at all: 1 MiB.</summary>
    public const int PooledMaxLength = 1 << 20;

    /// <summary>The most bytes the large-buffer pool keeps of each size (128 KiB to 1 MiB): 4 MiB, 16 MiB in all.</summary>
    public const int LargeBytesPerSize = 4 << 20;

    /// <summary>How often the large-buffer pool lets go of what it did not hand out since the last time: 5 s.</summary>
    public static readonly TimeSpan TrimInterval = TimeSpan.FromSeconds(5);

    private static readonly FramePool s_large = new(arraysPerSize: 1, bytesPerSize: LargeBytesPerSize, maxLength: PooledMaxLength);
    private static readonly Timer s_trim = new(static _ => s_large.Trim(keep: 0), null, TrimInterval, TrimInterval);

    /// <summary>A buffer of at least <paramref name="length"/> bytes (exactly that many above <see cref="PooledMaxLength"/>).</summary>
    public static byte[] Rent(int length) =>
        length <= SharedMaxLength ? ArrayPool<byte>.Shared.Rent(length)
        : length <= PooledMaxLength ? s_large.Rent(length)!
        : GC.AllocateUninitializedArray<byte>(length);

    /// <summary>Returns a buffer from <see cref="Rent"/>: pooled sizes go back to their pool, the others to the GC.</summary>
    public static void Return(byte[] array)
    {
        if (!BitOperations.IsPow2(array.Length))
        {
            return;
        }

        if (array.Length <= SharedMaxLength)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
        else if (array.Length <= PooledMaxLength)
        {
            s_large.Return(array);
        }
    }

    /// <summary>Whether a buffer of this length goes back to a pool.</summary>
    public static bool IsPooled(int length) => length <= PooledMaxLength && BitOperations.IsPow2(length);

    /// <summary>Lets go of the large buffers not used since the last trim (tests; the timer does it every <see cref="TrimInterval"/>).</summary>
    internal static int TrimLarge() => s_large.Trim(keep: 0);
}
