using Google.Protobuf;
using PeerKit.Tests.Model;
using PeerKit.Tests.Support;
using G = PeerKit.Tests.Google;

namespace PeerKit.Tests;

/// <summary>
/// Repeated message, string and bytes fields are read a run at a time: the elements that follow one another are
/// counted first and read into an exactly sized array (structs in place). The result must be what reading them
/// one at a time gives, as Google.Protobuf reads them, whatever splits the runs, and a malformed or cut element
/// must fail at its own offset.
/// </summary>
public class RepeatedRunTests
{
    // peerkit.tests.Repeateds: texts = 15 (tag 0x7A, one byte), blobs = 16 and inners = 17 (two-byte tags).
    private static byte[] Text(string value) => new G.Repeateds { Texts = { value } }.ToByteArray();

    private static byte[] Blob(byte[] value) => new G.Repeateds { Blobs = { ByteString.CopyFrom(value) } }.ToByteArray();

    private static byte[] InnerElement(int id, string name) => new G.Repeateds { Inners = { new G.Inner { Id = id, Name = name } } }.ToByteArray();

    private static byte[] Int32s(params int[] values) => new G.Repeateds { Int32Values = { values } }.ToByteArray();

    private static void AssertReadsLikeGoogle(byte[] input)
    {
        G.Repeateds google = Wire.Parser<G.Repeateds>().ParseFrom(input);
        Wire.AssertSameMessage(google, Map.ToGoogle(MessageSerializer.Read<RepeatedArrays>(input)), "arrays, from a span");
        Wire.AssertSameMessage(google, Map.ToGoogle(MessageSerializer.Read<RepeatedArrays>(input.AsMemory())), "arrays, from memory");
        Wire.AssertSameMessage(google, Map.ToGoogle(MessageSerializer.Read<RepeatedLists>(input)), "lists (bytes as slices)");
        Wire.AssertSameMessage(google, Map.ToGoogle(MessageSerializer.Read<RepeatedReadOnlyLists>(input)), "read-only lists (struct elements)");
    }

    public static TheoryData<int> Seeds() => [.. Enumerable.Range(0, 30)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Runs_split_by_other_known_and_unknown_fields_read_like_google_protobuf(int seed)
    {
        var random = new Random(seed);
        var chunks = new List<byte[]>();
        int pieces = random.Next(0, 40);
        for (int p = 0; p < pieces; p++)
        {
            // A run of one to six elements of one field, or something else between runs.
            int run = random.Next(1, 7);
            int kind = random.Next(7);
            for (int k = 0; k < run; k++)
            {
                chunks.Add(kind switch
                {
                    0 => Text(random.Next(10) == 0 ? new string('x', random.Next(16_380, 16_400)) : new string((char)('a' + k), random.Next(0, 200))),
                    1 => Blob([.. Enumerable.Range(0, random.Next(0, 140)).Select(i => (byte)i)]),
                    2 => InnerElement(random.Next(-5, 100_000), random.Next(3) == 0 ? string.Empty : "n" + k),
                    3 => Int32s(random.Next(), -1, k),
                    4 => [.. Wire.Varint(40 << 3), .. Wire.Varint((ulong)random.NextInt64())],           // unknown varint
                    5 => [.. Wire.Varint((41 << 3) | 2), 3, 1, 2, 3],                                    // unknown bytes
                    _ => [0x8A, 0x03, 2, 0x08, (byte)k],                                                 // unknown field 49, a message
                });
            }
        }

        AssertReadsLikeGoogle([.. chunks.SelectMany(c => c)]);
    }

    [Fact]
    public void A_run_followed_later_by_more_of_the_same_field_keeps_every_element_in_order()
    {
        byte[] input =
        [
            .. InnerElement(1, "a"), .. InnerElement(2, "b"),
            .. Text("between"),
            .. InnerElement(3, "c"),
            .. Int32s(7),
            .. InnerElement(4, "d"), .. InnerElement(5, "e"), .. InnerElement(6, "f"),
        ];

        AssertReadsLikeGoogle(input);
        RepeatedArrays read = MessageSerializer.Read<RepeatedArrays>(input);
        Assert.Equal([1, 2, 3, 4, 5, 6], read.Inners.Select(i => i.Id));
        Assert.Equal(["a", "b", "c", "d", "e", "f"], MessageSerializer.Read<RepeatedReadOnlyLists>(input).Inners.Select(i => i.Name));
    }

    [Fact]
    public void Runs_are_counted_for_one_and_two_byte_tags_and_stop_at_anything_else()
    {
        byte[] texts = [.. Text("a"), .. Text("b"), .. Text("c"), .. Int32s(1), .. Text("d")];
        var reader = new PeerKit.Serialization.MessageReader(texts);
        Assert.Equal(0x7Au, reader.ReadTag());
        Assert.Equal(3, reader.CountRun(0x7A));      // stops at the packed int32 field
        Assert.Equal(1, reader.CountRun(0x8A));      // another tag: only the element at the position
        Assert.Equal(1, reader.CountRun(0x4000));    // three-byte tags are not counted in runs

        byte[] inners = [.. InnerElement(1, "x"), .. InnerElement(2, "y")];
        reader = new PeerKit.Serialization.MessageReader(inners);
        Assert.Equal(138u, reader.ReadTag());       // field 17, two tag bytes
        Assert.Equal(2, reader.CountRun(138));
    }

    [Fact]
    public void An_element_whose_length_runs_past_the_end_fails_at_its_length_prefix_after_a_run()
    {
        byte[] whole = [.. Text("one"), .. Text("two"), .. Text("three")];
        int third = Text("one").Length + Text("two").Length;

        // Cut inside the third string: the first two are a run, the third's prefix claims more than is left.
        MessageFormatException e = Wire.ReadFails<RepeatedArrays>(whole[..^2]);
        Assert.Equal(third + 1, e.Offset);
        Assert.Contains("runs past the end", e.Reason, StringComparison.Ordinal);

        // Cut right after the third tag: the input ends where its length prefix should be.
        MessageFormatException atTag = Wire.ReadFails<RepeatedArrays>(whole[..(third + 1)]);
        Assert.Equal(third + 1, atTag.Offset);
    }

    [Fact]
    public void A_malformed_message_inside_a_run_fails_at_its_own_offset()
    {
        byte[] good = InnerElement(1, "ok");
        byte[] bad = InnerElement(2, "no");

        // The inner message of the second element: tag 0x08 (id) turned into 0x0F (field 1, wire type 7).
        int innerStart = good.Length + 3; // the element's two tag bytes and one length byte
        bad[3] = 0x0F;
        byte[] input = [.. good, .. bad, .. good];
        Assert.Equal((byte)0x0F, input[innerStart]);

        MessageFormatException fromArrays = Wire.ReadFails<RepeatedArrays>(input);
        Assert.Equal(innerStart, fromArrays.Offset);
        MessageFormatException fromStructs = Wire.ReadFails<RepeatedReadOnlyLists>(input);
        Assert.Equal(innerStart, fromStructs.Offset);
        Assert.Throws<InvalidProtocolBufferException>(() => G.Repeateds.Parser.ParseFrom(input));
    }

    [Fact]
    public void Invalid_utf8_in_the_middle_of_a_run_of_strings_fails_at_that_string()
    {
        byte[] bad = Text("abc");
        bad[3] = 0xFF; // tag, length, 'a', then 'b' replaced by a byte that is never UTF-8
        byte[] input = [.. Text("first"), .. bad, .. Text("last")];
        MessageFormatException e = Wire.ReadFails<RepeatedArrays>(input);
        Assert.Equal(Text("first").Length + 2, e.Offset);
    }

    [Fact]
    public void Embedded_messages_read_by_the_outer_reader_leave_it_where_each_ends()
    {
        // Outer: a required Inner, a repeated Inner run, a struct Point and a trailing optional int, each after
        // an embedded message; every field after one must be read from where that message ends.
        var google = new G.Outer
        {
            Required = new G.Inner { Id = 1, Name = "required" },
            Optional = new G.Inner { Id = 2, Name = new string('o', 300) },
            Items = { new G.Inner { Id = 3 }, new G.Inner { Name = "four" }, new G.Inner() },
            Position = new G.Point { X = -5, Y = 7 },
            Tail = 42,
        };
        Wire.AssertOuterCompatible(google);

        // The same fields in reverse order, and the required message twice (merged).
        byte[] forward = google.ToByteArray();
        var reversed = new List<byte[]>();
        var input = new CodedInputStream(forward);
        int last = 0;
        while (input.ReadTag() != 0)
        {
            input.SkipLastField();
            reversed.Insert(0, forward[last..(int)input.Position]);
            last = (int)input.Position;
        }

        byte[] shuffled = [.. reversed.SelectMany(c => c), .. new G.Outer { Required = new G.Inner { Name = "merged" } }.ToByteArray()];
        G.Outer expected = Wire.Parser<G.Outer>().ParseFrom(shuffled);
        Wire.AssertSameMessage(expected, Map.ToGoogle(MessageSerializer.Read<Outer>(shuffled)), "record, reversed and merged");
        Wire.AssertSameMessage(expected, Map.ToGoogle(MessageSerializer.Read<OuterClass>(shuffled.AsMemory())), "class, reversed and merged");
    }
}
