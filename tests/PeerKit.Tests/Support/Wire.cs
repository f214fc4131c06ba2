using System.Buffers;
using Google.Protobuf;
using PeerKit.Serialization;
using PeerKit.Tests.Model;
using GP = Google.Protobuf;
using G = PeerKit.Tests.Google;

namespace PeerKit.Tests.Support;

/// <summary>Checks a PeerKit message type against Google.Protobuf's generated class for the same schema.</summary>
internal static class Wire
{
    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes);

    /// <summary>A base-128 varint written one byte at a time: the reference the fast paths are checked against.</summary>
    public static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        bytes.Add((byte)value);
        return bytes.ToArray();
    }

    public static byte[] FromHex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    /// <summary>Asserts two encodings are equal, showing both in hex when they are not.</summary>
    public static void AssertSameBytes(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual, string what)
    {
        if (!expected.SequenceEqual(actual))
        {
            Assert.Fail($"{what}: the encodings differ.\nexpected ({expected.Length} bytes): {Hex(expected)}\nactual   ({actual.Length} bytes): {Hex(actual)}");
        }
    }

    /// <summary>Asserts two Google messages are equal; when not, shows where their text forms first differ.</summary>
    public static void AssertSameMessage<TGoogle>(TGoogle expected, TGoogle actual, string what)
        where TGoogle : GP.IMessage<TGoogle>
    {
        if (expected.Equals(actual))
        {
            return;
        }

        string e = expected.ToString() ?? string.Empty;
        string a = actual.ToString() ?? string.Empty;
        int at = 0;
        while (at < e.Length && at < a.Length && e[at] == a[at])
        {
            at++;
        }

        int from = Math.Max(0, at - 120);
        string Window(string text) => text.Substring(Math.Min(from, text.Length), Math.Min(240, Math.Max(0, text.Length - from)));
        Assert.Fail(
            $"{what}: the messages differ (text lengths {e.Length} and {a.Length}, first difference at character {at}).\n" +
            $"expected: …{Window(e)}…\nactual:   …{Window(a)}…\n" +
            $"encodings: {Hex(expected.ToByteArray().AsSpan(0, Math.Min(64, expected.CalculateSize())))}… vs {Hex(actual.ToByteArray().AsSpan(0, Math.Min(64, actual.CalculateSize())))}…");
    }

    /// <summary>Google's parser for <typeparamref name="TGoogle"/>, discarding unknown fields (PeerKit does not keep them).</summary>
    public static GP.MessageParser<TGoogle> Parser<TGoogle>()
        where TGoogle : GP.IMessage<TGoogle>, new() => new GP.MessageParser<TGoogle>(() => new TGoogle()).WithDiscardUnknownFields(true);

    /// <summary>
    /// For <paramref name="google"/>: PeerKit's encoding of the equivalent value is byte for byte Google's (through
    /// every write API, and GetSize agrees); Google reads PeerKit's bytes; PeerKit reads Google's bytes (from a span
    /// and from memory) into the value Google itself reads back, and writes it again identically.
    /// </summary>
    public static TPeer AssertCompatible<TPeer, TGoogle>(TGoogle google, Func<TGoogle, TPeer> fromGoogle, Func<TPeer, TGoogle> toGoogle)
        where TPeer : IMessage<TPeer>
        where TGoogle : GP.IMessage<TGoogle>, new()
    {
        string what = typeof(TPeer).Name;
        GP.MessageParser<TGoogle> parser = Parser<TGoogle>();
        byte[] expected = google.ToByteArray();
        TGoogle reference = parser.ParseFrom(expected);

        // PeerKit writes what Google writes.
        TPeer peer = fromGoogle(google);
        Assert.Equal(expected.Length, MessageSerializer.GetSize(peer));
        byte[] actual = MessageSerializer.ToArray(peer);
        AssertSameBytes(expected, actual, $"{what} ToArray");

        byte[] span = new byte[expected.Length + 3];
        int written = MessageSerializer.Write(peer, span);
        Assert.Equal(expected.Length, written);
        AssertSameBytes(expected, span.AsSpan(0, written), $"{what} Write(Span)");

        // Into a span with room for the largest encoding (the one-pass path of fixed-layout messages): the same
        // bytes, and not one byte of the span after them touched.
        byte[] roomy = new byte[expected.Length + 512];
        roomy.AsSpan().Fill(0xEE);
        written = MessageSerializer.Write(peer, roomy);
        Assert.Equal(expected.Length, written);
        AssertSameBytes(expected, roomy.AsSpan(0, written), $"{what} Write(roomy Span)");
        Assert.True(roomy.AsSpan(written).IndexOfAnyExcept((byte)0xEE) < 0, $"{what} Write(roomy Span) wrote past the message");

        var bufferWriter = new ArrayBufferWriter<byte>();
        MessageSerializer.Write(peer, bufferWriter);
        AssertSameBytes(expected, bufferWriter.WrittenSpan, $"{what} Write(IBufferWriter)");

        // Through a MessageWriter over a span and over a buffer writer (generated Write, nested messages included).
        var writer = new MessageWriter(roomy.AsSpan());
        TPeer.Write(in peer, ref writer);
        AssertSameBytes(expected, roomy.AsSpan(0, (int)writer.BytesWritten), $"{what} MessageWriter(Span)");
        var small = new ArrayBufferWriter<byte>(1);
        var streaming = new MessageWriter(small);
        TPeer.Write(in peer, ref streaming);
        streaming.Flush();
        AssertSameBytes(expected, small.WrittenSpan, $"{what} MessageWriter(IBufferWriter)");

        // Google reads what PeerKit writes.
        AssertSameMessage(reference, parser.ParseFrom(actual), $"Google reading {what}'s bytes");

        // PeerKit reads what Google writes.
        TPeer fromSpan = MessageSerializer.Read<TPeer>(expected.AsSpan());
        TPeer fromMemory = MessageSerializer.Read<TPeer>(expected);
        AssertSameMessage(reference, toGoogle(fromSpan), $"{what} read from a span");
        AssertSameMessage(reference, toGoogle(fromMemory), $"{what} read from memory");
        Assert.True(MessageSerializer.TryRead<TPeer>(expected, out TPeer tried));
        AssertSameMessage(reference, toGoogle(tried), $"{what} from TryRead");
        AssertSameBytes(expected, MessageSerializer.ToArray(fromSpan), $"{what} re-encoded after reading");
        return fromMemory;
    }

    /// <summary>Every C# shape of peerkit.tests.Scalars (the struct shapes have no fields 15 and 16).</summary>
    public static void AssertScalarsCompatible(G.Scalars google)
    {
        AssertCompatible(google, Map.ScalarsClass, Map.ToGoogle);
        AssertCompatible(google, Map.ScalarsRecord, Map.ToGoogle);
        G.Scalars numeric = google.Clone();
        numeric.Text = string.Empty;
        numeric.Data = ByteString.Empty;
        AssertCompatible(numeric, Map.ScalarsRecordStruct, Map.ToGoogle);
        AssertCompatible(numeric, Map.ScalarsStruct, Map.ToGoogle);
    }

    /// <summary>Every C# shape of peerkit.tests.Repeateds.</summary>
    public static void AssertRepeatedsCompatible(G.Repeateds google)
    {
        AssertCompatible(google, Map.RepeatedArrays, Map.ToGoogle);
        AssertCompatible(google, Map.RepeatedLists, Map.ToGoogle);
        AssertCompatible(google, Map.RepeatedReadOnlyLists, Map.ToGoogle);
    }

    /// <summary>Every C# shape of peerkit.tests.Outer. <c>Required</c> must be set.</summary>
    public static void AssertOuterCompatible(G.Outer google)
    {
        AssertCompatible(google, Map.OuterClass, Map.ToGoogle);
        if (google.Position is not null)
        {
            AssertCompatible(google, Map.Outer, Map.ToGoogle);
        }
    }

    /// <summary>Every C# shape of peerkit.tests.Block. <c>Header</c> must be set.</summary>
    public static void AssertBlockCompatible(G.Block google)
    {
        AssertCompatible(google, Map.Block, Map.ToGoogle);
        AssertCompatible(google, Map.BlockClass, Map.ToGoogle);
    }

    /// <summary>Every C# shape of peerkit.tests.AvatarTransform.</summary>
    public static void AssertAvatarTransformCompatible(G.AvatarTransform google)
    {
        AssertCompatible(google, Map.AvatarTransform, Map.ToGoogle);
        AssertCompatible(google, Map.AvatarTransformRecord, Map.ToGoogle);
    }

    /// <summary>Both C# shapes of peerkit.tests.Pose (fixed layout). <c>Position</c> and <c>Grid</c> must be set.</summary>
    public static void AssertPoseCompatible(G.Pose google)
    {
        AssertCompatible(google, Map.Pose, Map.ToGoogle);
        AssertCompatible(google, Map.PoseClass, Map.ToGoogle);
    }

    /// <summary>Reads <paramref name="input"/> every way (span, memory, TryRead), expects it to fail the same way, and returns the exception.</summary>
    public static MessageFormatException ReadFails<T>(byte[] input)
        where T : IMessage<T>
    {
        var fromSpan = Assert.Throws<MessageFormatException>(() => MessageSerializer.Read<T>(input.AsSpan()));
        var fromMemory = Assert.Throws<MessageFormatException>(() => MessageSerializer.Read<T>(input));
        Assert.Equal(fromSpan.Offset, fromMemory.Offset);
        Assert.False(MessageSerializer.TryRead<T>(input, out _));
        return fromSpan;
    }
}
