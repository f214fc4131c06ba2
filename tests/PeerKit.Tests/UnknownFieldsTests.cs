using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;
using PeerKit.Tests.Model;
using PeerKit.Tests.Support;
using G = PeerKit.Tests.Google;
using V2 = PeerKit.Tests.Google.V2;

namespace PeerKit.Tests;

/// <summary>
/// A reader built for version 1 of a schema skips the fields version 2 added (every wire type, nested or not),
/// keeps the values it knows, and writes only those: what Google.Protobuf reads when told to discard unknown fields.
/// </summary>
public class UnknownFieldsTests
{
    private static V2.ChatMessage FullV2()
    {
        var v2 = new V2.ChatMessage
        {
            From = 7, To = ulong.MaxValue, Room = "lobby", Text = "hi ✓",
            SentAt = -1, Nonce = 0xFEED_FACE_CAFE_BEEF, Flags = 0xFFFF_FFFF, Signature = ByteString.CopyFrom(1, 2, 3),
            Extra = new V2.Extra { Note = "note" }, Score = double.NaN, Weight = -1.5f, LateField = 99,
        };
        v2.Extra.Numbers.Add([1, ulong.MaxValue]);
        v2.Deltas.Add([-1, 0, int.MaxValue]);
        v2.Mentions.Add(["a", "", "ü"]);
        return v2;
    }

    [Fact]
    public void Fields_added_in_version_two_are_skipped_and_known_ones_read()
    {
        V2.ChatMessage v2 = FullV2();
        byte[] bytes = v2.ToByteArray();
        ChatMessage read = MessageSerializer.Read<ChatMessage>(bytes);
        Assert.Equal(new ChatMessage(7, ulong.MaxValue, "lobby", "hi ✓"), read);

        // PeerKit writes the known fields only: Google's version 1 of the same values.
        byte[] expected = new G.ChatMessage { From = 7, To = ulong.MaxValue, Room = "lobby", Text = "hi ✓" }.ToByteArray();
        Wire.AssertSameBytes(expected, MessageSerializer.ToArray(read), "re-encoded version 1");
        Wire.AssertSameMessage(Wire.Parser<G.ChatMessage>().ParseFrom(bytes), Map.ToGoogle(read), "compared with Google");
    }

    [Fact]
    public void Unknown_fields_before_between_and_after_known_ones_are_skipped()
    {
        V2.ChatMessage v2 = FullV2();

        // Google writes in field-number order; reverse the fields so unknown ones come first and in between.
        var fields = new List<byte[]>();
        var input = new CodedInputStream(v2.ToByteArray());
        var raw = v2.ToByteArray();
        int last = 0;
        while (input.ReadTag() != 0)
        {
            input.SkipLastField();
            fields.Add(raw[last..(int)input.Position]);
            last = (int)input.Position;
        }

        fields.Reverse();
        byte[] shuffled = fields.SelectMany(f => f).ToArray();
        Assert.Equal(raw.Length, shuffled.Length);
        Assert.Equal(new ChatMessage(7, ulong.MaxValue, "lobby", "hi ✓"), MessageSerializer.Read<ChatMessage>(shuffled));
    }

    [Fact]
    public void Unknown_fields_inside_nested_and_repeated_messages_are_skipped()
    {
        var v2 = new V2.Outer
        {
            Required = new V2.Inner { Id = 1, Name = "r", Checksum = -1 },
            Optional = new V2.Inner { Id = 2, Name = "o" },
            Position = new V2.Point { X = -1, Y = 2, Z = -3 },
            Tail = 5,
            Extra = new V2.Extra { Note = "x" },
        };
        v2.Required.Weights.Add([1f, 2f]);
        v2.Items.Add(new V2.Inner { Id = 3, Checksum = 5 });
        v2.Items.Add(new V2.Inner { Name = "four", Weights = { float.NaN } });
        v2.Extras.Add([new V2.Extra(), new V2.Extra { Numbers = { 1, 2, 3 } }]);
        byte[] bytes = v2.ToByteArray();

        G.Outer known = Wire.Parser<G.Outer>().ParseFrom(bytes);
        Outer read = MessageSerializer.Read<Outer>(bytes);
        Wire.AssertSameMessage(known, Map.ToGoogle(read), "Outer");
        Wire.AssertSameBytes(known.ToByteArray(), MessageSerializer.ToArray(read), "re-encoded Outer");
        Assert.Equal(new Point(-1, 2), read.Position);
        Assert.Equal("four", read.Items[1].Name);

        OuterClass readClass = MessageSerializer.Read<OuterClass>(bytes);
        Wire.AssertSameMessage(known, Map.ToGoogle(readClass), "OuterClass");
    }

    [Fact]
    public void Unknown_groups_are_skipped_like_google_protobuf()
    {
        // Field 20 as a group holding a varint, a nested group (field 21) with a string, and a fixed32; then a
        // known field. Google's proto3 parser skips groups in unknown fields too.
        byte[] bytes = Wire.FromHex(
            "08 07" +                 // from = 7
            "A3 01" +                 // start group 20
            "08 96 01" +              //   field 1 varint
            "AB 01" +                 //   start group 21
            "0A 02 68 69" +           //     field 1 "hi"
            "AC 01" +                 //   end group 21
            "15 01 02 03 04" +        //   field 2 fixed32
            "A4 01" +                 // end group 20
            "22 01 78");              // text = "x"
        ChatMessage read = MessageSerializer.Read<ChatMessage>(bytes);
        Assert.Equal(new ChatMessage(7, 0, string.Empty, "x"), read);
        Wire.AssertSameMessage(Wire.Parser<G.ChatMessage>().ParseFrom(bytes), Map.ToGoogle(read), "compared with Google");
    }

    [Fact]
    public void Unknown_field_with_the_largest_field_number_is_skipped()
    {
        // Field 536870911 as varint, fixed64, length-delimited and fixed32.
        byte[] bytes = Wire.FromHex("F8FFFFFF0F 01 F9FFFFFF0F 0102030405060708 FAFFFFFF0F 02 AABB FDFFFFFF0F 01020304 08 05");
        Assert.Equal(new ChatMessage(5, 0, string.Empty, string.Empty), MessageSerializer.Read<ChatMessage>(bytes));
        Assert.Equal(5UL, Wire.Parser<G.ChatMessage>().ParseFrom(bytes).From);
    }

    [Fact]
    public void Generated_version_two_messages_read_as_google_reads_them()
    {
        Gen<V2.ChatMessage> gen =
            from from_ in Gens.UInt64
            from room in Gens.Text
            from sentAt in Gens.Int64
            from nonce in Gens.UInt64
            from flags in Gens.UInt32
            from signature in Gens.Bytes
            from note in Gens.Text
            from numbers in Gen.ArrayOf(Gens.UInt64)
            from deltas in Gen.ArrayOf(Gens.Int32)
            from mentions in Gen.ArrayOf(Gens.Text)
            from score in Gens.Double
            from weight in Gens.Float
            from late in Gens.UInt32
            select BuildV2(from_, room, sentAt, nonce, flags, signature, note, numbers, deltas, mentions, score, weight, late);

        int ran = 0;
        Check.One(
            Config.QuickThrowOnFailure.WithMaxTest(1_000).WithQuietOnSuccess(true),
            Prop.ForAll(gen.ToArbitrary(), (V2.ChatMessage v2) =>
            {
                ran++;
                byte[] bytes = v2.ToByteArray();
                G.ChatMessage known = Wire.Parser<G.ChatMessage>().ParseFrom(bytes);
                ChatMessage read = MessageSerializer.Read<ChatMessage>(bytes);
                Wire.AssertSameMessage(known, Map.ToGoogle(read), "ChatMessage");
                Wire.AssertSameBytes(known.ToByteArray(), MessageSerializer.ToArray(read), "re-encoded ChatMessage");
            }));
        Assert.Equal(1_000, ran);
    }

    private static V2.ChatMessage BuildV2(
        ulong from, string room, long sentAt, ulong nonce, uint flags, ByteString signature, string note, ulong[] numbers,
        int[] deltas, string[] mentions, double score, float weight, uint late)
    {
        var v2 = new V2.ChatMessage
        {
            From = from, To = ~from, Room = room, Text = note + room, SentAt = sentAt, Nonce = nonce, Flags = flags,
            Signature = signature, Extra = note.Length % 2 == 0 ? new V2.Extra { Note = note, Numbers = { numbers } } : null,
            Score = score, Weight = weight, LateField = late,
        };
        v2.Deltas.Add(deltas);
        v2.Mentions.Add(mentions);
        return v2;
    }
}
