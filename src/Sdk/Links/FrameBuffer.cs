using System.Buffers;
using System.Numerics;

namespace PeerKit.Links;

/// <summary>
/// Where frame buffers come from: up to <see cref="PooledMaxLength"/> bytes from <see cref="ArrayPool{T}.Shared"/>,
/// larger ones allocated for the frame and left to the garbage collector. A burst of large frames therefore leaves
/// nothing behind in a pool: its memory comes back at the next collection (issue 13, finding 4: after the attacks the
/// shared pool kept 1.18 GiB of 16 and 32 MiB arrays).
/// </summary>
internal static class FrameBuffer
{
    /// <summary>The largest buffer taken from and returned to the shared pool: 1 MiB.</summary>
    public const int PooledMaxLength = 1 << 20;

    /// <summary>A buffer of at least <paramref name="length"/> bytes (exactly that many above <see cref="PooledMaxLength"/>).</summary>
    public static byte[] Rent(int length) =>
        length <= PooledMaxLength ? ArrayPool<byte>.Shared.Rent(length) : GC.AllocateUninitializedArray<byte>(length);

    /// <summary>Returns a buffer from <see cref="Rent"/>: pooled sizes go back to the pool, the others to the GC.</summary>
    public static void Return(byte[] array)
    {
        if (array.Length <= PooledMaxLength && BitOperations.IsPow2(array.Length))
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    /// <summary>Whether a buffer of this length goes back to the shared pool.</summary>
    public static bool IsPooled(int length) => length <= PooledMaxLength && BitOperations.IsPow2(length);
}
