using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PeerKit.Serialization;

/// <summary>
/// Decodes the varints of a packed repeated field many at a time: 64 input bytes per step through a bitmap of
/// the bytes that end a varint, and sixteen short varints per step with AVX-512 where the machine has it.
/// <see cref="MessageReader"/>'s <c>ReadPacked…</c> methods call it; it fails exactly where reading the
/// varints one at a time would.
/// </summary>
internal static class PackedVarints
{
    // Bytes copied to the stack to decode the last varints of a field the same way as the others: a
    // block of 64 plus room for an 8-byte load at its last byte.
    private const int PaddedBlock = 72;

    /// <summary>
    /// Reads varints into <paramref name="destination"/> (<see cref="uint"/>: their low 32 bits, or
    /// <see cref="ulong"/>). Takes 64 bytes at a time: a bitmap of the bytes that end a varint gives
    /// every varint's start and length without waiting for the one before it to be decoded.
    /// </summary>
    public static void Read<T>(ref MessageReader reader, Span<T> destination)
        where T : unmanaged
    {
        ReadOnlySpan<byte> buffer = reader.Buffer;
        ref T output = ref MemoryMarshal.GetReference(destination);
        int count = destination.Length;
        int position = reader.Position;
        int i = 0;
        Span<byte> padded = stackalloc byte[PaddedBlock];
        if (typeof(T) == typeof(uint) && VarintWords.CanDecodeSixteen && count >= 16)
        {
            i = ReadSixteens(buffer, ref position, ref Unsafe.As<T, uint>(ref output), count);
        }

        while (i < count)
        {
            int available = buffer.Length - position;
            scoped ref byte block = ref Unsafe.Add(ref MemoryMarshal.GetReference(buffer), position);
            ulong continuation;
            ulong ends;
            if (available >= PaddedBlock)
            {
                continuation = VarintWords.ContinuationBits64(ref block);
                ends = ~continuation;
            }
            else
            {
                padded.Clear();
                buffer.Slice(position).CopyTo(padded);
                block = ref MemoryMarshal.GetReference(padded);
                continuation = VarintWords.ContinuationBits64(ref block);
                ends = ~continuation;
                if (available < 64)
                {
                    ends &= (1UL << available) - 1;
                }
            }

            // The varints that end in this block, as many as are still wanted.
            int take = Math.Min(BitOperations.PopCount(ends), count - i);
            int start = 0;
            int n = 0;
            if (take != 0 && !VarintWords.HasLongRun(continuation))
            {
                // No varint here is longer than 8 bytes: decode them without checking each one's length.
                start = typeof(T) == typeof(uint)
                    ? VarintWords.DecodeEnds(ref block, ends, take, ref Unsafe.As<T, uint>(ref Unsafe.Add(ref output, i)))
                    : VarintWords.DecodeEnds(ref block, ends, take, ref Unsafe.As<T, ulong>(ref Unsafe.Add(ref output, i)));
                n = take;
            }

            for (; n < take; n++)
            {
                int last = BitOperations.TrailingZeroCount(ends);
                int length = last - start + 1;
                if (length > 8)
                {
                    break;
                }

                ulong value = VarintWords.Decode(VarintWords.Load(ref Unsafe.Add(ref block, start)), length);
                if (typeof(T) == typeof(uint))
                {
                    Unsafe.As<T, uint>(ref Unsafe.Add(ref output, i + n)) = (uint)value;
                }
                else
                {
                    Unsafe.As<T, ulong>(ref Unsafe.Add(ref output, i + n)) = value;
                }

                start = last + 1;
                ends &= ends - 1;
            }

            i += n;
            position += start;
            if (n < take || take == 0)
            {
                // A varint of 9 or 10 bytes, or one without an end in the block (too long, or cut by the
                // end of the input): the one-at-a-time reader decodes it or throws at the right offset.
                reader.Position = position;
                ulong value = reader.ReadVarint64();
                position = reader.Position;
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

        reader.Position = position;
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
