using System.Numerics;
using System.Runtime.CompilerServices;

namespace PeerKit.Serialization;

/// <summary>
/// Encoded sizes of protocol buffers values, used by generated <c>GetSize</c> methods.
/// Every size here is exact: it is what <see cref="MessageWriter"/> writes for the same value.
/// </summary>
public static class WireSize
{
    /// <summary>Bytes of the varint encoding of <paramref name="value"/> (1 to 5).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Varint32(uint value) => ((BitOperations.Log2(value | 1) * 9) + 73) >> 6;

    /// <summary>Bytes of the varint encoding of <paramref name="value"/> (1 to 10).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Varint64(ulong value) => ((BitOperations.Log2(value | 1) * 9) + 73) >> 6;

    /// <summary>Bytes of an <c>int32</c> (or enum): negative values are sign-extended to ten bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Int32(int value) => value >= 0 ? Varint32((uint)value) : 10;

    /// <summary>Bytes of an <c>int64</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Int64(long value) => Varint64((ulong)value);

    /// <summary>Bytes of a <c>sint32</c> (zigzag).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SInt32(int value) => Varint32(ZigZag.Encode(value));

    /// <summary>Bytes of a <c>sint64</c> (zigzag).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SInt64(long value) => Varint64(ZigZag.Encode(value));

    /// <summary>Bytes of a length prefix and <paramref name="length"/> bytes after it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LengthDelimited(int length) => Varint32((uint)length) + length;

    /// <summary>Bytes of a string field's payload: its length prefix and its UTF-8 bytes.</summary>
    /// <exception cref="System.Text.EncoderFallbackException">The string holds invalid UTF-16 (a lone surrogate).</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int String(string value) => LengthDelimited(Utf8Length(value));

    /// <summary>
    /// Bytes of a string field's payload, checking the UTF-8 length against the member's [MaxLength]
    /// (<paramref name="member"/> names it, as <c>Message.Member</c>).
    /// </summary>
    /// <exception cref="MaxLengthExceededException">The string takes more than <paramref name="maxLength"/> UTF-8 bytes.</exception>
    public static int String(string value, int maxLength, string member)
    {
        // More units than the limit: more bytes too (one byte per unit at least), without counting them.
        int length = value.Length > maxLength ? value.Length : Utf8Length(value);
        if (length > maxLength)
        {
            throw new MaxLengthExceededException(member, Utf8Length(value), maxLength, "UTF-8 bytes");
        }

        return LengthDelimited(length);
    }

    /// <summary>
    /// At least the bytes of a string field's payload, without reading its characters: three UTF-8 bytes a UTF-16
    /// unit (a surrogate pair takes four bytes for two units), and a length prefix for that many.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long StringBound(string value)
    {
        long bytes = 3L * value.Length;
        return Varint64((ulong)bytes) + bytes;
    }

    /// <summary>
    /// At least the bytes of a string field's payload, checking the UTF-8 length against the member's [MaxLength]
    /// (<paramref name="member"/> names it); the characters are counted only when the bound alone cannot tell.
    /// </summary>
    /// <exception cref="MaxLengthExceededException">The string takes more than <paramref name="maxLength"/> UTF-8 bytes.</exception>
    public static long StringBound(string value, int maxLength, string member)
    {
        long bytes = 3L * value.Length;
        if (bytes > maxLength)
        {
            return String(value, maxLength, member);
        }

        return Varint64((ulong)bytes) + bytes;
    }

    /// <summary>At least the bytes of an embedded message's payload: its <c>GetSizeBound</c>, or its exact size when it has none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long MessageBound<T>(in T message) where T : IMessage<T>
    {
        int bound = T.GetSizeBound(in message);
        if (bound < 0)
        {
            bound = T.GetSize(in message);
        }

        return LengthDelimited(bound);
    }

    /// <summary>Bytes of a <c>bytes</c> field's payload, checking <paramref name="length"/> against the member's [MaxLength].</summary>
    /// <exception cref="MaxLengthExceededException"><paramref name="length"/> is more than <paramref name="maxLength"/>.</exception>
    public static int Bytes(int length, int maxLength, string member)
    {
        if (length > maxLength)
        {
            throw new MaxLengthExceededException(member, length, maxLength, "bytes");
        }

        return LengthDelimited(length);
    }

    /// <summary>Checks a repeated member's element count against its [MaxLength].</summary>
    /// <exception cref="MaxLengthExceededException"><paramref name="count"/> is more than <paramref name="maxLength"/>.</exception>
    public static void Count(int count, int maxLength, string member)
    {
        if (count > maxLength)
        {
            throw new MaxLengthExceededException(member, count, maxLength, "elements");
        }
    }

    /// <summary>The UTF-8 length of <paramref name="value"/>: its length when it is ASCII (checked a vector at a time), else counted.</summary>
    /// <exception cref="System.Text.EncoderFallbackException">The string holds invalid UTF-16 (a lone surrogate).</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Utf8Length(string value) =>
        value.Length >= LongText ? LongUtf8Length(value) : AsciiText.IsAscii(value) ? value.Length : MessageWriter.Utf8.GetByteCount(value);

    /// <summary>
    /// From this many UTF-16 units on, strings are checked and converted with the runtime's unrolled vector code
    /// (<see cref="System.Text.Ascii"/>, <see cref="System.Text.Unicode.Utf8"/>), which costs more per call than
    /// <see cref="AsciiText"/> but less per character.
    /// </summary>
    internal const int LongText = 256;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int LongUtf8Length(string value) =>
        System.Text.Ascii.IsValid(value.AsSpan()) ? value.Length : MessageWriter.Utf8.GetByteCount(value);

    /// <summary>Bytes of an embedded message's payload: its length prefix and its encoding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Message<T>(in T message) where T : IMessage<T> => LengthDelimited(T.GetSize(in message));
}

/// <summary>Zigzag encoding, which maps signed integers to unsigned ones so small magnitudes stay small.</summary>
public static class ZigZag
{
    /// <summary>Encodes a <c>sint32</c> value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Encode(int value) => (uint)((value << 1) ^ (value >> 31));

    /// <summary>Encodes a <c>sint64</c> value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Encode(long value) => (ulong)((value << 1) ^ (value >> 63));

    /// <summary>Decodes a <c>sint32</c> value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Decode(uint value) => (int)(value >> 1) ^ -(int)(value & 1);

    /// <summary>Decodes a <c>sint64</c> value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Decode(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);
}
