namespace PeerKit.Serialization;

/// <summary>
/// Base-128 varints on raw spans, outside a message: session codes and the UDP link's frame and ack headers.
/// Sizes come from <see cref="WireSize.Varint64"/>; messages use <see cref="MessageWriter"/> and <see cref="MessageReader"/>.
/// </summary>
internal static class Varint
{
    /// <summary>Writes <paramref name="value"/> at the start of <paramref name="destination"/> and returns the bytes written (1 to 10).</summary>
    public static int Write(Span<byte> destination, ulong value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    /// <summary>Reads a varint at <paramref name="position"/> and advances it.</summary>
    /// <returns><c>false</c> when the input ends first or the varint is longer than ten bytes.</returns>
    public static bool TryRead(ReadOnlySpan<byte> source, ref int position, out ulong value)
    {
        value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (position >= source.Length)
            {
                return false;
            }

            byte b = source[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }
}
