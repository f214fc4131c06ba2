using Google.Protobuf;
using PeerKit.Tests.Model;
using PeerKit.Tests.Support;
using G = PeerKit.Tests.Google;

namespace PeerKit.Tests;

/// <summary>
/// Protobuf's decoding rules where a reader could silently change a value: enum numbers no member names, a
/// singular embedded message that occurs more than once, and how deep messages may nest. Each is checked
/// against Google.Protobuf on the same bytes.
/// </summary>
public class ProtobufRulesTests
{
    [Theory]
    [InlineData(300)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(-1)]
    [InlineData(65536)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void Enum_numbers_no_member_names_are_kept_as_Google_keeps_them(int number)
    {
        var google = new G.Scalars { Color = (G.Color)number };
        byte[] bytes = google.ToByteArray();
        ScalarsClass peer = MessageSerializer.Read<ScalarsClass>(bytes);
        Assert.Equal(number, (int)peer.Color);
        Wire.AssertSameBytes(bytes, MessageSerializer.ToArray(peer), "re-sent enum");
        Assert.Equal(number, (int)G.Scalars.Parser.ParseFrom(MessageSerializer.ToArray(peer)).Color);

        // Repeated (packed) and optional enum members keep them too.
        var repeated = new G.Repeateds();
        repeated.Colors.Add((G.Color)number);
        repeated.Colors.Add(G.Color.Red);
        Wire.AssertRepeatedsCompatible(repeated);
    }

    [Theory]
    [InlineData("byte")]
    [InlineData("sbyte")]
    [InlineData("short")]
    [InlineData("ushort")]
    [InlineData("uint")]
    [InlineData("long")]
    [InlineData("ulong")]
    public void Enums_that_cannot_hold_every_int32_are_refused_at_compile_time(string underlying)
    {
        GeneratorRunner.Result result = GeneratorRunner.Run($$"""
            using PeerKit;
            public enum Level : {{underlying}} { Low = 1 }
            [Message] public partial record Reading(Level Level);
            """);
        Assert.Contains(result.Errors, d => d.Id == "PK0024");
        Type? reading = result.Assembly?.GetType("Reading");
        Assert.True(reading is null || reading.GetInterfaces().Length == reading.GetInterfaces().Count(i => !i.Name.StartsWith("IMessage", StringComparison.Ordinal)), "no serializer is generated");
    }

    [Fact]
    public void A_singular_embedded_message_that_occurs_twice_is_merged_as_Google_merges_it()
    {
        // Outer.required = { id = 7 }, then Outer.required = { name = "b" }: protobuf merges the two.
        var first = new G.Outer { Required = new G.Inner { Id = 7 } };
        var second = new G.Outer { Required = new G.Inner { Name = "b" }, Position = new G.Point { X = 3 } };
        var third = new G.Outer { Position = new G.Point { Y = -4 } };
        byte[] bytes = [.. first.ToByteArray(), .. second.ToByteArray(), .. third.ToByteArray()];
        G.Outer expected = G.Outer.Parser.ParseFrom(bytes);
        Assert.Equal(7, expected.Required.Id);
        Assert.Equal("b", expected.Required.Name);

        Wire.AssertSameMessage(expected, Map.ToGoogle(MessageSerializer.Read<Outer>(bytes)), "Outer (record, value-type Point)");
        Wire.AssertSameMessage(expected, Map.ToGoogle(MessageSerializer.Read<OuterClass>(bytes)), "OuterClass (Nullable<Point>)");
        Wire.AssertSameMessage(expected, Map.ToGoogle(MessageSerializer.Read<OuterClass>(bytes.AsSpan())), "OuterClass from a span");
    }

    [Fact]
    public void Merging_recurses_into_nested_messages_as_Google_does()
    {
        // child { child { value = 1 } value = 2 }, then child { child { } value = 0 }, then child { child { child { value = 3 } } }.
        var a = new G.Recursive { Child = new G.Recursive { Child = new G.Recursive { Value = 1 }, Value = 2 } };
        var b = new G.Recursive { Child = new G.Recursive { Child = new G.Recursive() } };
        var c = new G.Recursive { Child = new G.Recursive { Child = new G.Recursive { Child = new G.Recursive { Value = 3 } } }, Value = 9 };
        byte[] bytes = [.. a.ToByteArray(), .. b.ToByteArray(), .. c.ToByteArray()];
        G.Recursive expected = G.Recursive.Parser.ParseFrom(bytes);

        Recursive read = MessageSerializer.Read<Recursive>(bytes);
        Wire.AssertSameMessage(expected, Map.ToGoogle(read), "Recursive");
        Assert.Equal(1, read.Child!.Child!.Value);
        Assert.Equal(3, read.Child.Child.Child!.Value);
        Wire.AssertSameBytes(expected.ToByteArray(), MessageSerializer.ToArray(read), "merged, re-encoded");
    }

    [Fact]
    public void A_bad_second_occurrence_fails_with_MessageFormatException()
    {
        byte[] first = new G.Outer { Required = new G.Inner { Id = 7 } }.ToByteArray();
        byte[] bytes = [.. first, 0x0A, 0x02, 0x12, 0x05]; // required { name: length 5, but nothing follows }
        Wire.ReadFails<Outer>(bytes);
        Assert.Throws<InvalidProtocolBufferException>(() => G.Outer.Parser.ParseFrom(bytes));
    }

    [Fact]
    public void A_field_repeated_at_every_level_is_read_in_time_and_memory_proportional_to_the_input()
    {
        // Each level holds its child twice: merging must not read the levels below once per copy (2^depth).
        byte[] Level(int depth) => depth == 0 ? [0x10, 0x01] : [.. Child(Level(depth - 1)), .. Child([0x10, 0x02])];
        static byte[] Child(byte[] body) => [0x0A, .. PeerKit.Tests.Support.Wire.Varint((ulong)body.Length), .. body];
        byte[] bytes = Level(60);
        Recursive read = MessageSerializer.Read<Recursive>(bytes);
        Wire.AssertSameMessage(G.Recursive.Parser.ParseFrom(bytes), Map.ToGoogle(read), "Recursive merged at every level");
    }

    /// <summary>peerkit.tests.Recursive nested <paramref name="levels"/> deep below the outermost message.</summary>
    private static byte[] Nested(int levels)
    {
        var message = new G.Recursive { Value = 1 };
        for (int i = 0; i < levels; i++)
        {
            message = new G.Recursive { Child = message };
        }

        return message.ToByteArray();
    }

    [Fact]
    public void Messages_nest_as_deep_as_Google_accepts_by_default_and_no_deeper()
    {
        Assert.Equal(100, PeerKit.Serialization.MessageReader.DefaultMaxDepth);
        int deepest = 0;
        while (TryGoogle(Nested(deepest + 1)))
        {
            deepest++;
        }

        Assert.Equal(100, deepest);
        Recursive read = MessageSerializer.Read<Recursive>(Nested(deepest));
        Assert.Equal(Nested(deepest), MessageSerializer.ToArray(read));
        MessageFormatException e = Wire.ReadFails<Recursive>(Nested(deepest + 1));
        Assert.Contains("nested deeper than 100", e.Reason, StringComparison.Ordinal);

        static bool TryGoogle(byte[] bytes)
        {
            try
            {
                G.Recursive.Parser.ParseFrom(bytes);
                return true;
            }
            catch (InvalidProtocolBufferException)
            {
                return false;
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(250)]
    public void The_nesting_limit_is_configurable(int maxDepth)
    {
        Recursive read = MessageSerializer.Read<Recursive>(Nested(maxDepth), maxDepth);
        Assert.Equal(Nested(maxDepth), MessageSerializer.ToArray(read));
        Assert.Equal(Nested(maxDepth), MessageSerializer.ToArray(MessageSerializer.Read<Recursive>(new ReadOnlyMemory<byte>(Nested(maxDepth)), maxDepth)));

        MessageFormatException e = Assert.Throws<MessageFormatException>(() => MessageSerializer.Read<Recursive>(Nested(maxDepth + 1), maxDepth));
        Assert.Contains($"nested deeper than {maxDepth}", e.Reason, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => MessageSerializer.Read<Recursive>(Nested(1), -1));
    }
}
