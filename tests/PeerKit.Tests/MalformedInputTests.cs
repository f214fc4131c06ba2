using Google.Protobuf;
using PeerKit.Serialization;
using PeerKit.Tests.Model;
using PeerKit.Tests.Support;
using G = PeerKit.Tests.Google;

namespace PeerKit.Tests;

/// <summary>
/// Invalid encodings end in a <see cref="MessageFormatException"/> whose Offset is the byte where decoding
/// failed (from the start of the outermost input), and TryRead returns false. Offsets are pinned on hand-made vectors.
/// </summary>
public class MalformedInputTests
{
    private static void AssertFailsAt<T>(string hex, long offset, string reasonFragment)
        where T : IMessage<T>
    {
        MessageFormatException e = Wire.ReadFails<T>(Wire.FromHex(hex));
        Assert.Equal(offset, e.Offset);
        Assert.Contains(reasonFragment, e.Reason, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"byte {offset}", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10", 1)]                      // int32 tag, then nothing
    [InlineData("10 FF", 1)]                   // int32 varint cut after one byte
    [InlineData("08 01 10 80 80 80", 3)]       // cut after three continuation bytes
    [InlineData("28 FF FF FF FF FF FF FF FF FF", 1)] // int64, nine continuation bytes and no end
    public void Input_ending_inside_a_varint_fails_at_the_varint(string hex, long offset) =>
        AssertFailsAt<ScalarsStruct>(hex, offset, "inside a varint");

    [Theory]
    [InlineData("25", 1)]
    [InlineData("25 01 02 03", 1)]
    [InlineData("08 01 4D 01", 3)]
    public void Input_ending_inside_a_fixed32_fails_at_the_value(string hex, long offset) =>
        AssertFailsAt<ScalarsStruct>(hex, offset, "4-byte");

    [Theory]
    [InlineData("39", 1)]
    [InlineData("39 01 02 03 04 05 06 07", 1)]
    [InlineData("69 00 00 00 00 00 00 F0", 1)]
    public void Input_ending_inside_a_fixed64_fails_at_the_value(string hex, long offset) =>
        AssertFailsAt<ScalarsStruct>(hex, offset, "8-byte");

    [Theory]
    [InlineData("1A 05 61 62", 1)]             // room: 5 bytes announced, 2 present
    [InlineData("08 01 1A 01", 3)]             // room: 1 byte announced, none present
    [InlineData("22 80 01 61", 1)]             // text: 128 bytes announced
    public void Input_ending_inside_a_length_delimited_field_fails_at_its_length(string hex, long offset) =>
        AssertFailsAt<ChatMessage>(hex, offset, "past the end");

    [Fact]
    public void Input_ending_inside_an_unknown_field_fails_at_the_field()
    {
        AssertFailsAt<ChatMessage>("08 01 2D 01 02", 3, "bytes before the end"); // unknown fixed32
        AssertFailsAt<ChatMessage>("29 01", 1, "bytes before the end");           // unknown fixed64
        AssertFailsAt<ChatMessage>("2A 03 01", 1, "past the end");                // unknown length-delimited
        AssertFailsAt<ChatMessage>("28 80", 1, "inside a varint");                // unknown varint
    }

    [Fact]
    public void Varint_of_ten_bytes_is_read_and_of_eleven_fails()
    {
        Assert.Equal(-1, MessageSerializer.Read<ScalarsStruct>(Wire.FromHex("10 FF FF FF FF FF FF FF FF FF 01")).Int32Value);
        Assert.Equal(1, MessageSerializer.Read<ScalarsStruct>(Wire.FromHex("10 81 80 80 80 80 80 80 80 80 00")).Int32Value);
        AssertFailsAt<ScalarsStruct>("10 FF FF FF FF FF FF FF FF FF FF 01", 1, "longer than 10 bytes");
        AssertFailsAt<ScalarsStruct>("08 01 28 80 80 80 80 80 80 80 80 80 80 00", 3, "longer than 10 bytes");
        AssertFailsAt<ChatMessage>("1A FF FF FF FF FF FF FF FF FF FF 01", 1, "longer than 10 bytes"); // a length
        AssertFailsAt<ChatMessage>("FF FF FF FF FF FF FF FF FF FF 01", 0, "longer than 10 bytes");    // a tag
    }

    [Theory]
    [InlineData("12 FF FF FF FF 0F", 1)]                     // 4 GiB - 1
    [InlineData("12 FF FF FF FF 07", 1)]                     // int.MaxValue
    [InlineData("12 80 80 80 80 80 80 80 80 01", 1)]         // 2^63
    [InlineData("12 FF FF FF FF FF FF FF FF 01", 1)]         // ulong.MaxValue
    [InlineData("1A 02 01", 1)]                              // packed ints: 2 bytes announced, 1 present
    [InlineData("0A 03 08 01", 1)]                           // nested header: 3 announced, 2 present
    public void Length_prefix_larger_than_the_input_fails_without_allocating_it(string hex, long offset)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        AssertFailsAt<Block>(hex, offset, "past the end");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000, "a length prefix must not be allocated before it is checked");
    }

    [Theory]
    [InlineData("00", 0)]
    [InlineData("02 00", 0)]
    [InlineData("07", 0)]
    [InlineData("08 01 00", 2)]
    [InlineData("80 00", 0)]      // field 0 in a two-byte (overlong) tag
    [InlineData("08 01 10 05 05 01 02 03 04", 4)] // field 0, wire type 5
    public void Field_number_zero_fails_at_its_tag(string hex, long offset) =>
        AssertFailsAt<ScalarsStruct>(hex, offset, "field number 0");

    [Theory]
    [InlineData("0E", 0)]
    [InlineData("0F", 0)]
    [InlineData("08 01 16", 2)]
    [InlineData("08 01 8F 01", 2)]   // field 17, wire type 7, two-byte tag
    [InlineData("FE FF FF FF 0F", 0)] // field 536870911, wire type 6
    public void Wire_types_6_and_7_fail_at_their_tag(string hex, long offset) =>
        AssertFailsAt<ScalarsStruct>(hex, offset, "wire type");

    [Fact]
    public void Tag_larger_than_32_bits_fails_at_the_tag() =>
        AssertFailsAt<ScalarsStruct>("08 01 80 80 80 80 10", 2, "larger than 32 bits");

    [Theory]
    [InlineData("1A 02 C3 28", 2)]           // invalid continuation byte
    [InlineData("1A 02 C0 80", 2)]           // overlong encoding of NUL
    [InlineData("1A 03 ED A0 80", 2)]        // an encoded surrogate (U+D800)
    [InlineData("1A 02 E2 82", 2)]           // truncated three-byte sequence
    [InlineData("1A 01 FF", 2)]              // never valid in UTF-8
    [InlineData("1A 04 F4 90 80 80", 2)]     // above U+10FFFF
    [InlineData("08 01 22 03 61 62 80", 4)]  // text, after a valid field
    public void Invalid_utf8_in_a_string_fails_at_the_string(string hex, long offset) =>
        AssertFailsAt<ChatMessage>(hex, offset, "not valid UTF-8");

    [Fact]
    public void Invalid_utf8_in_a_nested_or_repeated_string_fails_at_the_string()
    {
        AssertFailsAt<Outer>("0A 04 12 02 C3 28", 4, "not valid UTF-8");
        AssertFailsAt<RepeatedArrays>("7A 01 61 7A 01 FF", 5, "not valid UTF-8");
        AssertFailsAt<Optionals>("7A 01 FE", 2, "not valid UTF-8");
    }

    [Fact]
    public void Bytes_fields_accept_any_bytes()
    {
        Assert.Equal(new byte[] { 0xC3, 0x28, 0xFF }, MessageSerializer.Read<ScalarsClass>(Wire.FromHex("82 01 03 C3 28 FF")).Data);
    }

    [Fact]
    public void Unmatched_end_group_fails_at_its_tag()
    {
        AssertFailsAt<ChatMessage>("0C", 0, "no matching start");
        AssertFailsAt<ChatMessage>("08 01 0C", 2, "no matching start");
        AssertFailsAt<ChatMessage>("08 01 A4 01", 2, "no matching start");   // field 20, two-byte tag
        AssertFailsAt<Outer>("0A 02 24 00", 2, "no matching start");          // inside a nested message
    }

    [Fact]
    public void Groups_that_do_not_close_properly_fail()
    {
        AssertFailsAt<ChatMessage>("0B 08 01", 3, "inside group 1");                     // never closed
        AssertFailsAt<ChatMessage>("0B 08 01 14", 3, "closed by an end-group tag for field 2"); // closed by another field
        AssertFailsAt<ChatMessage>("0B 13 0C", 2, "closed by an end-group tag for field 1");    // inner group 2 closed by 1
    }

    [Fact]
    public void Groups_nested_a_hundred_deep_are_skipped_and_a_hundred_and_one_fail()
    {
        byte[] Groups(int depth) => Enumerable.Repeat((byte)0x0B, depth).Concat(Enumerable.Repeat((byte)0x0C, depth)).Concat(new byte[] { 0x08, 0x05 }).ToArray();
        Assert.Equal(5UL, MessageSerializer.Read<ChatMessage>(Groups(100)).From);
        MessageFormatException e = Wire.ReadFails<ChatMessage>(Groups(101));
        Assert.Equal(100, e.Offset); // the 101st start-group tag
        Assert.Contains("deeper than 100", e.Reason, StringComparison.Ordinal);
    }

    /// <summary>
    /// A peerkit.tests.Recursive of <paramref name="levels"/> messages (the outermost and levels - 1 nested), and
    /// the offset of each nested message's length prefix.
    /// </summary>
    private static byte[] Nest(int levels, out List<int> lengthOffsets)
    {
        byte[] inner = [0x10, 0x01]; // value = 1
        var sizes = new List<int>();
        for (int level = levels - 1; level > 0; level--)
        {
            sizes.Add(inner.Length);
            byte[] length = new byte[5];
            int n = 0;
            uint v = (uint)inner.Length;
            while (v >= 0x80)
            {
                length[n++] = (byte)(v | 0x80);
                v >>= 7;
            }

            length[n++] = (byte)v;
            inner = [0x0A, .. length.AsSpan(0, n), .. inner];
        }

        lengthOffsets = [];
        int offset = 0;
        sizes.Reverse();
        foreach (int size in sizes)
        {
            lengthOffsets.Add(offset + 1);
            offset += 1 + (size < 0x80 ? 1 : size < 0x4000 ? 2 : 3);
        }

        return inner;
    }

    [Fact]
    public void Messages_nested_a_hundred_deep_are_read_and_a_hundred_and_one_fail_at_the_deepest_length()
    {
        byte[] ok = Nest(101, out _);
        int depth = 0;
        for (Recursive? r = MessageSerializer.Read<Recursive>(ok); r is not null; r = r.Child)
        {
            depth++;
        }

        Assert.Equal(101, depth);
        Assert.NotNull(G.Recursive.Parser.ParseFrom(ok).Child);

        byte[] tooDeep = Nest(102, out List<int> lengthOffsets);
        MessageFormatException e = Wire.ReadFails<Recursive>(tooDeep);
        Assert.Equal(lengthOffsets[100], e.Offset);
        Assert.Contains("nested deeper than 100", e.Reason, StringComparison.Ordinal);

        // Google's default recursion limit is 100 too: it refuses the same input.
        Assert.Throws<global::Google.Protobuf.InvalidProtocolBufferException>(() => G.Recursive.Parser.ParseFrom(tooDeep));
    }

    [Fact]
    public void Very_deep_nesting_fails_at_depth_a_hundred_and_one_without_a_stack_overflow()
    {
        byte[] bytes = Nest(2_000, out List<int> lengthOffsets);
        MessageFormatException e = Wire.ReadFails<Recursive>(bytes);
        Assert.Equal(lengthOffsets[100], e.Offset);
    }

    [Fact]
    public void Errors_inside_nested_messages_report_offsets_from_the_outermost_input()
    {
        AssertFailsAt<Outer>("28 01 0A 02 08 FF", 5, "inside a varint");
        AssertFailsAt<Outer>("0A 04 12 05 61 62", 3, "past the end");
        AssertFailsAt<Outer>("22 02 08 01 1A 03 08 80 80", 7, "inside a varint");
        AssertFailsAt<Block>("1A 03 01 02 80", 4, "inside a varint");                  // inside a packed field
        AssertFailsAt<RepeatedArrays>("22 05 01 02 03 04 05", 6, "4-byte");           // packed sfixed32 of 5 bytes
        AssertFailsAt<RepeatedArrays>("3A 09 01 02 03 04 05 06 07 08 09", 10, "8-byte"); // packed sfixed64 of 9 bytes
    }

    [Fact]
    public void TryRead_returns_false_and_a_default_message_on_bad_input()
    {
        Assert.False(MessageSerializer.TryRead(Wire.FromHex("1A 05 61"), out ChatMessage chat));
        Assert.Null(chat);
        Assert.False(MessageSerializer.TryRead(Wire.FromHex("0F"), out AvatarTransform pose));
        Assert.Equal(default, pose);
        Assert.True(MessageSerializer.TryRead(ReadOnlySpan<byte>.Empty, out AvatarTransform empty));
        Assert.Equal(default, empty);
    }

    [Fact]
    public void Reader_primitives_report_offsets_relative_to_the_outermost_input()
    {
        var reader = new MessageReader(Wire.FromHex("08 96 01 25 01"));
        Assert.Equal(8u, reader.ReadTag());
        Assert.Equal(150u, reader.ReadVarint32());
        Assert.Equal(3, reader.Offset);
        Assert.Equal(0x25u, reader.ReadTag());
        try
        {
            reader.ReadFixed32();
            Assert.Fail("expected a MessageFormatException");
        }
        catch (MessageFormatException e)
        {
            Assert.Equal(4, e.Offset);
        }
    }
}
