using System.Text;
using PeerKit.Serialization;
using PeerKit.Tests.Model;

namespace PeerKit.Tests;

/// <summary>
/// The word-at-a-time varint code (<see cref="VarintWords"/>), the bulk packed reads and the ASCII string
/// path agree with the byte-at-a-time definitions on valid input and fail where they fail on invalid input.
/// </summary>
public class VarintWordsTests
{
    private static byte[] Encode(ulong value) => Support.Wire.Varint(value);

    private static IEnumerable<ulong> Values(int seed)
    {
        var random = new Random(seed);
        for (int bits = 0; bits <= 64; bits++)
        {
            ulong top = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
            yield return top;
            yield return top + 1;
            for (int i = 0; i < 20; i++)
            {
                yield return (ulong)random.NextInt64() & top;
            }
        }
    }

    [Fact]
    public void Words_decode_and_encode_every_varint_of_up_to_eight_bytes()
    {
        foreach (ulong value in Values(1).Where(v => v <= VarintWords.MaxEightByteValue))
        {
            byte[] encoded = Encode(value);
            int length = WireSize.Varint64(value);
            Assert.Equal(encoded.Length, length);

            byte[] word = new byte[8];
            new Random((int)value).NextBytes(word); // bytes after the varint must not matter
            encoded.CopyTo(word, 0);
            ulong loaded = VarintWords.Load(ref word[0]);
            Assert.Equal(length, VarintWords.Length(loaded));
            Assert.Equal(value, VarintWords.Decode(loaded, length));
            Assert.Equal(value, VarintWords.DecodeWithShifts(loaded, length));

            byte[] written = new byte[8];
            VarintWords.Store(ref written[0], VarintWords.Encode(value, length));
            Assert.Equal(encoded, written[..length]);
            Assert.Equal(VarintWords.Encode(value, length) & 0x7F7F_7F7F_7F7F_7F7FUL, VarintWords.SpreadWithShifts(value));
        }

        Assert.Equal(0, VarintWords.Length(0x8080_8080_8080_8080UL));
    }

    [Fact]
    public void Counting_varint_ends_matches_a_byte_loop_at_every_length()
    {
        var random = new Random(2);
        for (int length = 0; length < 300; length++)
        {
            byte[] bytes = new byte[length];
            random.NextBytes(bytes);
            Assert.Equal(bytes.Count(b => b < 0x80), VarintWords.CountEnds(bytes));
            Array.Fill(bytes, (byte)0x80);
            Assert.Equal(0, VarintWords.CountEnds(bytes));
            Array.Fill(bytes, (byte)0x7F);
            Assert.Equal(length, VarintWords.CountEnds(bytes));
        }
    }

    private static (ulong Value, long Offset)? ReadOne(byte[] input, int start, out string? error)
    {
        var reader = new MessageReader(input);
        error = null;
        try
        {
            for (int i = 0; i < start; i++)
            {
                reader.ReadVarint32(); // the inputs below start with `start` one-byte varints
            }

            ulong value = reader.ReadVarint64();
            return (value, reader.Offset);
        }
        catch (MessageFormatException e)
        {
            error = $"{e.Offset}: {e.Reason}";
            return null;
        }
    }

    // The definition: seven bits a byte, at most ten bytes.
    private static (ulong Value, long Offset)? Reference(byte[] input, int start, out string? error)
    {
        ulong value = 0;
        for (int i = 0; i < 10; i++)
        {
            if (start + i >= input.Length)
            {
                error = $"{start}: the input ends inside a varint";
                return null;
            }

            byte b = input[start + i];
            value |= (ulong)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                error = null;
                return (value, start + i + 1);
            }
        }

        error = $"{start}: a varint is longer than 10 bytes";
        return null;
    }

    [Fact]
    public void Single_varints_read_like_the_definition_at_every_distance_from_the_end()
    {
        foreach (ulong value in Values(3))
        {
            byte[] encoded = Encode(value);
            for (int before = 0; before < 3; before++)
            {
                for (int after = 0; after < 12; after++)
                {
                    byte[] input = [.. Enumerable.Repeat((byte)1, before), .. encoded, .. Enumerable.Repeat((byte)0xFF, after)];
                    Assert.Equal(Reference(input, before, out string? expected), ReadOne(input, before, out string? actual));
                    Assert.Equal(expected, actual);

                    // Cut short, and too long.
                    byte[] cut = input[..(before + encoded.Length - 1)];
                    Assert.Equal(Reference(cut, before, out expected), ReadOne(cut, before, out actual));
                    Assert.Equal(expected, actual);
                }
            }
        }

        for (int continuation = 9; continuation < 14; continuation++)
        {
            byte[] input = [.. Enumerable.Repeat((byte)0x80, continuation), 0x01, 0, 0, 0];
            Assert.Equal(Reference(input, 0, out string? expected), ReadOne(input, 0, out string? actual));
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void Thirty_two_bit_reads_keep_the_low_bits_like_the_definition_at_every_distance_from_the_end()
    {
        // ReadVarint32 reads varints of one to three bytes inline (two- and three-byte ones only when the
        // input holds three bytes from the varint's start), the rest through the 64-bit reader.
        foreach (ulong value in Values(3))
        {
            byte[] encoded = Encode(value);
            for (int after = 0; after < 4; after++)
            {
                byte[] input = [1, .. encoded, .. Enumerable.Repeat((byte)0xFF, after)];
                for (int end = 1; end <= input.Length; end++)
                {
                    byte[] cut = input[..end];
                    (ulong Value, long Offset)? expected = Reference(cut, 1, out string? expectedError);
                    var reader = new MessageReader(cut);
                    reader.ReadVarint32();
                    string? actualError = null;
                    (ulong Value, long Offset)? actual = null;
                    try
                    {
                        uint read = reader.ReadVarint32();
                        actual = (read, reader.Offset);
                    }
                    catch (MessageFormatException e)
                    {
                        actualError = $"{e.Offset}: {e.Reason}";
                    }

                    Assert.Equal(expectedError, actualError);
                    Assert.Equal(expected is { } x ? ((ulong)(uint)x.Value, x.Offset) : null, actual);
                }
            }
        }
    }

    private delegate T ReadOneValue<T>(ref MessageReader reader);

    private delegate void ReadBulk<T>(ref MessageReader reader, Span<T> destination);

    private delegate int CountValues(ref MessageReader reader);

    /// <summary>
    /// Reads <paramref name="input"/> as a packed field both ways: counted and read in bulk (then the
    /// one-at-a-time loop for what is left, as generated code does), and one value at a time.
    /// </summary>
    private static void AssertBulkMatchesOneByOne<T>(byte[] input, CountValues count, ReadBulk<T> bulk, ReadOneValue<T> one, bool moreThanThere = false)
    {
        List<T> expected = [];
        string? expectedError = null;
        var reader = new MessageReader(input);
        int wanted = count(ref reader);
        try
        {
            while (moreThanThere ? expected.Count < wanted : !reader.IsAtEnd)
            {
                expected.Add(one(ref reader));
            }
        }
        catch (MessageFormatException e)
        {
            expectedError = $"{e.Offset}: {e.Reason}";
        }

        List<T> actual = [];
        string? actualError = null;
        reader = new MessageReader(input);
        try
        {
            var builder = new RepeatedBuilder<T>();
            bulk(ref reader, builder.Append(count(ref reader)));
            while (!reader.IsAtEnd)
            {
                builder.Add(one(ref reader));
            }

            actual.AddRange(builder.ToArray());
        }
        catch (MessageFormatException e)
        {
            actualError = $"{e.Offset}: {e.Reason}";
        }

        Assert.Equal(expectedError, actualError);
        if (expectedError is null)
        {
            Assert.Equal(expected, actual);
        }
    }

    public static TheoryData<int> Seeds() => [.. Enumerable.Range(0, 40)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Packed_varints_read_in_bulk_like_one_at_a_time_including_malformed_input(int seed)
    {
        var random = new Random(seed);
        var bytes = new List<byte>();
        int count = random.Next(0, 200);
        for (int i = 0; i < count; i++)
        {
            ulong value = random.Next(4) switch
            {
                0 => (ulong)random.Next(128),
                1 => (ulong)random.Next(1 << 21),
                2 => (ulong)random.NextInt64(),
                _ => unchecked((ulong)-random.NextInt64(1, 1000)), // ten bytes
            };
            bytes.AddRange(Encode(value));
        }

        byte[] valid = [.. bytes];
        List<byte[]> inputs = [valid];
        if (valid.Length > 0)
        {
            inputs.Add(valid[..^1]);                                   // cut inside the last varint (or after a whole one)
            inputs.Add([.. valid, 0x80, 0x80]);                        // trailing continuation bytes
            inputs.Add([.. valid[..(valid.Length / 2)], .. Enumerable.Repeat((byte)0xFF, 11), 0x01]); // eleven-byte varint
            byte[] noisy = [.. valid];
            noisy[random.Next(noisy.Length)] |= 0x80;                 // one end turned into a continuation
            inputs.Add(noisy);
        }

        byte[] randomBytes = new byte[random.Next(0, 150)];
        random.NextBytes(randomBytes);
        inputs.Add(randomBytes);

        foreach (byte[] input in inputs)
        {
            AssertBulkMatchesOneByOne<int>(input, (ref MessageReader r) => r.CountVarints(), (ref MessageReader r, Span<int> d) => r.ReadPackedInt32(d), (ref MessageReader r) => r.ReadInt32());
            AssertBulkMatchesOneByOne<uint>(input, (ref MessageReader r) => r.CountVarints(), (ref MessageReader r, Span<uint> d) => r.ReadPackedUInt32(d), (ref MessageReader r) => r.ReadUInt32());
            AssertBulkMatchesOneByOne<long>(input, (ref MessageReader r) => r.CountVarints(), (ref MessageReader r, Span<long> d) => r.ReadPackedInt64(d), (ref MessageReader r) => r.ReadInt64());
            AssertBulkMatchesOneByOne<ulong>(input, (ref MessageReader r) => r.CountVarints(), (ref MessageReader r, Span<ulong> d) => r.ReadPackedUInt64(d), (ref MessageReader r) => r.ReadUInt64());
            AssertBulkMatchesOneByOne<int>(input, (ref MessageReader r) => r.CountVarints(), (ref MessageReader r, Span<int> d) => r.ReadPackedSInt32(d), (ref MessageReader r) => r.ReadSInt32());
            AssertBulkMatchesOneByOne<long>(input, (ref MessageReader r) => r.CountVarints(), (ref MessageReader r, Span<long> d) => r.ReadPackedSInt64(d), (ref MessageReader r) => r.ReadSInt64());
            AssertBulkMatchesOneByOne<uint>(input, (ref MessageReader r) => r.Remaining / 4, (ref MessageReader r, Span<uint> d) => r.ReadPackedFixed32(d), (ref MessageReader r) => r.ReadFixed32());
            AssertBulkMatchesOneByOne<int>(input, (ref MessageReader r) => r.Remaining / 4, (ref MessageReader r, Span<int> d) => r.ReadPackedSFixed32(d), (ref MessageReader r) => r.ReadSFixed32());
            AssertBulkMatchesOneByOne<float>(input, (ref MessageReader r) => r.Remaining / 4, (ref MessageReader r, Span<float> d) => r.ReadPackedFloat(d), (ref MessageReader r) => r.ReadFloat());
            AssertBulkMatchesOneByOne<ulong>(input, (ref MessageReader r) => r.Remaining / 8, (ref MessageReader r, Span<ulong> d) => r.ReadPackedFixed64(d), (ref MessageReader r) => r.ReadFixed64());
            AssertBulkMatchesOneByOne<long>(input, (ref MessageReader r) => r.Remaining / 8, (ref MessageReader r, Span<long> d) => r.ReadPackedSFixed64(d), (ref MessageReader r) => r.ReadSFixed64());
            AssertBulkMatchesOneByOne<double>(input, (ref MessageReader r) => r.Remaining / 8, (ref MessageReader r, Span<double> d) => r.ReadPackedDouble(d), (ref MessageReader r) => r.ReadDouble());
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Packed_short_varints_read_in_bulk_like_one_at_a_time_including_malformed_input(int seed)
    {
        // Mostly one- to four-byte varints (what the sixteen-at-a-time vector path takes), with a five-byte
        // or longer one now and then, so runs of sixteen qualify, fail and restart at every offset.
        var random = new Random(seed);
        var bytes = new List<byte>();
        int count = random.Next(0, 300);
        int longEvery = random.Next(2) == 0 ? 1000 : random.Next(5, 40);
        for (int i = 0; i < count; i++)
        {
            int bits = random.Next(longEvery) == 0 ? random.Next(29, 64) : random.Next(1, 29);
            bytes.AddRange(Encode((ulong)random.NextInt64() & ((1UL << bits) - 1)));
        }

        byte[] valid = [.. bytes];
        List<byte[]> inputs = [valid];
        if (valid.Length > 0)
        {
            inputs.Add(valid[..^1]);
            inputs.Add([.. valid, 0x80, 0x80]);
            byte[] noisy = [.. valid];
            noisy[random.Next(noisy.Length)] |= 0x80;
            inputs.Add(noisy);
            byte[] ended = [.. valid];
            ended[random.Next(ended.Length)] &= 0x7F;
            inputs.Add(ended);
        }

        foreach (byte[] input in inputs)
        {
            AssertBulkMatchesOneByOne<int>(input, (ref MessageReader r) => r.CountVarints(), (ref MessageReader r, Span<int> d) => r.ReadPackedInt32(d), (ref MessageReader r) => r.ReadInt32());
            AssertBulkMatchesOneByOne<uint>(input, (ref MessageReader r) => r.CountVarints(), (ref MessageReader r, Span<uint> d) => r.ReadPackedUInt32(d), (ref MessageReader r) => r.ReadUInt32());
            AssertBulkMatchesOneByOne<int>(input, (ref MessageReader r) => r.CountVarints(), (ref MessageReader r, Span<int> d) => r.ReadPackedSInt32(d), (ref MessageReader r) => r.ReadSInt32());
            AssertBulkMatchesOneByOne<ulong>(input, (ref MessageReader r) => r.CountVarints(), (ref MessageReader r, Span<ulong> d) => r.ReadPackedUInt64(d), (ref MessageReader r) => r.ReadUInt64());

            // Asked for more than there are: fails where reading one at a time fails.
            AssertBulkMatchesOneByOne<uint>(input, (ref MessageReader r) => r.CountVarints() + 16, (ref MessageReader r, Span<uint> d) => r.ReadPackedUInt32(d), (ref MessageReader r) => r.ReadUInt32(), moreThanThere: true);
        }
    }

    [Fact]
    public void Sixteen_varints_decoded_as_vectors_match_the_definition_or_are_declined()
    {
        if (!VarintWords.CanDecodeSixteen)
        {
            return; // nothing to test on this processor: the callers never use it
        }

        var random = new Random(11);
        for (int round = 0; round < 20_000; round++)
        {
            // Varints of 1 to maxBytes bytes, then random bytes, in a 64-byte block, of which `available` count.
            int maxBytes = random.Next(1, 7);
            var bytes = new List<byte>();
            var values = new List<uint>();
            while (bytes.Count < 64)
            {
                int length = random.Next(1, maxBytes + 1);
                ulong value = (ulong)random.NextInt64() & ((1UL << (7 * length)) - 1);
                value |= 1UL << (7 * (length - 1)); // exactly `length` bytes
                if (length == 1)
                {
                    value &= 0x7F;
                }

                bytes.AddRange(Encode(value));
                values.Add((uint)value);
            }

            byte[] block = bytes.Take(64).ToArray();
            int available = random.Next(3) == 0 ? random.Next(0, 65) : 64;
            byte[] visible = [.. block[..available], .. new byte[64 - available]];
            uint[] output = Enumerable.Repeat(0xDEADBEEFu, 20).ToArray();
            int taken = VarintWords.DecodeSixteen(System.Runtime.Intrinsics.Vector512.Create(visible), available, ref output[0]);

            // The definition: the first sixteen varints must end within `available` bytes and be at most 4 bytes each.
            int position = 0;
            bool qualifies = true;
            for (int k = 0; k < 16 && qualifies; k++)
            {
                var one = Reference(block[..available], position, out _);
                if (one is null || one.Value.Offset - position > 4)
                {
                    qualifies = false;
                    break;
                }

                Assert.Equal((ulong)values[k], one.Value.Value);
                position = (int)one.Value.Offset;
            }

            if (qualifies)
            {
                Assert.Equal(position, taken);
                Assert.Equal(values.Take(16), output.Take(16));
            }
            else
            {
                Assert.Equal(0, taken);
                Assert.All(output.Take(16), v => Assert.Equal(0xDEADBEEFu, v));
            }

            Assert.All(output.Skip(16), v => Assert.Equal(0xDEADBEEFu, v));
        }
    }

    [Fact]
    public void Bulk_reads_asked_for_more_values_than_there_are_fail_where_the_input_ends()
    {
        var reader = new MessageReader(new byte[] { 1, 2, 0x80 });
        MessageFormatException e = CatchBulk(ref reader, 4);
        Assert.Equal(2, e.Offset);
        Assert.Contains("inside a varint", e.Reason, StringComparison.Ordinal);

        // Sixteen or more asked of an empty input, or of fewer than sixteen varints (the vector path declines).
        foreach (int asked in new[] { 16, 17, 32, 100 })
        {
            var empty = new MessageReader(ReadOnlySpan<byte>.Empty);
            MessageFormatException none = CatchBulk(ref empty, asked);
            Assert.Equal(0, none.Offset);
            Assert.Contains("inside a varint", none.Reason, StringComparison.Ordinal);

            byte[] fifteen = [.. Enumerable.Repeat((byte)0x05, 15)];
            var few = new MessageReader(fifteen);
            MessageFormatException short15 = CatchBulk(ref few, asked);
            Assert.Equal(15, short15.Offset);
        }

        var fixedReader = new MessageReader(new byte[10]);
        try
        {
            fixedReader.ReadPackedFixed32(new uint[3]);
            Assert.Fail("no exception");
        }
        catch (MessageFormatException f)
        {
            Assert.Equal(8, f.Offset);
        }
    }

    private static MessageFormatException CatchBulk(ref MessageReader reader, int count)
    {
        try
        {
            reader.ReadPackedInt32(new int[count]);
        }
        catch (MessageFormatException e)
        {
            return e;
        }

        throw new InvalidOperationException("no exception");
    }

    [Fact]
    public void Repeated_builder_hands_out_the_appended_array_and_merges_later_elements()
    {
        var first = new RepeatedBuilder<int>();
        Span<int> span = first.Append(3);
        span[0] = 1;
        span[1] = 2;
        span[2] = 3;
        Assert.Equal([1, 2, 3], first.ToArray());

        var mixed = new RepeatedBuilder<int>();
        mixed.Add(1);
        mixed.Append(2).Fill(7);
        mixed.Add(2);
        mixed.Append(0);
        Span<int> more = mixed.Append(1);
        more[0] = 9;
        Assert.Equal([1, 7, 7, 2, 9], mixed.ToArray());

        var list = new RepeatedBuilder<string>();
        list.Append(2).Fill("a");
        list.Add("b");
        Assert.Equal(["a", "a", "b"], list.ToList());
        Assert.Empty(new RepeatedBuilder<int>().ToArray());
    }

    public static TheoryData<string> Strings() =>
    [
        "", "a", "lobby-eu-west", new string('x', 200), "é", "caf\u00e9", "€uro", "😀", new string('a', 70) + "é" + new string('b', 70),
    ];

    [Theory]
    [MemberData(nameof(Strings))]
    public void Strings_read_back_ascii_or_not(string text)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        byte[] input = [0x1A, .. Encode((ulong)utf8.Length), .. utf8];
        Assert.Equal(text, MessageSerializer.Read<ChatMessage>(input).Room);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(64)]
    [InlineData(100)]
    public void Invalid_utf8_after_an_ascii_prefix_fails_at_the_string(int asciiPrefix)
    {
        foreach (byte[] bad in new byte[][] { [0xFF], [0xC3, 0x28], [0xE2, 0x82], [0xED, 0xA0, 0x80] })
        {
            byte[] content = [.. Enumerable.Repeat((byte)'a', asciiPrefix), .. bad, (byte)'z'];
            byte[] input = [0x08, 0x01, 0x1A, .. Encode((ulong)content.Length), .. content];
            int start = 3 + Encode((ulong)content.Length).Length;
            MessageFormatException e = Assert.Throws<MessageFormatException>(() => MessageSerializer.Read<ChatMessage>(input));
            Assert.Equal(start, e.Offset);
            Assert.Contains("not valid UTF-8", e.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Varints_written_as_words_match_the_definition_at_every_distance_from_the_end()
    {
        foreach (ulong value in Values(4))
        {
            byte[] expected = Encode(value);
            for (int room = expected.Length; room < expected.Length + 12; room++)
            {
                byte[] buffer = new byte[room + 3];
                var writer = new MessageWriter(buffer.AsSpan(3, room));
                writer.WriteVarint64(value);
                Assert.Equal(expected.Length, writer.BytesWritten);
                Assert.Equal(expected, buffer.AsSpan(3, expected.Length).ToArray());
                Assert.Equal(new byte[3], buffer[..3]);
            }
        }
    }

    [Fact]
    public void Thirty_two_bit_varints_match_the_definition_at_every_distance_from_the_end()
    {
        foreach (ulong wide in Values(5))
        {
            uint value = (uint)wide;
            byte[] expected = Encode(value);
            for (int room = expected.Length; room < expected.Length + 12; room++)
            {
                byte[] buffer = new byte[room + 3];
                var writer = new MessageWriter(buffer.AsSpan(3, room));
                writer.WriteVarint32(value); // 1, 2-3 (plain stores) or more bytes (words)
                Assert.Equal(expected.Length, writer.BytesWritten);
                Assert.Equal(expected, buffer.AsSpan(3, expected.Length).ToArray());
                Assert.Equal(new byte[3], buffer[..3]);
            }
        }
    }

    [Fact]
    public void Serializer_never_writes_past_the_message_in_a_larger_destination()
    {
        var message = new ChatMessage(ulong.MaxValue, 300, "é room", new string('x', 130));
        int size = MessageSerializer.GetSize(message);
        byte[] destination = new byte[size + 32];
        Array.Fill(destination, (byte)0xAB);
        Assert.Equal(size, MessageSerializer.Write(message, destination));
        Assert.All(destination[size..], b => Assert.Equal(0xAB, b));
        Assert.Equal(message, MessageSerializer.Read<ChatMessage>(destination.AsSpan(0, size)));
    }

    [Theory]
    [InlineData("22 01 62 1A 01 61 10 02 08 01")]          // reverse order
    [InlineData("08 01 08 05 10 02 10 03 1A 01 61 1A 01 63")] // duplicates: the last wins
    [InlineData("08 01 28 07 10 02 1A 01 61 22 01 62")]    // an unknown field between known ones
    [InlineData("10 02 08 01 22 01 62 1A 01 61")]          // pairs swapped
    [InlineData("08 01 10 02 1A 01 61 22 01 62 08 09")]    // in order, then a field again
    public void Fields_in_any_order_read_like_google_protobuf(string hex)
    {
        byte[] input = Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));
        var google = PeerKit.Tests.Google.ChatMessage.Parser.ParseFrom(input);
        ChatMessage read = MessageSerializer.Read<ChatMessage>(input);
        Assert.Equal(new ChatMessage(google.From, google.To, google.Room, google.Text), read);
    }
}
