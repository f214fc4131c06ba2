using Google.Protobuf;
using PeerKit.Tests.Model;
using G = PeerKit.Tests.Google;

namespace PeerKit.Tests;

/// <summary>
/// Strings are encoded in one pass when the length prefix's size is known in advance (and there is room),
/// else counted first: both paths must write Google.Protobuf's bytes at every length boundary.
/// </summary>
public class StringEncodingTests
{
    public static TheoryData<string, int> Texts()
    {
        var data = new TheoryData<string, int>();
        int[] lengths = [0, 1, 41, 42, 43, 44, 127, 128, 129, 5460, 5461, 5462, 16383, 16384, 20000];
        string[] units = ["a", "é", "€", "😀"];
        foreach (string unit in units)
        {
            foreach (int length in lengths)
            {
                data.Add(unit, length);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void Strings_at_every_prefix_boundary_match_google_protobuf_with_and_without_spare_room(string unit, int units)
    {
        string text = string.Concat(Enumerable.Repeat(unit, Math.Max(1, units / unit.Length)))[..Math.Min(units, units / unit.Length * unit.Length)];
        var message = new ChatMessage(1, 2, "room", text);
        byte[] expected = new G.ChatMessage { From = 1, To = 2, Room = "room", Text = text }.ToByteArray();

        Assert.Equal(expected, MessageSerializer.ToArray(message));

        byte[] roomy = new byte[expected.Length * 4 + 64];
        int written = MessageSerializer.Write(message, roomy);
        Assert.Equal(expected, roomy[..written]);

        var writer = new System.Buffers.ArrayBufferWriter<byte>(1);
        MessageSerializer.Write(message, writer);
        Assert.Equal(expected, writer.WrittenSpan.ToArray());
        Assert.Equal(text, MessageSerializer.Read<ChatMessage>(roomy.AsSpan(0, written)).Text);
    }

    [Theory]
    [InlineData(255, "é")]
    [InlineData(256, "é")]
    [InlineData(300, "€x")]
    [InlineData(4000, "😀 tail")]
    public void Long_strings_that_turn_non_ASCII_after_an_ASCII_run_match_google_protobuf(int asciiUnits, string rest)
    {
        string text = new string('a', asciiUnits) + rest + new string('b', asciiUnits / 2);
        var message = new ChatMessage(1, 2, "room", text);
        byte[] expected = new G.ChatMessage { From = 1, To = 2, Room = "room", Text = text }.ToByteArray();
        Assert.Equal(expected, MessageSerializer.ToArray(message));
        Assert.Equal(text, MessageSerializer.Read<ChatMessage>(expected).Text);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(300)]
    public void A_lone_surrogate_after_an_ASCII_run_is_refused_on_write(int asciiUnits)
    {
        var message = new ChatMessage(1, 2, "room", new string('a', asciiUnits) + "\uD800" + "zz");
        Assert.Throws<System.Text.EncoderFallbackException>(() => MessageSerializer.ToArray(message));
    }
}
