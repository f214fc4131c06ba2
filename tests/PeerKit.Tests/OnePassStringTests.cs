using System.Text;
using Google.Protobuf;
using PeerKit.Tests.Model;
using PeerKit.Tests.Support;
using G = PeerKit.Tests.Google;

namespace PeerKit.Tests;

/// <summary>
/// A message with strings written into a span that holds its bound (three bytes a UTF-16 unit) is written in one pass,
/// each string transcoded once and its length prefix filled in after: the bytes must be Google.Protobuf's at every
/// width of the prefix, and no byte of the span after the message may change.
/// </summary>
public class OnePassStringTests
{
    /// <summary>Text of exactly <paramref name="bytes"/> UTF-8 bytes made of <paramref name="unit"/>, padded with ASCII.</summary>
    private static string TextOf(string unit, int bytes)
    {
        int width = Encoding.UTF8.GetByteCount(unit);
        var text = new StringBuilder(bytes);
        text.Insert(0, unit, bytes / width);
        text.Append('a', bytes % width);
        Assert.Equal(bytes, Encoding.UTF8.GetByteCount(text.ToString()));
        return text.ToString();
    }

    public static TheoryData<string, int> Boundaries()
    {
        var data = new TheoryData<string, int>();
        foreach (string unit in new[] { "a", "é", "€", "😀" })
        {
            foreach (int bytes in new[] { 127, 128, 16_383, 16_384, 2_097_151, 2_097_152 })
            {
                data.Add(unit, bytes);
            }
        }

        return data;
    }

    private static byte[] WriteInRoomySpan<T>(T message, int expectedLength) where T : IMessage<T>
    {
        int bound = BoundOf(message);
        Assert.True(bound >= expectedLength, $"the bound {bound} is under the size {expectedLength}");
        byte[] span = new byte[bound + 16];
        span.AsSpan().Fill(0xEE);
        int written = MessageSerializer.Write(message, span);
        Assert.Equal(expectedLength, written);
        Assert.True(span.AsSpan(written).IndexOfAnyExcept((byte)0xEE) < 0, "bytes after the message were written");
        return span[..written];
    }

    private static int BoundOf<T>(T message) where T : IMessage<T> => T.GetSizeBound(in message);

    [Theory]
    [MemberData(nameof(Boundaries))]
    public void Strings_of_UTF8_lengths_at_every_prefix_width_boundary_are_written_in_one_pass_as_google_protobuf_writes_them(string unit, int bytes)
    {
        string text = TextOf(unit, bytes);
        var google = new G.ChatMessage { From = 1, To = ulong.MaxValue, Room = "é" + text[..Math.Min(text.Length, 200)], Text = text };
        byte[] expected = google.ToByteArray();
        ChatMessage message = Map.ChatMessage(google);

        Wire.AssertSameBytes(expected, WriteInRoomySpan(message, expected.Length), "one pass");
        Wire.AssertSameBytes(expected, MessageSerializer.ToArray(message), "sized");
        Assert.Equal(text, MessageSerializer.Read<ChatMessage>(expected).Text);
    }

    [Theory]
    [InlineData(42)]
    [InlineData(43)]
    [InlineData(5_461)]
    [InlineData(5_462)]
    public void Text_whose_prefix_grows_past_the_width_of_its_unit_count_moves_once_and_matches_google_protobuf(int units)
    {
        // 43 '€' are 129 bytes: the unit count's varint takes one byte, the byte count's two.
        string text = new('€', units);
        var google = new G.ChatMessage { Text = text, Room = new string('r', 300) };
        byte[] expected = google.ToByteArray();
        Wire.AssertSameBytes(expected, WriteInRoomySpan(Map.ChatMessage(google), expected.Length), "one pass");
    }

    [Fact]
    public void Repeated_and_nested_strings_are_written_in_one_pass_as_google_protobuf_writes_them()
    {
        var repeateds = new G.Repeateds();
        repeateds.Texts.Add([string.Empty, TextOf("é", 128), TextOf("😀", 16_384), new string('x', 5000), "日本"]);
        byte[] expected = repeateds.ToByteArray();
        Wire.AssertSameBytes(expected, WriteInRoomySpan(Map.RepeatedLists(repeateds), expected.Length), "repeated strings");
        Wire.AssertSameBytes(expected, WriteInRoomySpan(Map.RepeatedArrays(repeateds), expected.Length), "repeated strings (arrays)");

        var outer = new G.Outer
        {
            Required = new G.Inner { Id = -1, Name = TextOf("€", 16_383) },
            Optional = new G.Inner { Name = TextOf("a", 128) },
            Position = new G.Point { X = 1 },
        };
        outer.Items.Add(new G.Inner { Id = 7, Name = TextOf("😀", 132) });
        expected = outer.ToByteArray();
        Wire.AssertSameBytes(expected, WriteInRoomySpan(Map.Outer(outer), expected.Length), "nested strings");
        Wire.AssertSameBytes(expected, WriteInRoomySpan(Map.OuterClass(outer), expected.Length), "nested strings (class)");
    }

    [Fact]
    public void The_bound_reads_no_characters_and_covers_any_text_of_that_many_units()
    {
        // Three bytes a unit is the most UTF-8 takes (a surrogate pair: four bytes for two units).
        foreach (string text in new[] { new string('a', 1000), new string('€', 1000), string.Concat(Enumerable.Repeat("😀", 500)) })
        {
            var message = new ChatMessage(0, 0, string.Empty, text);
            Assert.True(BoundOf(message) >= MessageSerializer.GetSize(message));
            Assert.Equal(1 + 2 + 3000, BoundOf(message));
        }

        // A string that is not valid UTF-16 still has a bound: it is refused when it is transcoded.
        Assert.Equal(1 + 1 + 3, BoundOf(new ChatMessage(0, 0, string.Empty, "\uD800")));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(126)]
    [InlineData(127)]
    [InlineData(16_383)]
    [InlineData(20_000)]
    public void A_lone_surrogate_is_refused_on_every_path_where_google_protobuf_writes_a_replacement_character(int asciiUnits)
    {
        string text = new string('a', asciiUnits) + "\uDC00" + "tail";

        // Google.Protobuf encodes with Encoding.UTF8, which silently replaces the surrogate with U+FFFD (EF BF BD);
        // PeerKit's UTF-8 is strict (docs/architecture.md): the text would change, so it is an error instead.
        byte[] google = new G.ChatMessage { Text = text }.ToByteArray();
        byte[] replaced = Encoding.UTF8.GetBytes(text);
        Assert.Equal(replaced, google[^replaced.Length..]);
        Assert.Equal(new string('a', asciiUnits) + "\uFFFDtail", G.ChatMessage.Parser.ParseFrom(google).Text);

        var message = new ChatMessage(0, 0, string.Empty, text);
        Assert.Throws<EncoderFallbackException>(() => MessageSerializer.GetSize(message));
        Assert.Throws<EncoderFallbackException>(() => MessageSerializer.ToArray(message));
        Assert.Throws<EncoderFallbackException>(() => MessageSerializer.Write(message, new byte[BoundOf(message)]));
        Assert.Throws<EncoderFallbackException>(() => MessageSerializer.Write(message, new System.Buffers.ArrayBufferWriter<byte>()));
    }

    [Fact]
    public void A_string_over_its_MaxLength_is_refused_before_a_byte_is_written_even_with_room_for_the_bound()
    {
        // 11 units are within the 20-byte limit as a count, 33 bytes as a bound: the characters are counted (22 bytes).
        var message = new RadioNote(1, "ééééééééééé", [], []);
        byte[] destination = Enumerable.Repeat((byte)0xEE, 256).ToArray();
        Assert.Throws<MaxLengthExceededException>(() => MessageSerializer.Write(message, destination));
        Assert.All(destination, b => Assert.Equal(0xEE, b));
    }
}
