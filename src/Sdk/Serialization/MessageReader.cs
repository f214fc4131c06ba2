using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace PeerKit.Serialization;

/// <summary>
/// Reads protocol buffers primitives from a <see cref="ReadOnlySpan{T}"/>. Generated <c>Read</c> methods
/// drive it. Every malformed input ends in a <see cref="MessageFormatException"/> that names the offset;
/// nothing it reads can make it allocate more than the input's size.
/// </summary>
/// <remarks>
/// A reader made from a <see cref="ReadOnlyMemory{T}"/> hands out <c>bytes</c> fields as slices of that
/// memory (<see cref="ReadBytesMemory()"/>) instead of copies.
/// </remarks>
public ref struct MessageReader
{
    /// <summary>
    /// The deepest nesting of embedded messages (and groups) a reader accepts unless told otherwise: 100 levels below
    /// the outermost message, as Google.Protobuf's default recursion limit and protobufjs accept.
    /// </summary>
    public const int DefaultMaxDepth = 100;

    // The input up to the end of the message being read: an embedded message is read by the same reader with
    // _buffer cut at its end (positions stay those of the outermost input), then the cut is undone.
    private ReadOnlySpan<byte> _buffer;
    private readonly ReadOnlyMemory<byte> _memory;
    private readonly bool _hasMemory;
    private int _depth;
    private readonly int _maxDepth;
    private readonly long _origin;
    private int _position;

    /// <summary>Creates a reader over <paramref name="source"/>.</summary>
    public MessageReader(ReadOnlySpan<byte> source)
        : this(source, DefaultMaxDepth)
    {
    }

    /// <summary>Creates a reader over <paramref name="source"/> that accepts embedded messages <paramref name="maxDepth"/> levels deep.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxDepth"/> is negative.</exception>
    public MessageReader(ReadOnlySpan<byte> source, int maxDepth)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDepth);
        _buffer = source;
        _maxDepth = maxDepth;
    }

    /// <summary>Creates a reader over <paramref name="source"/> whose <c>bytes</c> fields can slice it.</summary>
    public MessageReader(ReadOnlyMemory<byte> source)
        : this(source, DefaultMaxDepth)
    {
    }

    /// <summary>
    /// Creates a reader over <paramref name="source"/> whose <c>bytes</c> fields can slice it, and that accepts
    /// embedded messages <paramref name="maxDepth"/> levels deep.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxDepth"/> is negative.</exception>
    public MessageReader(ReadOnlyMemory<byte> source, int maxDepth)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDepth);
        _buffer = source.Span;
        _memory = source;
        _hasMemory = true;
        _maxDepth = maxDepth;
    }

    private MessageReader(ReadOnlySpan<byte> buffer, ReadOnlyMemory<byte> memory, bool hasMemory, int depth, int maxDepth, long origin)
    {
        _buffer = buffer;
        _memory = memory;
        _hasMemory = hasMemory;
        _depth = depth;
        _maxDepth = maxDepth;
        _origin = origin;
    }

    /// <summary>The offset of the next byte, from the start of the outermost input.</summary>
    public readonly long Offset => _origin + _position;

    /// <summary>True when every byte has been read.</summary>
    public readonly bool IsAtEnd => _position >= _buffer.Length;

    /// <summary>Bytes left to read.</summary>
    public readonly int Remaining => _buffer.Length - _position;

    /// <summary>How many embedded messages deep this reader is (0 for the outermost message).</summary>
    public readonly int Depth => _depth;

    /// <summary>The deepest nesting this reader accepts (<see cref="DefaultMaxDepth"/> unless given to the constructor).</summary>
    public readonly int MaxDepth => _maxDepth;

    /// <summary>The input, for the packed-field decoder.</summary>
    internal readonly ReadOnlySpan<byte> Buffer => _buffer;

    /// <summary>The index of the next byte in <see cref="Buffer"/>, for the packed-field decoder.</summary>
    internal int Position
    {
        readonly get => _position;
        set => _position = value;
    }

    /// <summary>Reads a message of type <typeparamref name="T"/> from no bytes: every field at its default.</summary>
    public static T ReadDefault<T>() where T : IMessage<T>
    {
        var reader = new MessageReader(ReadOnlySpan<byte>.Empty);
        return T.Read(ref reader);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly MessageFormatException Error(int position, string reason) => new(_origin + position, reason);

    /// <summary>
    /// Reads the next tag, or returns 0 at the end of the input. Throws for field number 0; a tag with
    /// wire type 6 or 7 is returned, and <see cref="SkipField"/> rejects it (no known field has one).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint ReadTag()
    {
        ReadOnlySpan<byte> buffer = _buffer;
        int position = _position;
        if ((uint)position < (uint)buffer.Length)
        {
            uint first = buffer[position];
            if (first - 8 < 0x78)
            {
                _position = position + 1;
                return first;
            }

            return ReadTagSlow();
        }

        return 0;
    }

    private uint ReadTagSlow()
    {
        int start = _position;
        ulong tag = ReadVarint64();
        if (tag > uint.MaxValue)
        {
            throw Error(start, $"tag {tag} is larger than 32 bits");
        }

        if (tag >> 3 == 0)
        {
            throw Error(start, "field number 0 is not valid");
        }

        if ((tag & 7) > 5)
        {
            throw Error(start, $"wire type {tag & 7} of field {tag >> 3} is not valid");
        }

        return (uint)tag;
    }

    /// <summary>Reads a varint and keeps its low 32 bits, as protobuf does for 32-bit fields.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint ReadVarint32()
    {
        // Varints of one to three bytes (values below 2^21: ids, counts) without a call; anything else reads a whole varint.
        ReadOnlySpan<byte> buffer = _buffer;
        int position = _position;
        if ((uint)position < (uint)buffer.Length)
        {
            uint first = buffer[position];
            if (first < 0x80)
            {
                _position = position + 1;
                return first;
            }

            if ((uint)(position + 2) < (uint)buffer.Length)
            {
                uint second = buffer[position + 1];
                if (second < 0x80)
                {
                    _position = position + 2;
                    return (first & 0x7F) | (second << 7);
                }

                uint third = buffer[position + 2];
                if (third < 0x80)
                {
                    _position = position + 3;
                    return (first & 0x7F) | ((second & 0x7F) << 7) | (third << 14);
                }
            }
        }

        return (uint)ReadLongVarint();
    }

    /// <summary>Reads a varint of up to ten bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong ReadVarint64()
    {
        // As ReadVarint32: one- and two-byte varints without a call.
        ReadOnlySpan<byte> buffer = _buffer;
        int position = _position;
        if ((uint)position < (uint)buffer.Length)
        {
            uint first = buffer[position];
            if (first < 0x80)
            {
                _position = position + 1;
                return first;
            }

            if ((uint)(position + 1) < (uint)buffer.Length)
            {
                uint second = buffer[position + 1];
                if (second < 0x80)
                {
                    _position = position + 2;
                    return (first & 0x7F) | (second << 7);
                }
            }
        }

        return ReadLongVarint();
    }

    // Varints of three bytes or more, and every varint near the end of the input.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ulong ReadLongVarint()
    {
        int position = _position;
        ReadOnlySpan<byte> buffer = _buffer;
        if (buffer.Length - position >= 8)
        {
            // Eight bytes are there: decode them as one word (varints of up to 8 bytes, 56 bits).
            ref byte at = ref Unsafe.Add(ref MemoryMarshal.GetReference(buffer), position);
            ulong word = VarintWords.Load(ref at);
            int length = VarintWords.Length(word);
            if (length != 0)
            {
                _position = position + length;
                return VarintWords.Decode(word, length);
            }

            // Nine bytes (values from 2^56: random ids, hashes): the ninth holds bits 56-63.
            if (buffer.Length - position >= 9)
            {
                ulong ninth = Unsafe.Add(ref at, 8);
                if (ninth < 0x80)
                {
                    _position = position + 9;
                    return VarintWords.Decode(word, 8) | (ninth << 56);
                }
            }
        }

        return ReadVarint64Slow();
    }

    // Varints of 9 or 10 bytes, varints near the end of the input, and malformed ones.
    private ulong ReadVarint64Slow()
    {
        int position = _position;
        ReadOnlySpan<byte> buffer = _buffer;
        int remaining = buffer.Length - position;
        if (remaining >= 10)
        {
            // Nine or ten bytes (large values, negative int32 and int64): the ninth byte holds bits 56-62,
            // the tenth bit 63 (its other bits are dropped, as protobuf does).
            ref byte at = ref Unsafe.Add(ref MemoryMarshal.GetReference(buffer), position);
            ulong word = VarintWords.Load(ref at);
            ulong ninth = Unsafe.Add(ref at, 8);
            ulong value = VarintWords.Decode(word, 8) | ((ninth & 0x7F) << 56);
            if (ninth < 0x80)
            {
                _position = position + 9;
                return value;
            }

            ulong tenth = Unsafe.Add(ref at, 9);
            if (tenth < 0x80)
            {
                _position = position + 10;
                return value | (tenth << 63);
            }

            throw Error(position, "a varint is longer than 10 bytes");
        }

        if (remaining is > 0 and < 8 && buffer.Length >= 8)
        {
            // Near the end: the last eight bytes of the input, shifted so the varint's first byte is lowest.
            // The bytes shifted in are zero, so a varint cut by the end of the input shows as too long.
            ulong word = VarintWords.Load(ref Unsafe.Add(ref MemoryMarshal.GetReference(buffer), buffer.Length - 8)) >> ((8 - remaining) << 3);
            int length = VarintWords.Length(word);
            if (length <= remaining)
            {
                _position = position + length;
                return VarintWords.Decode(word, length);
            }
        }

        return ReadVarintBytes();
    }

    // One byte at a time, with every check: what is left for short inputs and malformed varints.
    private ulong ReadVarintBytes()
    {
        int start = _position;
        ReadOnlySpan<byte> buffer = _buffer;
        ulong result = 0;
        for (int shift = 0, i = start; shift < 70; shift += 7, i++)
        {
            if ((uint)i >= (uint)buffer.Length)
            {
                throw Error(start, "the input ends inside a varint");
            }

            byte b = buffer[i];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                _position = i + 1;
                return result;
            }
        }

        throw Error(start, "a varint is longer than 10 bytes");
    }

    /// <summary>Reads an <c>int32</c>.</summary>
    public int ReadInt32() => (int)ReadVarint32();

    /// <summary>Reads an <c>int64</c>.</summary>
    public long ReadInt64() => (long)ReadVarint64();

    /// <summary>Reads a <c>uint32</c>.</summary>
    public uint ReadUInt32() => ReadVarint32();

    /// <summary>Reads a <c>uint64</c>.</summary>
    public ulong ReadUInt64() => ReadVarint64();

    /// <summary>Reads a <c>sint32</c> (zigzag).</summary>
    public int ReadSInt32() => ZigZag.Decode(ReadVarint32());

    /// <summary>Reads a <c>sint64</c> (zigzag).</summary>
    public long ReadSInt64() => ZigZag.Decode(ReadVarint64());

    /// <summary>Reads a <c>bool</c>: any non-zero varint is true.</summary>
    public bool ReadBool() => ReadVarint64() != 0;

    /// <summary>Reads an enum number.</summary>
    public int ReadEnum() => (int)ReadVarint32();

    /// <summary>Reads a <c>fixed32</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint ReadFixed32()
    {
        int position = _position;
        // Not (uint)position > (uint)(_buffer.Length - 4): below 4 bytes of input that wraps around and reads past the end.
        if (_buffer.Length - position < 4)
        {
            ThrowTruncated(position, 4);
        }

        uint value = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref MemoryMarshal.GetReference(_buffer), position));
        _position = position + 4;
        return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
    }

    /// <summary>Reads a <c>fixed64</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong ReadFixed64()
    {
        int position = _position;
        // Not (uint)position > (uint)(_buffer.Length - 8): below 8 bytes of input that wraps around and reads past the end.
        if (_buffer.Length - position < 8)
        {
            ThrowTruncated(position, 8);
        }

        ulong value = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref MemoryMarshal.GetReference(_buffer), position));
        _position = position + 8;
        return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void ThrowTruncated(int position, int width) =>
        throw Error(position, $"the input ends inside a {width}-byte fixed field");

    /// <summary>Reads an <c>sfixed32</c>.</summary>
    public int ReadSFixed32() => (int)ReadFixed32();

    /// <summary>Reads an <c>sfixed64</c>.</summary>
    public long ReadSFixed64() => (long)ReadFixed64();

    /// <summary>Reads a <c>float</c>.</summary>
    public float ReadFloat() => BitConverter.UInt32BitsToSingle(ReadFixed32());

    /// <summary>Reads a <c>double</c>.</summary>
    public double ReadDouble() => BitConverter.UInt64BitsToDouble(ReadFixed64());

    /// <summary>Reads a length prefix and checks that that many bytes follow.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ReadLength()
    {
        // One byte (lengths below 128) without a call; anything else reads a whole varint.
        int start = _position;
        ReadOnlySpan<byte> buffer = _buffer;
        if ((uint)start < (uint)buffer.Length)
        {
            uint first = buffer[start];
            if (first < 0x80)
            {
                _position = start + 1;
                if (first > (uint)(buffer.Length - start - 1))
                {
                    ThrowLengthPastEnd(start, first);
                }

                return (int)first;
            }
        }

        return ReadLongLength();
    }

    private int ReadLongLength()
    {
        int start = _position;
        ulong length = ReadVarint64();
        if (length > (ulong)(_buffer.Length - _position))
        {
            ThrowLengthPastEnd(start, length);
        }

        return (int)length;
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void ThrowLengthPastEnd(int start, ulong length) =>
        throw Error(start, $"a length prefix of {length} bytes runs past the end of the input ({_buffer.Length - _position} bytes left)");

    /// <summary>
    /// Reads a one-byte tag and the <c>fixed32</c> after it (also <c>sfixed32</c> and <c>float</c> bits), with one
    /// bounds check, when the next byte is <paramref name="tag"/> and the value is all there; else reads nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadTaggedFixed32(byte tag, out uint value)
    {
        int position = _position;
        ReadOnlySpan<byte> buffer = _buffer;
        if (buffer.Length - position >= 5)
        {
            ref byte at = ref Unsafe.Add(ref MemoryMarshal.GetReference(buffer), position);
            if (at == tag)
            {
                uint bits = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref at, 1));
                value = BitConverter.IsLittleEndian ? bits : BinaryPrimitives.ReverseEndianness(bits);
                _position = position + 5;
                return true;
            }
        }

        value = 0;
        return false;
    }

    /// <summary>
    /// Reads a one-byte tag and the <c>fixed64</c> after it (also <c>sfixed64</c> and <c>double</c> bits), with one
    /// bounds check, when the next byte is <paramref name="tag"/> and the value is all there; else reads nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadTaggedFixed64(byte tag, out ulong value)
    {
        int position = _position;
        ReadOnlySpan<byte> buffer = _buffer;
        if (buffer.Length - position >= 9)
        {
            ref byte at = ref Unsafe.Add(ref MemoryMarshal.GetReference(buffer), position);
            if (at == tag)
            {
                ulong bits = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref at, 1));
                value = BitConverter.IsLittleEndian ? bits : BinaryPrimitives.ReverseEndianness(bits);
                _position = position + 9;
                return true;
            }
        }

        value = 0;
        return false;
    }

    /// <summary>
    /// Reads the next byte as a one-byte tag when it is <paramref name="tag"/>, and returns whether it was:
    /// generated code reads fields in the order they are written first, then any others in a loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadTag(byte tag)
    {
        int position = _position;
        if ((uint)position < (uint)_buffer.Length && _buffer[position] == tag)
        {
            _position = position + 1;
            return true;
        }

        return false;
    }

    /// <summary>
    /// Counts the elements of a repeated length-delimited field (messages, strings, bytes) that follow one another
    /// from the position, which is just after the first one's tag: the first, then each next one whose tag is
    /// <paramref name="tag"/> (below 16384: one or two bytes) and whose length prefix fits in the input. Generated
    /// code sizes the field's array with it, then reads each element after <see cref="ReadRunTag"/>.
    /// </summary>
    /// <returns>
    /// At least 1 (the first element is counted even when malformed: reading it reports that); 1 for a tag of
    /// 16384 or more (three bytes or more), whose elements are read one by one.
    /// </returns>
    public readonly int CountRun(uint tag)
    {
        if (tag >= 0x4000)
        {
            return 1;
        }

        ReadOnlySpan<byte> buffer = _buffer;
        int position = _position;
        int count = 1;
        int tagLength = tag < 0x80 ? 1 : 2;
        ushort twoBytes = (ushort)((tag & 0x7F) | 0x80 | ((tag >> 7) << 8));
        while (true)
        {
            // Past this element's length prefix and bytes, when they fit.
            if ((uint)position >= (uint)buffer.Length)
            {
                return count;
            }

            uint length = buffer[position];
            position++;
            if (length >= 0x80)
            {
                if ((uint)position >= (uint)buffer.Length || buffer[position] >= 0x80)
                {
                    return count; // lengths of 16384 or more end the count; their elements are read one by one
                }

                length = (length & 0x7F) | ((uint)buffer[position] << 7);
                position++;
            }

            if (length > (uint)(buffer.Length - position))
            {
                return count;
            }

            position += (int)length;

            // The next element's tag, and a whole length prefix after it.
            if (buffer.Length - position <= tagLength)
            {
                return count;
            }

            bool same = tagLength == 1
                ? buffer[position] == tag
                : BinaryPrimitives.ReadUInt16LittleEndian(buffer.Slice(position)) == twoBytes;
            if (!same)
            {
                return count;
            }

            position += tagLength;
            count++;
        }
    }

    /// <summary>
    /// Reads the tag of the next element of a run counted by <see cref="CountRun"/>: <paramref name="tag"/>, which
    /// must be next.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ReadRunTag(uint tag)
    {
        int position = _position;
        ReadOnlySpan<byte> buffer = _buffer;
        if (tag < 0x80 && (uint)position < (uint)buffer.Length && buffer[position] == tag)
        {
            _position = position + 1;
            return;
        }

        ReadRunTagSlow(tag);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReadRunTagSlow(uint tag)
    {
        int start = _position;
        if (ReadTag() != tag)
        {
            throw Error(start, $"tag {tag} was expected");
        }
    }

    /// <summary>Reads a length-delimited field and returns its bytes without copying them.</summary>
    public ReadOnlySpan<byte> ReadLengthDelimited()
    {
        int length = ReadLength();
        ReadOnlySpan<byte> value = _buffer.Slice(_position, length);
        _position += length;
        return value;
    }

    /// <summary>Reads a string of at most <paramref name="maxLength"/> UTF-8 bytes (a member's [MaxLength]), which must be valid UTF-8.</summary>
    public string ReadString(int maxLength)
    {
        ThrowIfLonger(PeekLength(), maxLength, "a string", "UTF-8 bytes");
        return ReadString();
    }

    /// <summary>Reads a <c>bytes</c> field of at most <paramref name="maxLength"/> bytes (a member's [MaxLength]) into a new array.</summary>
    public byte[] ReadBytes(int maxLength)
    {
        ThrowIfLonger(PeekLength(), maxLength, "a bytes field", "bytes");
        return ReadBytes();
    }

    /// <summary>Reads a <c>bytes</c> field of at most <paramref name="maxLength"/> bytes (see <see cref="ReadBytesMemory()"/>).</summary>
    public ReadOnlyMemory<byte> ReadBytesMemory(int maxLength)
    {
        ThrowIfLonger(PeekLength(), maxLength, "a bytes field", "bytes");
        return ReadBytesMemory();
    }

    /// <summary>
    /// Throws when a repeated member would hold more than its [MaxLength] of elements: <paramref name="count"/>
    /// is how many it would hold after the element (or packed run) at this reader's position.
    /// </summary>
    public readonly void CheckCount(int count, int maxLength)
    {
        if (count > maxLength)
        {
            throw Error(_position, $"a repeated field holds more than its [MaxLength] of {maxLength} elements ({count})");
        }
    }

    /// <summary>The value of the length prefix at the position, without moving past it (or 0 when it is malformed: reading it then throws).</summary>
    private readonly ulong PeekLength()
    {
        MessageReader copy = this;
        try
        {
            return copy.ReadVarint64();
        }
        catch (MessageFormatException)
        {
            return 0;
        }
    }

    private readonly void ThrowIfLonger(ulong length, int maxLength, string what, string unit)
    {
        if (length > (ulong)maxLength)
        {
            throw Error(_position, $"{what} of {length} {unit} is longer than its [MaxLength] of {maxLength}");
        }
    }

    /// <summary>Reads a string, which must be valid UTF-8.</summary>
    public string ReadString()
    {
        int length = ReadLength();
        if (length == 0)
        {
            return string.Empty;
        }

        int start = _position;
        ReadOnlySpan<byte> bytes = _buffer.Slice(start, length);
        _position = start + length;

        // ASCII (the common case for names and chat) is valid UTF-8 with one char per byte: widen it into
        // the new string, checking it in the same pass. Anything else goes through the validating decoder.
        bool ascii = true;
        string value = string.Create(length, new WidenState(bytes, ref ascii), static (chars, state) =>
            state.Ascii = AsciiText.Widen(ref MemoryMarshal.GetReference(state.Bytes), ref MemoryMarshal.GetReference(chars), chars.Length));
        return ascii ? value : ReadUtf8(bytes, start);
    }

    private readonly ref struct WidenState
    {
        public readonly ReadOnlySpan<byte> Bytes;
        public readonly ref bool Ascii;

        public WidenState(ReadOnlySpan<byte> bytes, ref bool ascii)
        {
            Bytes = bytes;
            Ascii = ref ascii;
        }
    }

    private readonly string ReadUtf8(ReadOnlySpan<byte> bytes, int start)
    {
        try
        {
            return MessageWriter.Utf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new MessageFormatException(_origin + start, "a string field is not valid UTF-8", e);
        }
    }

    /// <summary>Reads a <c>bytes</c> field into a new array (an empty field gives the shared empty array).</summary>
    public byte[] ReadBytes()
    {
        ReadOnlySpan<byte> value = ReadLengthDelimited();
        return value.IsEmpty ? [] : value.ToArray();
    }

    /// <summary>
    /// Reads a <c>bytes</c> field: a slice of the source when this reader was made from a
    /// <see cref="ReadOnlyMemory{T}"/>, else a copy.
    /// </summary>
    public ReadOnlyMemory<byte> ReadBytesMemory()
    {
        int length = ReadLength();
        int start = _position;
        _position += length;
        if (length == 0)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        return _hasMemory ? _memory.Slice(start, length) : _buffer.Slice(start, length).ToArray();
    }

    /// <summary>Reads an embedded message.</summary>
    public T ReadMessage<T>() where T : IMessage<T>
    {
        int start = _position;
        if (_depth >= _maxDepth)
        {
            ThrowTooDeep(start);
        }

        int length = ReadLength();
        return ReadWithin<T>(_position + length);
    }

    /// <summary>Reads an embedded message into <paramref name="message"/> (through <see cref="IMessage{TSelf}.ReadInto"/>: for structs, in place).</summary>
    public void ReadMessage<T>(out T message) where T : IMessage<T>
    {
        int start = _position;
        if (_depth >= _maxDepth)
        {
            ThrowTooDeep(start);
        }

        int length = ReadLength();
        int end = _position + length;
        ReadOnlySpan<byte> outer = _buffer;
        _buffer = outer.Slice(0, end);
        _depth++;
        T.ReadInto(ref this, out message);
        _depth--;
        _buffer = outer;
        _position = end;
    }

    /// <summary>
    /// Reads a message of type <typeparamref name="T"/> from the rest of <paramref name="reader"/>'s input through
    /// its <see cref="IMessage{TSelf}.ReadInto"/>: what the generated <c>Read</c> of a struct does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T ReadInto<T>(ref MessageReader reader) where T : IMessage<T>
    {
        T.ReadInto(ref reader, out T message);
        return message;
    }

    /// <summary>
    /// Reads a message from the position to <paramref name="end"/> with this reader: the input is cut at
    /// <paramref name="end"/> (so <see cref="ReadTag"/> returns 0 there) and one level deeper while
    /// <typeparamref name="T"/>'s <c>Read</c> runs, then restored, with the position at <paramref name="end"/>.
    /// Cheaper than a reader per embedded message. After an exception the reader is left cut: it is not used again.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private T ReadWithin<T>(int end) where T : IMessage<T>
    {
        ReadOnlySpan<byte> outer = _buffer;
        _buffer = outer.Slice(0, end);
        _depth++;
        T value = T.Read(ref this);
        _depth--;
        _buffer = outer;
        _position = end;
        return value;
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void ThrowTooDeep(int start) => throw Error(start, $"messages are nested deeper than {_maxDepth}");

    /// <summary>
    /// Notes an occurrence of a singular embedded message field without reading it yet: protobuf merges a field
    /// that occurs more than once (a later occurrence's set fields replace, its repeated fields append to, its
    /// embedded messages merge into the earlier ones), which is reading the occurrences' concatenation once the
    /// whole input has been seen, with <see cref="ReadOccurrences{T}"/>. <paramref name="occurrences"/> starts as
    /// <c>default</c>, one per field.
    /// </summary>
    public void AddOccurrence(ref MessageOccurrences occurrences)
    {
        int start = _position;
        if (_depth >= _maxDepth)
        {
            throw Error(start, $"messages are nested deeper than {_maxDepth}");
        }

        int length = ReadLength();
        int body = _position;
        _position = body + length;
        if (!occurrences.Occurred)
        {
            occurrences.Occurred = true;
            occurrences.FirstStart = body;
            occurrences.FirstLength = length;
        }
        else
        {
            Gather(ref occurrences, body, length);
        }
    }

    /// <summary>
    /// Reads the field whose occurrences <see cref="AddOccurrence"/> noted (call it only when
    /// <see cref="MessageOccurrences.Occurred"/>): the one occurrence in place, or all of them, merged, from a
    /// pooled copy. Every byte is read once however deep merged fields nest. In a merged copy, <c>bytes</c>
    /// members typed <see cref="ReadOnlyMemory{T}"/> are copies, and an error names the first occurrence's offset.
    /// </summary>
    public T ReadOccurrences<T>(ref MessageOccurrences occurrences) where T : IMessage<T>
    {
        if (occurrences.Merged is null)
        {
            // Read where it is, then come back: the fields are all read, so the position is the input's end.
            int position = _position;
            _position = occurrences.FirstStart;
            T value = ReadWithin<T>(occurrences.FirstStart + occurrences.FirstLength);
            _position = position;
            return value;
        }

        return ReadMerged<T>(ref occurrences);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly T ReadMerged<T>(ref MessageOccurrences occurrences) where T : IMessage<T>
    {
        byte[] merged = occurrences.Merged!;
        var reader = new MessageReader(merged.AsSpan(0, occurrences.MergedLength), default, hasMemory: false, _depth + 1, _maxDepth, _origin + occurrences.FirstStart);
        T value = T.Read(ref reader);
        occurrences.Merged = null;
        occurrences.Occurred = false;
        ArrayPool<byte>.Shared.Return(merged);
        return value;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void Gather(ref MessageOccurrences occurrences, int start, int length)
    {
        if (occurrences.Merged is null)
        {
            occurrences.Merged = ArrayPool<byte>.Shared.Rent(Math.Max(256, 2 * (occurrences.FirstLength + length)));
            _buffer.Slice(occurrences.FirstStart, occurrences.FirstLength).CopyTo(occurrences.Merged);
            occurrences.MergedLength = occurrences.FirstLength;
        }
        else if (occurrences.Merged.Length - occurrences.MergedLength < length)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(2 * occurrences.Merged.Length, occurrences.MergedLength + length));
            occurrences.Merged.AsSpan(0, occurrences.MergedLength).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(occurrences.Merged);
            occurrences.Merged = larger;
        }

        _buffer.Slice(start, length).CopyTo(occurrences.Merged.AsSpan(occurrences.MergedLength));
        occurrences.MergedLength += length;
    }

    /// <summary>
    /// Reads a length-delimited field and returns a reader over its bytes, for packed repeated fields.
    /// The returned reader is at the same depth as this one.
    /// </summary>
    public MessageReader ReadPacked()
    {
        int length = ReadLength();
        var packed = Slice(_position, length, _depth);
        _position += length;
        return packed;
    }

    private readonly MessageReader Slice(int start, int length, int depth) =>
        new(_buffer.Slice(start, length), _hasMemory ? _memory.Slice(start, length) : default, _hasMemory, depth, _maxDepth, _origin + start);

    /// <summary>Counts the varints left in this reader (the bytes below 0x80), to size a packed field's storage.</summary>
    public readonly int CountVarints() => VarintWords.CountEnds(_buffer.Slice(_position));

    /// <summary>
    /// Reads <paramref name="destination"/>'s length of <c>int32</c> varints, the elements of a packed field
    /// (see <see cref="ReadPacked"/> and <see cref="CountVarints"/>). Throws as reading them one by one would.
    /// </summary>
    public void ReadPackedInt32(Span<int> destination) => PackedVarints.Read(ref this, MemoryMarshal.Cast<int, uint>(destination));

    /// <summary>Reads <paramref name="destination"/>'s length of <c>uint32</c> varints (see <see cref="ReadPackedInt32"/>).</summary>
    public void ReadPackedUInt32(Span<uint> destination) => PackedVarints.Read(ref this, destination);

    /// <summary>Reads <paramref name="destination"/>'s length of <c>int64</c> varints (see <see cref="ReadPackedInt32"/>).</summary>
    public void ReadPackedInt64(Span<long> destination) => PackedVarints.Read(ref this, MemoryMarshal.Cast<long, ulong>(destination));

    /// <summary>Reads <paramref name="destination"/>'s length of <c>uint64</c> varints (see <see cref="ReadPackedInt32"/>).</summary>
    public void ReadPackedUInt64(Span<ulong> destination) => PackedVarints.Read(ref this, destination);

    /// <summary>Reads <paramref name="destination"/>'s length of <c>sint32</c> (zigzag) varints (see <see cref="ReadPackedInt32"/>).</summary>
    public void ReadPackedSInt32(Span<int> destination)
    {
        Span<uint> raw = MemoryMarshal.Cast<int, uint>(destination);
        PackedVarints.Read(ref this, raw);
        for (int i = 0; i < raw.Length; i++)
        {
            destination[i] = ZigZag.Decode(raw[i]);
        }
    }

    /// <summary>Reads <paramref name="destination"/>'s length of <c>sint64</c> (zigzag) varints (see <see cref="ReadPackedInt32"/>).</summary>
    public void ReadPackedSInt64(Span<long> destination)
    {
        Span<ulong> raw = MemoryMarshal.Cast<long, ulong>(destination);
        PackedVarints.Read(ref this, raw);
        for (int i = 0; i < raw.Length; i++)
        {
            destination[i] = ZigZag.Decode(raw[i]);
        }
    }

    /// <summary>
    /// Reads <paramref name="destination"/>'s length of <c>fixed32</c> values, the elements of a packed field.
    /// Throws as reading them one by one would.
    /// </summary>
    public void ReadPackedFixed32(Span<uint> destination) => ReadFixedWidth(MemoryMarshal.AsBytes(destination), 4);

    /// <summary>Reads <paramref name="destination"/>'s length of <c>sfixed32</c> values (see <see cref="ReadPackedFixed32"/>).</summary>
    public void ReadPackedSFixed32(Span<int> destination) => ReadFixedWidth(MemoryMarshal.AsBytes(destination), 4);

    /// <summary>Reads <paramref name="destination"/>'s length of <c>float</c> values (see <see cref="ReadPackedFixed32"/>).</summary>
    public void ReadPackedFloat(Span<float> destination) => ReadFixedWidth(MemoryMarshal.AsBytes(destination), 4);

    /// <summary>Reads <paramref name="destination"/>'s length of <c>fixed64</c> values (see <see cref="ReadPackedFixed32"/>).</summary>
    public void ReadPackedFixed64(Span<ulong> destination) => ReadFixedWidth(MemoryMarshal.AsBytes(destination), 8);

    /// <summary>Reads <paramref name="destination"/>'s length of <c>sfixed64</c> values (see <see cref="ReadPackedFixed32"/>).</summary>
    public void ReadPackedSFixed64(Span<long> destination) => ReadFixedWidth(MemoryMarshal.AsBytes(destination), 8);

    /// <summary>Reads <paramref name="destination"/>'s length of <c>double</c> values (see <see cref="ReadPackedFixed32"/>).</summary>
    public void ReadPackedDouble(Span<double> destination) => ReadFixedWidth(MemoryMarshal.AsBytes(destination), 8);

    private void ReadFixedWidth(Span<byte> destination, int width)
    {
        int position = _position;
        int available = (_buffer.Length - position) / width * width;
        if (destination.Length > available)
        {
            // Fail where reading one value at a time would: at the first value the input cuts.
            ThrowTruncated(position + available, width);
        }

        _buffer.Slice(position, destination.Length).CopyTo(destination);
        _position = position + destination.Length;
        if (!BitConverter.IsLittleEndian)
        {
            if (width == 4)
            {
                BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, uint>(destination), MemoryMarshal.Cast<byte, uint>(destination));
            }
            else
            {
                BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ulong>(destination), MemoryMarshal.Cast<byte, ulong>(destination));
            }
        }
    }

    /// <summary>Skips the value of a field whose tag was just read: what unknown fields need.</summary>
    public void SkipField(uint tag)
    {
        switch ((WireType)(tag & 7))
        {
            case WireType.Varint:
                ReadVarint64();
                break;
            case WireType.Fixed64:
                Skip(8);
                break;
            case WireType.LengthDelimited:
                Skip(ReadLength());
                break;
            case WireType.Fixed32:
                Skip(4);
                break;
            case WireType.StartGroup:
                SkipGroup(tag >> 3, _depth, _position - WireSize.Varint32(tag));
                break;
            case WireType.EndGroup:
                throw Error(_position - WireSize.Varint32(tag), $"an end-group tag for field {tag >> 3} has no matching start");
            default:
                throw Error(_position - WireSize.Varint32(tag), tag >> 3 == 0 ? "field number 0 is not valid" : $"wire type {tag & 7} of field {tag >> 3} is not valid");
        }
    }

    /// <param name="fieldNumber">The group's field number.</param>
    /// <param name="depth">How deep the group is.</param>
    /// <param name="tagStart">Where the group's start tag is, to report it when the group is too deep.</param>
    private void SkipGroup(uint fieldNumber, int depth, int tagStart)
    {
        if (depth >= _maxDepth)
        {
            throw Error(tagStart, $"groups are nested deeper than {_maxDepth}");
        }

        while (true)
        {
            int start = _position;
            uint tag = ReadTag();
            if (tag == 0)
            {
                throw Error(start, $"the input ends inside group {fieldNumber}");
            }

            if ((WireType)(tag & 7) == WireType.EndGroup)
            {
                if (tag >> 3 != fieldNumber)
                {
                    throw Error(start, $"group {fieldNumber} is closed by an end-group tag for field {tag >> 3}");
                }

                return;
            }

            if ((WireType)(tag & 7) == WireType.StartGroup)
            {
                SkipGroup(tag >> 3, depth + 1, start);
            }
            else
            {
                SkipField(tag);
            }
        }
    }

    private void Skip(int count)
    {
        if (_buffer.Length - _position < count)
        {
            throw Error(_position, $"the input ends {count - (_buffer.Length - _position)} bytes before the end of a field");
        }

        _position += count;
    }
}
