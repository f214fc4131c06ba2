namespace PeerKit.Links.Udp;

/// <summary>
/// Per-thread buffers for a packet's plaintext: the frames of a packet being built before it is sealed, and those of
/// a packet just opened while they are read. Every link on a thread shares them, so an idle link holds none
/// (docs/udp.md, "Memory"); they are used only under a link's lock, within one call, and never kept across an await.
/// A buffer is taken (the thread's slot left empty) and given back, so a nested use on the same thread (a transport
/// that delivers synchronously) gets a buffer of its own rather than the one being read. Each is at most
/// <see cref="UdpWire.MaxMtu"/> bytes per thread and kind.
/// </summary>
internal static class PlaintextScratch
{
    [ThreadStatic]
    private static byte[]? t_seal;

    [ThreadStatic]
    private static byte[]? t_open;

    /// <summary>A buffer of at least <paramref name="size"/> bytes for frames to seal; give it back with <see cref="ReturnSeal"/>.</summary>
    public static byte[] TakeSeal(int size) => Take(ref t_seal, size);

    /// <summary>Gives back a buffer from <see cref="TakeSeal"/>.</summary>
    public static void ReturnSeal(byte[] buffer) => Return(ref t_seal, buffer);

    /// <summary>A buffer of at least <paramref name="size"/> bytes to open a packet into; give it back with <see cref="ReturnOpen"/>.</summary>
    public static byte[] TakeOpen(int size) => Take(ref t_open, size);

    /// <summary>Gives back a buffer from <see cref="TakeOpen"/>.</summary>
    public static void ReturnOpen(byte[] buffer) => Return(ref t_open, buffer);

    private static byte[] Take(ref byte[]? slot, int size)
    {
        byte[]? buffer = slot;
        if (buffer is not null && buffer.Length >= size)
        {
            slot = null;
            return buffer;
        }

        // The common sizes share one buffer: a link whose packets may grow to the default maximum never makes another.
        return new byte[Math.Max(size, UdpWire.DefaultMaxMtu)];
    }

    private static void Return(ref byte[]? slot, byte[] buffer)
    {
        if (slot is null || slot.Length < buffer.Length)
        {
            slot = buffer;
        }
    }
}
