using System.Buffers.Binary;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace PeerKit.Serialization;

/// <summary>
/// Straight-line writes for generated messages of fixed layout (every member a number, a bool, an enum or a nested
/// message of fixed layout): the generated <c>TryWriteFixed</c> checks once that the destination holds the message's
/// largest encoding, then writes each field with these methods, which do not check bounds. Not for hand-written code.
/// </summary>
/// <remarks>
/// Each method writes at <c>destination + offset</c> exactly the bytes of its value (never a byte past them, so the
/// destination's bytes after the message stay as they were) and returns the offset after them.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class FixedLayout
{
    /// <summary>Writes a one-byte tag.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Tag(ref byte destination, int offset, byte b1)
    {
        Unsafe.Add(ref destination, offset) = b1;
        return offset + 1;
    }

    /// <summary>Writes a two-byte tag.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Tag(ref byte destination, int offset, byte b1, byte b2)
    {
        Unsafe.Add(ref destination, offset) = b1;
        Unsafe.Add(ref destination, offset + 1) = b2;
        return offset + 2;
    }

    /// <summary>Writes a three-byte tag.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Tag(ref byte destination, int offset, byte b1, byte b2, byte b3) =>
        Tag(ref destination, Tag(ref destination, offset, b1, b2), b3);

    /// <summary>Writes a four-byte tag.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Tag(ref byte destination, int offset, byte b1, byte b2, byte b3, byte b4) =>
        Tag(ref destination, Tag(ref destination, offset, b1, b2), b3, b4);

    /// <summary>Writes a five-byte tag.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Tag(ref byte destination, int offset, byte b1, byte b2, byte b3, byte b4, byte b5) =>
        Tag(ref destination, Tag(ref destination, offset, b1, b2, b3, b4), b5);

    /// <summary>Writes a one-byte tag and a <c>fixed32</c> (also <c>sfixed32</c> and <c>float</c> bits), little-endian.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int TaggedFixed32(ref byte destination, int offset, byte tag, uint value)
    {
        ref byte at = ref Unsafe.Add(ref destination, offset);
        at = tag;
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref at, 1), BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value));
        return offset + 5;
    }

    /// <summary>Writes a one-byte tag and a <c>fixed64</c> (also <c>sfixed64</c> and <c>double</c> bits), little-endian.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int TaggedFixed64(ref byte destination, int offset, byte tag, ulong value)
    {
        ref byte at = ref Unsafe.Add(ref destination, offset);
        at = tag;
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref at, 1), BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value));
        return offset + 9;
    }

    /// <summary>Writes a <c>fixed32</c> (also <c>sfixed32</c> and <c>float</c> bits), little-endian.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Fixed32(ref byte destination, int offset, uint value)
    {
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, offset), BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value));
        return offset + 4;
    }

    /// <summary>Writes a <c>fixed64</c> (also <c>sfixed64</c> and <c>double</c> bits), little-endian.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Fixed64(ref byte destination, int offset, ulong value)
    {
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, offset), BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value));
        return offset + 8;
    }

    /// <summary>Writes a <c>bool</c>: one byte, 0 or 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Bool(ref byte destination, int offset, bool value)
    {
        Unsafe.Add(ref destination, offset) = value ? (byte)1 : (byte)0;
        return offset + 1;
    }

    /// <summary>Writes an <c>int32</c> (or an enum's number): a negative value takes ten bytes, as protobuf requires.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Int32(ref byte destination, int offset, int value) =>
        value >= 0 ? Varint32(ref destination, offset, (uint)value) : Varint64(ref destination, offset, (ulong)(long)value);

    /// <summary>Writes a varint of 1 to 5 bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Varint32(ref byte destination, int offset, uint value)
    {
        ref byte at = ref Unsafe.Add(ref destination, offset);
        if (value < 0x80)
        {
            at = (byte)value;
            return offset + 1;
        }

        if (value < (1u << 14))
        {
            at = (byte)(value | 0x80);
            Unsafe.Add(ref at, 1) = (byte)(value >> 7);
            return offset + 2;
        }

        return LongVarint(ref destination, offset, value);
    }

    /// <summary>Writes a varint of 1 to 10 bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Varint64(ref byte destination, int offset, ulong value)
    {
        if (value < 0x80)
        {
            Unsafe.Add(ref destination, offset) = (byte)value;
            return offset + 1;
        }

        return LongVarint(ref destination, offset, value);
    }

    /// <summary>
    /// A varint of two bytes or more: its 7-bit groups spread into a word at once (<see cref="VarintWords.Encode"/>),
    /// stored as two overlapping stores that cover exactly its bytes (an eight-byte store would write past the message).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int LongVarint(ref byte destination, int offset, ulong value)
    {
        int size = WireSize.Varint64(value);
        ref byte at = ref Unsafe.Add(ref destination, offset);
        if (size <= 8)
        {
            ulong word = VarintWords.Encode(value, size);
            if (size >= 4)
            {
                StoreUInt32(ref at, (uint)word);
                StoreUInt32(ref Unsafe.Add(ref at, size - 4), (uint)(word >> ((size - 4) << 3)));
            }
            else
            {
                StoreUInt16(ref at, (ushort)word);
                Unsafe.Add(ref at, size - 1) = (byte)(word >> ((size - 1) << 3));
            }

            return offset + size;
        }

        // Nine or ten bytes: the low 56 bits as eight bytes with their continuation bits, then bits 56-63.
        StoreUInt64(ref at, VarintWords.Encode(value & VarintWords.MaxEightByteValue, 8) | (0x80UL << 56));
        ulong high = value >> 56;
        if (size == 9)
        {
            Unsafe.Add(ref at, 8) = (byte)high;
        }
        else
        {
            Unsafe.Add(ref at, 8) = (byte)(high | 0x80);
            Unsafe.Add(ref at, 9) = 1;
        }

        return offset + size;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreUInt16(ref byte at, ushort value) =>
        Unsafe.WriteUnaligned(ref at, BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreUInt32(ref byte at, uint value) =>
        Unsafe.WriteUnaligned(ref at, BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreUInt64(ref byte at, ulong value) =>
        Unsafe.WriteUnaligned(ref at, BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value));

    /// <summary>
    /// Writes a nested message of fixed layout (its largest encoding under 128 bytes, so its length prefix takes one
    /// byte) at <paramref name="offset"/> of <paramref name="destination"/>: the prefix, then the message.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Message<T>(in T message, Span<byte> destination, int offset) where T : IMessage<T>
    {
        int length = T.TryWriteFixed(in message, destination.Slice(offset + 1));
        if ((uint)length >= 0x80)
        {
            ThrowNotFixed(typeof(T), length);
        }

        destination[offset] = (byte)length;
        return offset + 1 + length;
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNotFixed(Type type, int length) =>
        throw new InvalidOperationException(
            $"{type.Name} was compiled as a fixed-layout message of fewer than 128 bytes, but its fixed-layout write returned {length}; rebuild the assemblies that nest it.");
}
