using System.Text;
using Google.Protobuf;
using PeerKit.Serialization;
using PeerKit.Tests.Model;

namespace PeerKit.Tests;

/// <summary>
/// The vector ASCII check, narrowing and widening (<see cref="AsciiText"/>) agree with one-unit-at-a-time
/// definitions at every length up to past the widest vector, with a non-ASCII unit at every position, and
/// never touch memory outside the lengths they are given; the string fields that use them still read and
/// write what Google.Protobuf does and still reject invalid UTF-8 at the string's offset.
/// </summary>
public class AsciiTextTests
{
    private const int MaxLength = 200;

    // Units at the edges of ASCII and beyond: the first non-ASCII unit, Latin-1, two- and three-byte UTF-8,
    // a lone surrogate, units whose low byte alone looks like ASCII.
    private static readonly char[] NonAscii = ['\u0080', '\u00FF', '\u0100', '\u017F', '\u07FF', '\u0800', '\uD800', '\uDFFF', '\uFF41', '\uFFFF'];

    private static char[] AsciiUnits(int length, int seed)
    {
        var random = new Random(seed);
        var units = new char[length];
        for (int i = 0; i < length; i++)
        {
            units[i] = (char)random.Next(0, 0x80); // NUL and DEL included
        }

        return units;
    }

    private static bool ReferenceIsAscii(ReadOnlySpan<char> units)
    {
        foreach (char c in units)
        {
            if (c >= 0x80)
            {
                return false;
            }
        }

        return true;
    }

    [Fact]
    public void IsAscii_matches_the_definition_at_every_length_and_position()
    {
        for (int length = 0; length <= MaxLength; length++)
        {
            char[] units = AsciiUnits(length, length);
            Assert.True(AsciiText.IsAscii(new string(units)));
            for (int at = 0; at < length; at++)
            {
                foreach (char bad in NonAscii)
                {
                    char[] copy = (char[])units.Clone();
                    copy[at] = bad;
                    Assert.Equal(ReferenceIsAscii(copy), AsciiText.IsAscii(new string(copy)));
                    Assert.False(AsciiText.IsAscii(new string(copy)));
                }
            }
        }
    }

    [Fact]
    public void IsAscii_reads_only_its_length()
    {
        // Non-ASCII units right before and after the checked range must not be seen.
        for (int length = 0; length <= MaxLength; length++)
        {
            char[] units = [.. Enumerable.Repeat('\u00E9', 40), .. AsciiUnits(length, length), .. Enumerable.Repeat('\u00E9', 40)];
            Assert.True(AsciiText.IsAscii(ref units[40], length));
        }
    }

    [Fact]
    public void Narrow_writes_ascii_bytes_and_stops_at_a_block_with_another_unit()
    {
        for (int length = 0; length <= MaxLength; length++)
        {
            char[] units = AsciiUnits(length, length + 1000);
            AssertNarrow(units, firstBad: -1);
            for (int at = 0; at < length; at++)
            {
                foreach (char bad in NonAscii)
                {
                    char[] copy = (char[])units.Clone();
                    copy[at] = bad;
                    AssertNarrow(copy, firstBad: at);
                }
            }
        }
    }

    private static void AssertNarrow(char[] units, int firstBad)
    {
        int length = units.Length;
        byte[] destination = new byte[length + 80];
        Array.Fill(destination, (byte)0xAB);
        char[] padded = [.. Enumerable.Repeat('\u00E9', 40), .. units, .. Enumerable.Repeat('\u00E9', 40)];
        int done = AsciiText.Narrow(ref padded[40], ref destination[40], length);
        if (firstBad < 0)
        {
            Assert.Equal(length, done);
        }
        else
        {
            // Stops at or before the first other unit, and not more than a block (64 units) before it.
            Assert.InRange(done, Math.Max(0, firstBad - 63), firstBad);
        }

        for (int i = 0; i < done; i++)
        {
            Assert.Equal((byte)units[i], destination[40 + i]);
        }

        Assert.All(destination[..40], b => Assert.Equal(0xAB, b));
        Assert.All(destination[(40 + length)..], b => Assert.Equal(0xAB, b));
    }

    [Fact]
    public void Widen_matches_the_definition_at_every_length_and_position()
    {
        byte[] nonAscii = [0x80, 0xBF, 0xC3, 0xE2, 0xF0, 0xFF];
        for (int length = 0; length <= MaxLength; length++)
        {
            byte[] bytes = AsciiUnits(length, length + 2000).Select(c => (byte)c).ToArray();
            AssertWiden(bytes, expectAscii: true);
            for (int at = 0; at < length; at++)
            {
                foreach (byte bad in nonAscii)
                {
                    byte[] copy = (byte[])bytes.Clone();
                    copy[at] = bad;
                    AssertWiden(copy, expectAscii: false);
                }
            }
        }
    }

    private static void AssertWiden(byte[] bytes, bool expectAscii)
    {
        int length = bytes.Length;
        byte[] padded = [.. Enumerable.Repeat((byte)0xFF, 40), .. bytes, .. Enumerable.Repeat((byte)0xFF, 40)];
        char[] destination = new char[length + 80];
        Array.Fill(destination, '#');
        bool ascii = AsciiText.Widen(ref padded[40], ref destination[40], length);
        Assert.Equal(expectAscii, ascii);
        Assert.Equal(bytes.All(b => b < 0x80), ascii);
        if (ascii)
        {
            Assert.Equal(Encoding.ASCII.GetString(bytes), new string(destination, 40, length));
        }

        Assert.All(destination[..40], c => Assert.Equal('#', c));
        Assert.All(destination[(40 + length)..], c => Assert.Equal('#', c));
    }

    private static byte[] Encode(ulong value) => Support.Wire.Varint(value);

    [Fact]
    public void String_fields_with_another_character_at_every_position_match_google_protobuf()
    {
        string[] others = ["é", "€", "😀", "\u0080", "\uFFFF"];
        foreach (int length in new[] { 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 104, 127, 128, 129, 150 })
        {
            string ascii = new(AsciiUnits(length, length + 3000));
            for (int at = 0; at <= length; at++)
            {
                foreach (string other in others)
                {
                    string text = ascii[..at] + other + ascii[at..];
                    var message = new ChatMessage(1, 2, text, ascii);
                    byte[] expected = new PeerKit.Tests.Google.ChatMessage { From = 1, To = 2, Room = text, Text = ascii }.ToByteArray();
                    Assert.Equal(expected, MessageSerializer.ToArray(message));
                    Assert.Equal(message, MessageSerializer.Read<ChatMessage>(expected));
                }
            }
        }
    }

    [Fact]
    public void Invalid_utf8_at_every_position_of_a_string_fails_at_the_string()
    {
        byte[][] invalid = [[0xFF], [0x80], [0xC3, 0x28], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xC0, 0x80]];
        foreach (int length in new[] { 0, 1, 7, 8, 15, 16, 31, 32, 63, 64, 65, 104, 140 })
        {
            byte[] ascii = AsciiUnits(length, length + 4000).Select(c => (byte)c).ToArray();
            for (int at = 0; at <= length; at++)
            {
                foreach (byte[] bad in invalid)
                {
                    byte[] content = [.. ascii[..at], .. bad, .. ascii[at..]];
                    byte[] prefix = Encode((ulong)content.Length);
                    byte[] input = [0x08, 0x01, 0x22, .. prefix, .. content];
                    MessageFormatException e = Assert.Throws<MessageFormatException>(() => MessageSerializer.Read<ChatMessage>(input));
                    Assert.Equal(3 + prefix.Length, e.Offset);
                    Assert.Contains("not valid UTF-8", e.Reason, StringComparison.Ordinal);
                }
            }
        }
    }

    [Fact]
    public void WriteString_matches_the_definition_at_every_length_and_room_around_the_one_byte_prefix_path()
    {
        foreach (string unit in new[] { "a", "é", "€", "😀" })
        {
            for (int length = 0; length <= 140; length++)
            {
                string text = unit == "a"
                    ? new string(AsciiUnits(length, length + 5000))
                    : new string(AsciiUnits(length, length + 5000))[..Math.Max(0, length - unit.Length)] + (length >= unit.Length ? unit : string.Empty);
                byte[] utf8 = Encoding.UTF8.GetBytes(text);
                byte[] expected = [.. Encode((ulong)utf8.Length), .. utf8];
                for (int room = expected.Length - 1; room <= expected.Length + 3 * text.Length + 8; room++)
                {
                    byte[] buffer = new byte[room + 16];
                    Array.Fill(buffer, (byte)0xAB);
                    var writer = new MessageWriter(buffer.AsSpan(8, room));
                    bool threw = false;
                    try
                    {
                        writer.WriteString(text);
                    }
                    catch (ArgumentException)
                    {
                        threw = true;
                    }

                    Assert.Equal(room < expected.Length, threw);
                    if (!threw)
                    {
                        Assert.Equal(expected.Length, writer.BytesWritten);
                        Assert.Equal(expected, buffer.AsSpan(8, expected.Length).ToArray());
                    }

                    Assert.All(buffer[..8], b => Assert.Equal(0xAB, b));
                    Assert.All(buffer[(8 + room)..], b => Assert.Equal(0xAB, b));
                }
            }
        }
    }

    [Fact]
    public void Lone_surrogates_still_fail_to_encode_after_an_ascii_prefix()
    {
        foreach (int at in new[] { 0, 1, 8, 31, 64, 100 })
        {
            string text = new string('a', at) + "\uD800" + "tail";
            var message = new ChatMessage(1, 2, "room", text);
            Assert.Throws<EncoderFallbackException>(() => MessageSerializer.ToArray(message));
            Assert.Throws<EncoderFallbackException>(() => MessageSerializer.Write(message, new byte[1024]));
            Assert.Throws<EncoderFallbackException>(() =>
            {
                var writer = new MessageWriter(new byte[1024]); // the writer alone, without GetSize first
                writer.WriteString(text);
            });
        }
    }
}
