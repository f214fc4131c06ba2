using Google.Protobuf;
using PeerKit.Tests.Model;
using PeerKit.Tests.Support;
using G = PeerKit.Tests.Google;

namespace PeerKit.Tests;

/// <summary>
/// Fixed vectors: for each, PeerKit writes exactly Google.Protobuf's bytes and each reads the other's output
/// (see <see cref="Wire.AssertCompatible{TPeer, TGoogle}"/>), for every C# shape of the schema.
/// </summary>
public class WireCompatibilityTests
{
    private static readonly Dictionary<string, G.Scalars> ScalarVectors = new()
    {
        ["all defaults"] = new G.Scalars(),
        ["true"] = new G.Scalars { Flag = true },
        ["int32 1"] = new G.Scalars { Int32Value = 1 },
        ["int32 -1"] = new G.Scalars { Int32Value = -1 },
        ["int32 min"] = new G.Scalars { Int32Value = int.MinValue },
        ["int32 max"] = new G.Scalars { Int32Value = int.MaxValue },
        ["int32 128"] = new G.Scalars { Int32Value = 128 },
        ["sint32 -1"] = new G.Scalars { Sint32Value = -1 },
        ["sint32 min"] = new G.Scalars { Sint32Value = int.MinValue },
        ["sint32 max"] = new G.Scalars { Sint32Value = int.MaxValue },
        ["sfixed32 -1"] = new G.Scalars { Sfixed32Value = -1 },
        ["sfixed32 min"] = new G.Scalars { Sfixed32Value = int.MinValue },
        ["sfixed32 max"] = new G.Scalars { Sfixed32Value = int.MaxValue },
        ["int64 -1"] = new G.Scalars { Int64Value = -1 },
        ["int64 min"] = new G.Scalars { Int64Value = long.MinValue },
        ["int64 max"] = new G.Scalars { Int64Value = long.MaxValue },
        ["sint64 -1"] = new G.Scalars { Sint64Value = -1 },
        ["sint64 min"] = new G.Scalars { Sint64Value = long.MinValue },
        ["sint64 max"] = new G.Scalars { Sint64Value = long.MaxValue },
        ["sfixed64 min"] = new G.Scalars { Sfixed64Value = long.MinValue },
        ["sfixed64 max"] = new G.Scalars { Sfixed64Value = long.MaxValue },
        ["uint32 max"] = new G.Scalars { Uint32Value = uint.MaxValue },
        ["uint32 2^28"] = new G.Scalars { Uint32Value = 1u << 28 },
        ["fixed32 max"] = new G.Scalars { Fixed32Value = uint.MaxValue },
        ["uint64 max"] = new G.Scalars { Uint64Value = ulong.MaxValue },
        ["uint64 2^63"] = new G.Scalars { Uint64Value = 1UL << 63 },
        ["uint64 2^56"] = new G.Scalars { Uint64Value = 1UL << 56 },
        ["fixed64 max"] = new G.Scalars { Fixed64Value = ulong.MaxValue },
        ["float NaN"] = new G.Scalars { FloatValue = float.NaN },
        ["float NaN with payload"] = new G.Scalars { FloatValue = BitConverter.UInt32BitsToSingle(0xFFC0_1234) },
        ["float +inf"] = new G.Scalars { FloatValue = float.PositiveInfinity },
        ["float -inf"] = new G.Scalars { FloatValue = float.NegativeInfinity },
        ["float -0"] = new G.Scalars { FloatValue = -0f },
        ["float epsilon"] = new G.Scalars { FloatValue = float.Epsilon },
        ["float min"] = new G.Scalars { FloatValue = float.MinValue },
        ["double NaN"] = new G.Scalars { DoubleValue = double.NaN },
        ["double +inf"] = new G.Scalars { DoubleValue = double.PositiveInfinity },
        ["double -inf"] = new G.Scalars { DoubleValue = double.NegativeInfinity },
        ["double -0"] = new G.Scalars { DoubleValue = -0d },
        ["double epsilon"] = new G.Scalars { DoubleValue = double.Epsilon },
        ["double max"] = new G.Scalars { DoubleValue = double.MaxValue },
        ["enum red"] = new G.Scalars { Color = G.Color.Red },
        ["enum 150"] = new G.Scalars { Color = G.Color.Blue },
        ["enum negative"] = new G.Scalars { Color = G.Color.Negative },
        ["enum smallest"] = new G.Scalars { Color = G.Color.Smallest },
        ["enum largest"] = new G.Scalars { Color = G.Color.Large },
        ["enum undeclared 12345"] = new G.Scalars { Color = (G.Color)12345 },
        ["enum undeclared -77"] = new G.Scalars { Color = (G.Color)(-77) },
        ["string ascii"] = new G.Scalars { Text = "hello" },
        ["string latin"] = new G.Scalars { Text = "héllo wörld ñ" },
        ["string cjk"] = new G.Scalars { Text = "日本語のテキスト" },
        ["string emoji"] = new G.Scalars { Text = "👍🏽 peers ✓ 🇫🇷 👩‍👩‍👧" },
        ["string NUL and controls"] = new G.Scalars { Text = "a\0b\u0001\u007F\u0080\uFFFF\uFEFF" },
        ["string 200 bytes"] = new G.Scalars { Text = new string('x', 200) },
        ["string 100 KB non-ASCII"] = new G.Scalars { Text = string.Concat(Enumerable.Repeat("é😀", 25_000)) },
        ["bytes"] = new G.Scalars { Data = ByteString.CopyFrom(0x00, 0xFF, 0x80, 0x7F) },
        ["bytes 70000"] = new G.Scalars { Data = ByteString.CopyFrom(Enumerable.Range(0, 70_000).Select(i => (byte)i).ToArray()) },
        ["everything"] = new G.Scalars
        {
            Flag = true, Int32Value = -5, Sint32Value = -5, Sfixed32Value = -5, Int64Value = -6, Sint64Value = -6, Sfixed64Value = -6,
            Uint32Value = 7, Fixed32Value = 7, Uint64Value = 8, Fixed64Value = 8, FloatValue = 1.5f, DoubleValue = -2.25,
            Color = G.Color.Green, Text = "ünïcödé 🎉", Data = ByteString.CopyFromUtf8("raw"),
        },
    };

    public static TheoryData<string> ScalarVectorNames => new(ScalarVectors.Keys);

    [Theory]
    [MemberData(nameof(ScalarVectorNames))]
    public void Every_scalar_kind_is_byte_for_byte_google_protobuf(string vector) =>
        Wire.AssertScalarsCompatible(ScalarVectors[vector]);

    [Fact]
    public void Default_message_encodes_to_no_bytes()
    {
        Assert.Empty(MessageSerializer.ToArray(new ScalarsClass()));
        Assert.Empty(MessageSerializer.ToArray(new ScalarsStruct()));
        Assert.Empty(MessageSerializer.ToArray(new ScalarsRecordStruct()));
        Assert.Empty(MessageSerializer.ToArray(new RepeatedReadOnlyLists()));
        Assert.Equal(0, MessageSerializer.GetSize(new ScalarsRecord(false, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, Color.Unspecified, string.Empty, default)));
    }

    [Fact]
    public void Negative_int32_takes_ten_bytes_like_google_protobuf()
    {
        byte[] bytes = MessageSerializer.ToArray(new ScalarsClass { Int32Value = -1 });
        Assert.Equal("10FFFFFFFFFFFFFFFFFF01", Wire.Hex(bytes));
        Assert.Equal(new G.Scalars { Int32Value = -1 }.ToByteArray(), bytes);
        Assert.Equal(-1, MessageSerializer.Read<ScalarsClass>(bytes).Int32Value);
    }

    [Fact]
    public void Negative_enum_takes_ten_bytes_like_google_protobuf()
    {
        byte[] bytes = MessageSerializer.ToArray(new ScalarsStruct { Color = Color.Negative });
        Assert.Equal("70FFFFFFFFFFFFFFFFFF01", Wire.Hex(bytes));
        Assert.Equal(new G.Scalars { Color = G.Color.Negative }.ToByteArray(), bytes);
        Assert.Equal(Color.Negative, MessageSerializer.Read<ScalarsStruct>(bytes).Color);
    }

    [Fact]
    public void Zigzag_and_fixed_encodings_of_minus_one_match_google_protobuf()
    {
        Assert.Equal("1801", Wire.Hex(MessageSerializer.ToArray(new ScalarsStruct { SInt32Value = -1 })));
        Assert.Equal("25FFFFFFFF", Wire.Hex(MessageSerializer.ToArray(new ScalarsStruct { SFixed32Value = -1 })));
        Assert.Equal("3001", Wire.Hex(MessageSerializer.ToArray(new ScalarsStruct { SInt64Value = -1 })));
        Assert.Equal("39FFFFFFFFFFFFFFFF", Wire.Hex(MessageSerializer.ToArray(new ScalarsStruct { SFixed64Value = -1 })));
    }

    [Fact]
    public void Negative_zero_is_not_written_like_google_protobuf_and_reads_back_as_positive_zero()
    {
        var peer = new ScalarsStruct { FloatValue = -0f, DoubleValue = -0d };
        Assert.Empty(MessageSerializer.ToArray(peer));
        Assert.Empty(new G.Scalars { FloatValue = -0f, DoubleValue = -0d }.ToByteArray());

        // Written by hand, -0.0 is read bit for bit.
        ScalarsStruct read = MessageSerializer.Read<ScalarsStruct>(Wire.FromHex("6500000080 690000000000000080"));
        Assert.True(float.IsNegative(read.FloatValue) && read.FloatValue == 0f);
        Assert.True(double.IsNegative(read.DoubleValue) && read.DoubleValue == 0d);
    }

    [Fact]
    public void NaN_payloads_and_infinities_round_trip_bit_for_bit()
    {
        float nan = BitConverter.UInt32BitsToSingle(0x7FC0_0ABC);
        double nanD = BitConverter.UInt64BitsToDouble(0xFFF8_0000_0000_1234);
        var peer = new ScalarsStruct { FloatValue = nan, DoubleValue = nanD };
        byte[] bytes = MessageSerializer.ToArray(peer);
        Assert.Equal("65BC0AC07F" + "69341200000000F8FF", Wire.Hex(bytes));
        ScalarsStruct read = MessageSerializer.Read<ScalarsStruct>(bytes);
        Assert.Equal(0x7FC0_0ABCu, BitConverter.SingleToUInt32Bits(read.FloatValue));
        Assert.Equal(0xFFF8_0000_0000_1234UL, BitConverter.DoubleToUInt64Bits(read.DoubleValue));
        Wire.AssertScalarsCompatible(new G.Scalars { FloatValue = nan, DoubleValue = nanD });
    }

    [Fact]
    public void Non_ascii_strings_are_utf8_like_google_protobuf()
    {
        const string text = "ünï 日本 👍🏽";
        byte[] bytes = MessageSerializer.ToArray(new ChatMessage(0, 0, string.Empty, text));
        byte[] utf8 = System.Text.Encoding.UTF8.GetBytes(text);
        Assert.Equal(new byte[] { 0x22, (byte)utf8.Length }.Concat(utf8).ToArray(), bytes);
        Assert.Equal(new G.ChatMessage { Text = text }.ToByteArray(), bytes);
        Assert.Equal(text, MessageSerializer.Read<ChatMessage>(bytes).Text);
    }

    [Fact]
    public void Field_numbers_needing_two_to_five_byte_tags_match_google_protobuf()
    {
        var google = new G.WideTags
        {
            F1 = 1, F15 = 15, F16 = 16, F2047 = "x", F2048 = 2048, F262143 = 0.5, F33554431 = ByteString.CopyFrom(9),
            F33554432 = -1, F536870911 = 1f,
        };
        google.F262144.Add(4);
        WideTags peer = Wire.AssertCompatible(google, Map.WideTags, Map.ToGoogle);
        Assert.Equal(1f, peer.F536870911);
        Assert.Equal([4], peer.F262144);

        // Each tag on its own, to pin the tag bytes.
        Assert.Equal("7801", Wire.Hex(MessageSerializer.ToArray(Only(f15: 1))));
        Assert.Equal("800101", Wire.Hex(MessageSerializer.ToArray(Only(f16: 1))));
        Assert.Equal("FA7F0178", Wire.Hex(MessageSerializer.ToArray(Only(f2047: "x"))));
        Assert.Equal("8180010100000000000000", Wire.Hex(MessageSerializer.ToArray(Only(f2048: 1))));
        Assert.Equal("82808001" + "0104", Wire.Hex(MessageSerializer.ToArray(Only(f262144: [4]))));
        Assert.Equal("FAFFFF7F" + "0109", Wire.Hex(MessageSerializer.ToArray(Only(f33554431: [9]))));
        Assert.Equal("8080808001" + "01", Wire.Hex(MessageSerializer.ToArray(Only(f33554432: -1))));
        Assert.Equal("FDFFFFFF0F" + "0000803F", Wire.Hex(MessageSerializer.ToArray(Only(f536870911: 1f))));
        Assert.Equal(1f, MessageSerializer.Read<WideTags>(Wire.FromHex("FDFFFFFF0F0000803F")).F536870911);
        Assert.Equal(-1L, MessageSerializer.Read<WideTags>(Wire.FromHex("808080800101")).F33554432);
    }

    private static WideTags Only(
        int f15 = 0, int f16 = 0, string f2047 = "", ulong f2048 = 0, int[]? f262144 = null, byte[]? f33554431 = null, long f33554432 = 0, float f536870911 = 0) =>
        new(0, f15, f16, f2047, f2048, 0, f262144 ?? [], f33554431 ?? [], f33554432, f536870911);

    [Fact]
    public void Empty_repeated_fields_are_not_written()
    {
        Wire.AssertRepeatedsCompatible(new G.Repeateds());
        Assert.Empty(MessageSerializer.ToArray(Map.RepeatedArrays(new G.Repeateds())));
        Assert.Empty(MessageSerializer.ToArray(new RepeatedLists()));
    }

    [Fact]
    public void Repeated_scalars_are_packed_like_google_protobuf()
    {
        var google = new G.Repeateds();
        google.Int32Values.Add([1, 2, 300, -1]);
        google.Flags.Add([true, false, true]);
        google.FloatValues.Add([1f, float.NaN]);
        google.Colors.Add([G.Color.Red, G.Color.Negative]);
        RepeatedArrays peer = Wire.AssertCompatible(google, Map.RepeatedArrays, Map.ToGoogle);
        byte[] bytes = MessageSerializer.ToArray(peer);
        Assert.StartsWith("0A03010001" + "120E" + "0102AC02FFFFFFFFFFFFFFFFFF01", Wire.Hex(bytes));
        Wire.AssertRepeatedsCompatible(google);
    }

    [Fact]
    public void Repeated_fields_of_every_kind_match_google_protobuf()
    {
        var google = new G.Repeateds();
        google.Flags.Add([true, false]);
        google.Int32Values.Add([0, -1, int.MinValue, int.MaxValue]);
        google.Sint32Values.Add([0, -1, int.MinValue, int.MaxValue]);
        google.Sfixed32Values.Add([0, -1, int.MinValue, int.MaxValue]);
        google.Int64Values.Add([0, -1, long.MinValue, long.MaxValue]);
        google.Sint64Values.Add([0, -1, long.MinValue, long.MaxValue]);
        google.Sfixed64Values.Add([0, -1, long.MinValue, long.MaxValue]);
        google.Uint32Values.Add([0, 1, uint.MaxValue]);
        google.Fixed32Values.Add([0, 1, uint.MaxValue]);
        google.Uint64Values.Add([0, 1, ulong.MaxValue]);
        google.Fixed64Values.Add([0, 1, ulong.MaxValue]);
        google.FloatValues.Add([0f, -0f, float.NaN, float.NegativeInfinity]);
        google.DoubleValues.Add([0d, -0d, double.NaN, double.PositiveInfinity]);
        google.Colors.Add([G.Color.Unspecified, G.Color.Smallest, G.Color.Large, (G.Color)999]);
        google.Texts.Add(["", "a", "ü", "🎉", ""]);
        google.Blobs.Add([ByteString.Empty, ByteString.CopyFrom(1, 2, 3)]);
        google.Inners.Add([new G.Inner(), new G.Inner { Id = -1, Name = "x" }, new G.Inner()]);
        Wire.AssertRepeatedsCompatible(google);
    }

    [Fact]
    public void Ten_thousand_element_repeated_fields_match_google_protobuf()
    {
        var google = new G.Repeateds();
        for (int i = 0; i < 10_000; i++)
        {
            google.Flags.Add(i % 3 == 0);
            google.Int32Values.Add((i * 7919) - 50_000);
            google.Sint32Values.Add(-i);
            google.Sfixed32Values.Add(i);
            google.Int64Values.Add((long)i << 40);
            google.Sint64Values.Add(-((long)i << 33));
            google.Sfixed64Values.Add(-i);
            google.Uint32Values.Add((uint)i * 429_496u);
            google.Fixed32Values.Add((uint)i);
            google.Uint64Values.Add((ulong)i << 50);
            google.Fixed64Values.Add((ulong)i);
            google.FloatValues.Add(i / 3f);
            google.DoubleValues.Add(i / 7d);
            google.Colors.Add((G.Color)(i - 5000));
            google.Texts.Add(i % 10 == 0 ? string.Empty : $"#{i} ü");
            google.Blobs.Add(ByteString.CopyFrom(BitConverter.GetBytes(i)));
            google.Inners.Add(new G.Inner { Id = i, Name = i % 2 == 0 ? string.Empty : "n" });
        }

        Wire.AssertRepeatedsCompatible(google);
        RepeatedArrays read = MessageSerializer.Read<RepeatedArrays>(google.ToByteArray());
        Assert.Equal(10_000, read.Int32Values.Length);
        Assert.Equal(10_000, read.Inners.Length);
        Assert.Equal("#9999 ü", read.Texts[^1]);
    }

    [Fact]
    public void Optional_scalars_keep_presence_of_zero_values_like_google_protobuf()
    {
        var zeros = new G.Optionals
        {
            Flag = false, Int32Value = 0, Sint32Value = 0, Sfixed32Value = 0, Int64Value = 0, Sint64Value = 0, Sfixed64Value = 0,
            Uint32Value = 0, Fixed32Value = 0, Uint64Value = 0, Fixed64Value = 0, FloatValue = 0, DoubleValue = 0,
            Color = G.Color.Unspecified, Text = string.Empty, Data = ByteString.Empty, Inner = new G.Inner(),
        };
        Optionals peer = Wire.AssertCompatible(zeros, Map.Optionals, Map.ToGoogle);
        Assert.Equal(0, peer.Int32Value);
        Assert.Equal(string.Empty, peer.Text);
        Assert.NotNull(peer.Data);
        Assert.Empty(peer.Data);
        Assert.NotNull(peer.Inner);
        // Every field is written, zero or not: 16 scalar fields and the empty message, each a tag plus at least a byte.
        Assert.Equal(zeros.CalculateSize(), MessageSerializer.GetSize(peer));
        Assert.True(MessageSerializer.GetSize(peer) >= 17 * 2);

        var absent = new Optionals(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
        Assert.Empty(MessageSerializer.ToArray(absent));
        Optionals readAbsent = MessageSerializer.Read<Optionals>(ReadOnlySpan<byte>.Empty);
        Assert.Equal(absent, readAbsent);
    }

    [Fact]
    public void Optional_scalars_at_their_extremes_match_google_protobuf()
    {
        var google = new G.Optionals
        {
            Flag = true, Int32Value = int.MinValue, Sint32Value = int.MinValue, Sfixed32Value = int.MinValue, Int64Value = long.MinValue,
            Sint64Value = long.MinValue, Sfixed64Value = long.MinValue, Uint32Value = uint.MaxValue, Fixed32Value = uint.MaxValue,
            Uint64Value = ulong.MaxValue, Fixed64Value = ulong.MaxValue, FloatValue = float.NaN, DoubleValue = double.NegativeInfinity,
            Color = G.Color.Negative, Text = "🙂", Data = ByteString.CopyFrom(0), Inner = new G.Inner { Id = -1, Name = "ä" },
        };
        Optionals peer = Wire.AssertCompatible(google, Map.Optionals, Map.ToGoogle);
        Assert.Equal(Color.Negative, peer.Color);
        Assert.Equal(new Inner(-1, "ä"), peer.Inner);

        // Only some present.
        Wire.AssertCompatible(new G.Optionals { Sint64Value = -2, Text = string.Empty }, Map.Optionals, Map.ToGoogle);
    }

    [Fact]
    public void Nested_messages_match_google_protobuf()
    {
        var google = new G.Outer
        {
            Required = new G.Inner { Id = 1, Name = "required" },
            Optional = new G.Inner { Id = -2, Name = "optional ✓" },
            Position = new G.Point { X = -3, Y = int.MaxValue },
            Tail = 0,
        };
        google.Items.Add([new G.Inner(), new G.Inner { Id = 3 }, new G.Inner { Name = "three" }]);
        Wire.AssertOuterCompatible(google);

        // Empty nested messages are still written: a tag and a zero length.
        var empty = new G.Outer { Required = new G.Inner(), Position = new G.Point() };
        Assert.Equal("0A00" + "2200", Wire.Hex(empty.ToByteArray()));
        Wire.AssertOuterCompatible(empty);

        // A nullable value-type message that is absent is not written.
        Wire.AssertCompatible(new G.Outer { Required = new G.Inner() }, Map.OuterClass, Map.ToGoogle);
    }

    [Fact]
    public void Recursive_messages_sixty_four_deep_match_google_protobuf()
    {
        var google = new G.Recursive { Value = 64 };
        for (int depth = 63; depth >= 0; depth--)
        {
            google = new G.Recursive { Child = google, Value = depth };
        }

        Recursive peer = Wire.AssertCompatible(google, Map.Recursive, Map.ToGoogle);
        int levels = 0;
        for (Recursive? r = peer; r is not null; r = r.Child)
        {
            Assert.Equal(levels++, r.Value);
        }

        Assert.Equal(65, levels);
    }

    [Fact]
    public void Avatar_transform_matches_google_protobuf()
    {
        var google = new G.AvatarTransform { Id = 42, X = 1.5f, Y = 0, Z = -2, Qx = 0, Qy = float.NaN, Qz = -0f, Qw = 1 };
        Wire.AssertAvatarTransformCompatible(google);
        Wire.AssertAvatarTransformCompatible(new G.AvatarTransform());
        var full = new G.AvatarTransform { Id = uint.MaxValue, X = 1, Y = 2, Z = 3, Qx = 4, Qy = 5, Qz = 6, Qw = 7 };
        Wire.AssertAvatarTransformCompatible(full);
        Assert.Equal(40, full.CalculateSize());
        Assert.Equal(40, MessageSerializer.GetSize(Map.AvatarTransform(full)));
    }

    [Fact]
    public void Chat_message_matches_google_protobuf()
    {
        Wire.AssertCompatible(new G.ChatMessage { From = 7, To = 9, Room = "lobby", Text = "hello, peers ✓" }, Map.ChatMessage, Map.ToGoogle);
        Wire.AssertCompatible(new G.ChatMessage { From = ulong.MaxValue, To = 0, Room = string.Empty, Text = new string('é', 5000) }, Map.ChatMessage, Map.ToGoogle);
        Wire.AssertCompatible(new G.ChatMessage(), Map.ChatMessage, Map.ToGoogle);
    }

    [Fact]
    public void One_kib_block_matches_google_protobuf()
    {
        byte[] payload = new byte[1024];
        new Random(1024).NextBytes(payload);
        var google = new G.Block
        {
            Header = new G.BlockHeader { Height = 123_456_789, Hash = 0xDEAD_BEEF_CAFE_F00D, Timestamp = -1 },
            Payload = ByteString.CopyFrom(payload),
        };
        google.Values.Add(Enumerable.Range(-16, 32).Select(i => i * 100_003));
        Wire.AssertBlockCompatible(google);

        Block read = MessageSerializer.Read<Block>(google.ToByteArray());
        Assert.Equal(payload, read.Payload.ToArray());
        Assert.Equal(32, read.Values.Length);
        Assert.Equal(0xDEAD_BEEF_CAFE_F00DUL, read.Header.Hash);
    }
}
