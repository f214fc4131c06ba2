using System.Buffers.Binary;

namespace PeerKit.Fuzz;

/// <summary>
/// Mutations of captured packets: bit flips, random bytes, truncation, extension, splices of two captures, random
/// runs, type swaps, and edits of the length fields a format has (given as offsets and widths).
/// </summary>
internal sealed class Mutator(Random random)
{
    /// <summary>A length field inside a capture: where it is and how wide (1, 2 or 4 bytes, big-endian).</summary>
    public readonly record struct LengthField(int Offset, int Width);

    private static readonly long[] s_interesting = [0, 1, 2, 15, 16, 17, 64, 65, 66, 255, 256, 1023, 1024, 1025, 65535, 65536, (16 << 20) - 1, 16 << 20, (16 << 20) + 1, int.MaxValue, uint.MaxValue];

    public string LastKind { get; private set; } = "";

    /// <summary>Writes one mutation of <paramref name="seed"/> (spliced with <paramref name="other"/> at times) to <paramref name="output"/>; returns its length.</summary>
    public int Mutate(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> other, ReadOnlySpan<LengthField> lengths, Span<byte> output)
    {
        int length = Math.Min(seed.Length, output.Length);
        seed[..length].CopyTo(output);
        switch (random.Next(lengths.IsEmpty ? 8 : 10))
        {
            case 0:
                LastKind = "bit flips";
                for (int k = random.Next(1, 4); k > 0 && length > 0; k--)
                {
                    output[random.Next(length)] ^= (byte)(1 << random.Next(8));
                }

                break;
            case 1:
                LastKind = "random byte";
                if (length > 0)
                {
                    output[random.Next(length)] = (byte)random.Next(256);
                }

                break;
            case 2:
                LastKind = "truncation";
                length = random.Next(0, Math.Max(1, length));
                break;
            case 3:
                LastKind = "extension";
                int extra = random.Next(1, Math.Max(2, Math.Min(256, output.Length - length)));
                random.NextBytes(output.Slice(length, extra));
                length += extra;
                break;
            case 4:
                LastKind = "splice";
                int cut = random.Next(0, length + 1);
                int from = random.Next(0, other.Length + 1);
                int take = Math.Min(other.Length - from, output.Length - cut);
                other.Slice(from, take).CopyTo(output[cut..]);
                length = cut + take;
                break;
            case 5:
                LastKind = "random run";
                if (length > 0)
                {
                    int start = random.Next(length);
                    random.NextBytes(output.Slice(start, random.Next(1, length - start + 1)));
                }

                break;
            case 6:
                LastKind = "type byte";
                if (length > 0)
                {
                    output[0] = (byte)random.Next(256);
                }

                break;
            case 7:
                LastKind = "bytes swapped";
                if (length > 1)
                {
                    int a = random.Next(length);
                    int b = random.Next(length);
                    (output[a], output[b]) = (output[b], output[a]);
                }

                break;
            default:
                LastKind = "length field";
                LengthField field = lengths[random.Next(lengths.Length)];
                if (field.Offset + field.Width <= length)
                {
                    long value = random.Next(3) == 0 ? random.NextInt64() : s_interesting[random.Next(s_interesting.Length)];
                    Span<byte> at = output.Slice(field.Offset, field.Width);
                    switch (field.Width)
                    {
                        case 1: at[0] = (byte)value; break;
                        case 2: BinaryPrimitives.WriteUInt16BigEndian(at, (ushort)value); break;
                        default: BinaryPrimitives.WriteUInt32BigEndian(at, (uint)value); break;
                    }
                }

                break;
        }

        return length;
    }
}
