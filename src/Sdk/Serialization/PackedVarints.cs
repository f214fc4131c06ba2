using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PeerKit.Serialization;

/// <summary>
/// Decodes the varints of a packed repeated field: sixteen short varints per step with AVX-512 where the machine
/// has it, else one at a time in a loop that keeps the position in a register and reads varints of one to
/// three bytes (the common sizes) by their bytes, longer ones as one 8-byte word.
/// <see cref="MessageReader"/>'s <c>ReadPacked…</c> methods call it; it fails exactly where reading the
/// varints one at a time would.
/// </summary>
internal static class PackedVarints
{
    /// <summary>
    /// Reads varints into <paramref name="destination"/> (<see cref="uint"/>: their low 32 bits, or
    /// <see cref="ulong"/>).
    /// </summary>
    /// <remarks>
    /// No <c>stackalloc</c> here: a method with one is compiled once, without tiering, and then tests
    /// <c>static readonly</c> flags and class initialization inside its loop (it ran at 5 ns a varint).
    /// </remarks>
    public static void Read<T>(ref MessageReader reader, Span<T> destination)
        where T : unmanaged
    {
        ref T output = ref MemoryMarshal.GetReference(destination);
        int count = destination.Length;
        int i = 0;
        if (typeof(T) == typeof(uint) && VarintWords.CanDecodeSixteen && count >= 16)
        {
            int position = reader.Position;
            i = ReadSixteens(reader.Buffer, ref position, ref Unsafe.As<T, uint>(ref output), count);
            reader.Position = position;
        }

        while (true)
        {
            i = ReadRun(ref reader, ref output, i, count);
            if (i == count)
            {
                return;
            }

            // The last bytes of the field, varints of 9 or 10 bytes and malformed ones: the one-at-a-time
            // reader decodes them or throws at the right offset.
            ulong value = reader.ReadVarint64();
            if (typeof(T) == typeof(uint))
            {
                Unsafe.As<T, uint>(ref Unsafe.Add(ref output, i)) = (uint)value;
            }
            else
            {
                Unsafe.As<T, ulong>(ref Unsafe.Add(ref output, i)) = value;
            }

            i++;
        }
    }

    /// <summary>
    /// Reads varints into elements <paramref name="i"/> on: while 8 bytes of input are left, varints of one to three
    /// bytes by their bytes and longer ones (up to 8 bytes) as one word; in the last bytes, those of one to three
    /// bytes. Loops without calls, so that the position and index stay in registers.
    /// </summary>
    /// <returns>The index of the first element not read (<paramref name="count"/> when all were).</returns>
    private static int ReadRun<T>(ref MessageReader reader, ref T output, int i, int count)
        where T : unmanaged
    {
        ReadOnlySpan<byte> buffer = reader.Buffer;
        ref byte input = ref MemoryMarshal.GetReference(buffer);
        int last = buffer.Length - 8; // the last position with 8 bytes from it
        int position = reader.Position;
        while (i < count && position <= last)
        {
            ref byte at = ref Unsafe.Add(ref input, position);
            ulong value = at;
            if (value < 0x80)
            {
                position++;
            }
            else
            {
                ulong second = Unsafe.Add(ref at, 1);
                ulong third = Unsafe.Add(ref at, 2);
                if (second < 0x80)
                {
                    value = (value & 0x7F) | (second << 7);
                    position += 2;
                }
                else if (third < 0x80)
                {
                    value = (value & 0x7F) | ((second & 0x7F) << 7) | (third << 14);
                    position += 3;
                }
                else
                {
                    ulong word = VarintWords.Load(ref at);
                    int size = VarintWords.Length(word);
                    if (size == 0)
                    {
                        break;
                    }

                    value = VarintWords.Decode(word, size);
                    position += size;
                }
            }

            if (typeof(T) == typeof(uint))
            {
                Unsafe.As<T, uint>(ref Unsafe.Add(ref output, i)) = (uint)value;
            }
            else
            {
                Unsafe.As<T, ulong>(ref Unsafe.Add(ref output, i)) = value;
            }

            i++;
        }

        // The last bytes: varints of one to three bytes that end within the input.
        int length = buffer.Length;
        while (i < count && position < length)
        {
            ulong value = Unsafe.Add(ref input, position);
            if (value < 0x80)
            {
                position++;
            }
            else if (length - position >= 2 && Unsafe.Add(ref input, position + 1) < 0x80)
            {
                value = (value & 0x7F) | ((ulong)Unsafe.Add(ref input, position + 1) << 7);
                position += 2;
            }
            else if (length - position >= 3 && Unsafe.Add(ref input, position + 1) >= 0x80 && Unsafe.Add(ref input, position + 2) < 0x80)
            {
                value = (value & 0x7F) | (((ulong)Unsafe.Add(ref input, position + 1) & 0x7F) << 7) | ((ulong)Unsafe.Add(ref input, position + 2) << 14);
                position += 3;
            }
            else
            {
                break;
            }

            if (typeof(T) == typeof(uint))
            {
                Unsafe.As<T, uint>(ref Unsafe.Add(ref output, i)) = (uint)value;
            }
            else
            {
                Unsafe.As<T, ulong>(ref Unsafe.Add(ref output, i)) = value;
            }

            i++;
        }

        reader.Position = position;
        return i;
    }

    /// <summary>
    /// Decodes short varints sixteen at a time with vector instructions (<see cref="VarintWords.DecodeSixteen"/>)
    /// for as long as they come and at least sixteen are wanted.
    /// </summary>
    /// <returns>How many were decoded (a multiple of 16); <paramref name="position"/> is moved past them.</returns>
    private static unsafe int ReadSixteens(ReadOnlySpan<byte> buffer, ref int position, ref uint output, int count)
    {
        int i = 0;
        fixed (byte* start = buffer)
        {
            while (count - i >= 16)
            {
                int available = buffer.Length - position;
                Vector512<byte> block = available >= 64
                    ? Vector512.Load(start + position)
                    : Avx512BW.MaskLoad(start + position, Vector512.LessThan(Vector512.Create(VarintWords.ByteIndexes), Vector512.Create((byte)available)), Vector512<byte>.Zero); // no fault past the end
                int taken = VarintWords.DecodeSixteen(block, available, ref Unsafe.Add(ref output, i));
                if (taken == 0)
                {
                    break;
                }

                i += 16;
                position += taken;
            }
        }

        return i;
    }
}
