using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace PeerKit.Serialization;

/// <summary>
/// Writes protocol buffers primitives into a <see cref="Span{T}"/> or an <see cref="IBufferWriter{T}"/>.
/// Generated <c>Write</c> methods drive it; it never allocates.
/// </summary>
/// <remarks>
/// Over a span, writing past its end throws <see cref="ArgumentException"/>. Bytes of the span (or of the
/// buffer writer's span) after those written so far are scratch space: the writer may store into them
/// before it writes them for real, so their contents after writing are unspecified. Over a buffer writer, the
/// writer asks for more space as it goes; call <see cref="Flush"/> when done to commit what was written.
/// </remarks>
public ref struct MessageWriter
{
    /// <summary>UTF-8 that throws on invalid UTF-16 instead of silently writing replacement characters.</summary>
    internal static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly IBufferWriter<byte>? _output;
    private Span<byte> _buffer;
    private int _position;
    private long _committed;

    // True when the span was sized by GetSize or GetSizeBound: running out of it means the message changed while it was written.
    private readonly bool _sized;

    // True when the span is longer than the message (sized by GetSizeBound) and its bytes after the message must stay
    // as they were: no scratch stores past the value being written.
    private readonly bool _exactStores;

    /// <summary>Creates a writer that writes into <paramref name="destination"/> from its start.</summary>
    public MessageWriter(Span<byte> destination)
    {
        _buffer = destination;
    }

    /// <summary>Creates a writer over exactly the bytes <c>GetSize</c> said the message takes.</summary>
    internal MessageWriter(Span<byte> destination, bool sized)
    {
        _buffer = destination;
        _sized = sized;
    }

    /// <summary>
    /// Creates a writer over at least the bytes the message takes (<c>GetSizeBound</c>), which writes nothing past the
    /// message: the span's bytes after it stay as they were.
    /// </summary>
    internal MessageWriter(Span<byte> destination, bool sized, bool exactStores)
    {
        _buffer = destination;
        _sized = sized;
        _exactStores = exactStores;
    }

    /// <summary>Creates a writer that writes into <paramref name="output"/>; call <see cref="Flush"/> to commit.</summary>
    public MessageWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    /// <summary>Bytes written into the current span (over a span writer: all bytes written so far).</summary>
    internal readonly int Position => _position;

    /// <summary>Bytes written so far, committed or not.</summary>
    public readonly long BytesWritten => _committed + _position;

    /// <summary>Commits the bytes written so far to the buffer writer. Does nothing over a span.</summary>
    public void Flush()
    {
        if (_output is not null && _position > 0)
        {
            _output.Advance(_position);
            _committed += _position;
            _buffer = default;
            _position = 0;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Ensure(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _position))
        {
            Grow(count);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int count)
    {
        if (_output is null)
        {
            if (_sized)
            {
                ThrowSizeChanged(count, _position);
            }

            ThrowTooSmall(count, _position);
        }

        Flush();
        _buffer = _output.GetSpan(count);
    }

    [DoesNotReturn]
    private static void ThrowSizeChanged(int count, int position) =>
        throw new InvalidOperationException(
            $"The message needs {count} more bytes after {position}, past the size GetSize computed; a member changed while it was written.");

    [DoesNotReturn]
    private static void ThrowTooSmall(int count, int position) =>
        throw new ArgumentException(
            $"The destination span is too small: {count} more bytes are needed after the {position} already written. Size it with MessageSerializer.GetSize.",
            "destination");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly ref byte Current() => ref Unsafe.Add(ref MemoryMarshal.GetReference(_buffer), _position);

    /// <summary>Writes a one-byte tag (or any single byte).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteRawTag(byte b1)
    {
        Ensure(1);
        Current() = b1;
        _position++;
    }

    /// <summary>Writes a two-byte tag.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteRawTag(byte b1, byte b2)
    {
        Ensure(2);
        ref byte at = ref Current();
        at = b1;
        Unsafe.Add(ref at, 1) = b2;
        _position += 2;
    }

    /// <summary>Writes a three-byte tag.</summary>
    public void WriteRawTag(byte b1, byte b2, byte b3)
    {
        WriteRawTag(b1, b2);
        WriteRawTag(b3);
    }

    /// <summary>Writes a four-byte tag.</summary>
    public void WriteRawTag(byte b1, byte b2, byte b3, byte b4)
    {
        WriteRawTag(b1, b2);
        WriteRawTag(b3, b4);
    }

    /// <summary>Writes a five-byte tag.</summary>
    public void WriteRawTag(byte b1, byte b2, byte b3, byte b4, byte b5)
    {
        WriteRawTag(b1, b2);
        WriteRawTag(b3, b4);
        WriteRawTag(b5);
    }

    /// <summary>Writes a tag made of a field number and a wire type.</summary>
    public void WriteTag(int fieldNumber, WireType wireType) => WriteVarint32(((uint)fieldNumber << 3) | (uint)wireType);

    /// <summary>Writes <paramref name="value"/> as a varint (1 to 5 bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteVarint32(uint value)
    {
        if (value < 0x80 && _position < _buffer.Length)
        {
            Current() = (byte)value;
            _position++;
            return;
        }

        if (value < (1u << 21) && _buffer.Length - _position >= 3)
        {
            // Two or three bytes (ids, lengths, most counters): plain stores beat building a word.
            ref byte at = ref Current();
            at = (byte)(value | 0x80);
            if (value < (1u << 14))
            {
                Unsafe.Add(ref at, 1) = (byte)(value >> 7);
                _position += 2;
            }
            else
            {
                Unsafe.Add(ref at, 1) = (byte)((value >> 7) | 0x80);
                Unsafe.Add(ref at, 2) = (byte)(value >> 14);
                _position += 3;
            }

            return;
        }

        WriteVarint64(value);
    }

    /// <summary>Writes <paramref name="value"/> as a varint (1 to 10 bytes).</summary>
    public void WriteVarint64(ulong value)
    {
        int size = WireSize.Varint64(value);
        int room = _buffer.Length - _position;
        if ((room >= 10 || (room >= 8 && size <= 8)) && !_exactStores)
        {
            // All 7-bit groups at once, with one 8-byte store (the bytes after the varint are scratch: the
            // next field overwrites them). A ninth and tenth byte hold bits 56-63.
            ref byte word = ref Current();
            if (size <= 8)
            {
                VarintWords.Store(ref word, VarintWords.Encode(value, size));
            }
            else
            {
                VarintWords.Store(ref word, VarintWords.Encode(value & VarintWords.MaxEightByteValue, 8) | (0x80UL << 56));
                ulong high = value >> 56;
                if (size == 9)
                {
                    Unsafe.Add(ref word, 8) = (byte)high;
                }
                else
                {
                    Unsafe.Add(ref word, 8) = (byte)(high | 0x80);
                    Unsafe.Add(ref word, 9) = 1;
                }
            }

            _position += size;
            return;
        }

        Ensure(size);
        ref byte at = ref Current();
        int i = 0;
        while (value >= 0x80)
        {
            Unsafe.Add(ref at, i++) = (byte)(value | 0x80);
            value >>= 7;
        }

        Unsafe.Add(ref at, i) = (byte)value;
        _position += size;
    }

    /// <summary>Writes an <c>int32</c> (negative values take ten bytes, as protobuf requires).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteInt32(int value)
    {
        if (value >= 0)
        {
            WriteVarint32((uint)value);
        }
        else
        {
            WriteVarint64((ulong)(long)value);
        }
    }

    /// <summary>Writes an <c>int64</c>.</summary>
    public void WriteInt64(long value) => WriteVarint64((ulong)value);

    /// <summary>Writes a <c>uint32</c>.</summary>
    public void WriteUInt32(uint value) => WriteVarint32(value);

    /// <summary>Writes a <c>uint64</c>.</summary>
    public void WriteUInt64(ulong value) => WriteVarint64(value);

    /// <summary>Writes a <c>sint32</c> (zigzag).</summary>
    public void WriteSInt32(int value) => WriteVarint32(ZigZag.Encode(value));

    /// <summary>Writes a <c>sint64</c> (zigzag).</summary>
    public void WriteSInt64(long value) => WriteVarint64(ZigZag.Encode(value));

    /// <summary>Writes a <c>bool</c> (one byte, 0 or 1).</summary>
    public void WriteBool(bool value) => WriteRawTag(value ? (byte)1 : (byte)0);

    /// <summary>Writes an enum value as its <c>int32</c> number.</summary>
    public void WriteEnum(int value) => WriteInt32(value);

    /// <summary>Writes a <c>fixed32</c>, little-endian.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteFixed32(uint value)
    {
        Ensure(4);
        Unsafe.WriteUnaligned(ref Current(), BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value));
        _position += 4;
    }

    /// <summary>Writes a <c>fixed64</c>, little-endian.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteFixed64(ulong value)
    {
        Ensure(8);
        Unsafe.WriteUnaligned(ref Current(), BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value));
        _position += 8;
    }

    /// <summary>Writes a one-byte tag and a <c>fixed32</c> (also <c>sfixed32</c> and <c>float</c> bits) with one bounds check.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteTaggedFixed32(byte tag, uint value)
    {
        Ensure(5);
        ref byte at = ref Current();
        at = tag;
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref at, 1), BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value));
        _position += 5;
    }

    /// <summary>Writes a one-byte tag and a <c>fixed64</c> (also <c>sfixed64</c> and <c>double</c> bits) with one bounds check.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteTaggedFixed64(byte tag, ulong value)
    {
        Ensure(9);
        ref byte at = ref Current();
        at = tag;
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref at, 1), BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value));
        _position += 9;
    }

    /// <summary>Writes an <c>sfixed32</c>.</summary>
    public void WriteSFixed32(int value) => WriteFixed32((uint)value);

    /// <summary>Writes an <c>sfixed64</c>.</summary>
    public void WriteSFixed64(long value) => WriteFixed64((ulong)value);

    /// <summary>Writes a <c>float</c> (four bytes, little-endian IEEE 754).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteFloat(float value) => WriteFixed32(BitConverter.SingleToUInt32Bits(value));

    /// <summary>Writes a <c>double</c> (eight bytes, little-endian IEEE 754).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteDouble(double value) => WriteFixed64(BitConverter.DoubleToUInt64Bits(value));

    /// <summary>Writes a length prefix.</summary>
    public void WriteLength(int length) => WriteVarint32((uint)length);

    /// <summary>Writes a string's length prefix and its UTF-8 bytes.</summary>
    /// <exception cref="EncoderFallbackException">The string holds invalid UTF-16 (a lone surrogate).</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteString(string value)
    {
        // An ASCII string of fewer than 128 units (names, short text): a one-byte prefix, then one byte a unit.
        int position = _position;
        int length = value.Length;
        if ((uint)length < 0x80 && _buffer.Length - position > length)
        {
            ref byte at = ref Unsafe.Add(ref MemoryMarshal.GetReference(_buffer), position);
            if (AsciiText.Narrow(ref MemoryMarshal.GetReference(value.AsSpan()), ref Unsafe.Add(ref at, 1), length) == length)
            {
                at = (byte)length;
                _position = position + 1 + length;
                return;
            }
        }

        WriteAnyString(value);
    }

    private void WriteAnyString(string value)
    {
        // UTF-8 takes at least one byte per UTF-16 unit, so the prefix takes at least the size of the
        // unit count's varint. Encode once, after a gap of that size, and fill the prefix in; in the rare
        // case the byte count needs a longer prefix, move the bytes up. Count first only when the room left
        // is too small to try (a buffer writer asks for more space) or the string is not valid UTF-16.
        int position = _position;
        int prefixSize = WireSize.Varint32((uint)value.Length);
        int room = _buffer.Length - position - prefixSize;
        if (room >= value.Length)
        {
            Span<byte> text = _buffer.Slice(position + prefixSize);

            // ASCII narrows a unit to a byte; from the first block with another character on, transcode.
            OperationStatus status = OperationStatus.Done;
            int written;
            if (value.Length >= WireSize.LongText)
            {
                System.Text.Ascii.FromUtf16(value.AsSpan(), text, out written);
            }
            else
            {
                written = AsciiText.Narrow(ref MemoryMarshal.GetReference(value.AsSpan()), ref MemoryMarshal.GetReference(text), value.Length);
            }

            if (written != value.Length)
            {
                status = System.Text.Unicode.Utf8.FromUtf16(value.AsSpan(written), text[written..], out _, out int rest, replaceInvalidSequences: false);
                written += rest;
            }

            if (status == OperationStatus.Done)
            {
                int needed = WireSize.Varint32((uint)written);
                if (needed == prefixSize || room - written >= needed - prefixSize)
                {
                    if (needed != prefixSize)
                    {
                        text[..written].CopyTo(_buffer.Slice(position + needed));
                    }

                    ref byte at = ref Unsafe.Add(ref MemoryMarshal.GetReference(_buffer), position);
                    uint length = (uint)written;
                    for (int i = 0; i < needed - 1; i++)
                    {
                        Unsafe.Add(ref at, i) = (byte)(length | 0x80);
                        length >>= 7;
                    }

                    Unsafe.Add(ref at, needed - 1) = (byte)length;
                    _position = position + needed + written;
                    return;
                }
            }
        }

        int byteCount = Utf8.GetByteCount(value);
        WriteVarint32((uint)byteCount);
        if (byteCount == 0)
        {
            return;
        }

        Ensure(byteCount);
        _position += Utf8.GetBytes(value, _buffer.Slice(_position));
    }

    /// <summary>Writes a length prefix and <paramref name="value"/>.</summary>
    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        WriteVarint32((uint)value.Length);
        WriteRaw(value);
    }

    /// <summary>Writes <paramref name="value"/> as it is, without a prefix.</summary>
    public void WriteRaw(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return;
        }

        Ensure(value.Length);
        value.CopyTo(_buffer.Slice(_position));
        _position += value.Length;
    }

    /// <summary>
    /// Writes <paramref name="message"/> in straight-line code when it has a fixed layout and the room left in the
    /// current span holds its largest encoding (generated <c>Write</c> methods try this first).
    /// </summary>
    /// <returns>True when written; false, with nothing written, otherwise.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWriteFixed<T>(in T message) where T : IMessage<T>
    {
        int written = T.TryWriteFixed(in message, _buffer.Slice(_position));
        if (written < 0)
        {
            return false;
        }

        _position += written;
        return true;
    }

    /// <summary>Writes an embedded message: its length prefix, then its encoding.</summary>
    /// <remarks>
    /// Over a span the message is not sized again (its size was counted once, in the outermost <c>GetSize</c>):
    /// one byte is kept for the prefix, the message is written after it, and the prefix is filled in. A message of
    /// 128 bytes or more needs a longer prefix, so its bytes move up by one or two (a copy, cheaper than walking
    /// its members a second time, and only for large messages). Over a buffer writer, which may hand out a new
    /// span while the message is written, the message is sized first.
    /// </remarks>
    public void WriteMessage<T>(in T message) where T : IMessage<T>
    {
        if (_output is null && _position < _buffer.Length)
        {
            int start = _position;
            _position = start + 1;
            T.Write(in message, ref this);
            int length = _position - start - 1;
            if (length < 0x80)
            {
                Unsafe.Add(ref MemoryMarshal.GetReference(_buffer), start) = (byte)length;
                return;
            }

            WideLengthPrefix(start, length);
            return;
        }

        WriteVarint32((uint)T.GetSize(in message));
        T.Write(in message, ref this);
    }

    /// <summary>Moves a message written after a one-byte gap at <paramref name="start"/> up to make room for its longer prefix, and writes the prefix.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WideLengthPrefix(int start, int length)
    {
        int prefix = WireSize.Varint32((uint)length);
        Ensure(prefix - 1);
        _buffer.Slice(start + 1, length).CopyTo(_buffer.Slice(start + prefix));
        _position = start + prefix + length;
        ref byte at = ref Unsafe.Add(ref MemoryMarshal.GetReference(_buffer), start);
        uint value = (uint)length;
        for (int i = 0; i < prefix - 1; i++)
        {
            Unsafe.Add(ref at, i) = (byte)(value | 0x80);
            value >>= 7;
        }

        Unsafe.Add(ref at, prefix - 1) = (byte)value;
    }
}
