using Google.Protobuf;
using GP = Google.Protobuf;
using PeerKit.Tests.Model;
using PeerKit.Tests.Support;
using G = PeerKit.Tests.Google;

namespace PeerKit.Tests;

/// <summary>
/// A known field arriving with a wire type other than its own is skipped as unknown; repeated scalars are read
/// packed, unpacked, or both mixed. Each case is compared with what Google.Protobuf parses from the same bytes.
/// </summary>
public class WireTypeTests
{
    private static void AssertReadsLikeGoogle<TPeer, TGoogle>(string hex, Func<TPeer, TGoogle> toGoogle)
        where TPeer : IMessage<TPeer>
        where TGoogle : GP.IMessage<TGoogle>, new()
    {
        byte[] bytes = Wire.FromHex(hex);
        TGoogle google = Wire.Parser<TGoogle>().ParseFrom(bytes);
        Wire.AssertSameMessage(google, toGoogle(MessageSerializer.Read<TPeer>(bytes)), $"{typeof(TPeer).Name} from {hex}");
        Wire.AssertSameMessage(google, toGoogle(MessageSerializer.Read<TPeer>(bytes.AsSpan())), $"{typeof(TPeer).Name} from a span of {hex}");
    }

    [Theory]
    [InlineData("15 01000000")]           // int32 (field 2) as fixed32
    [InlineData("11 0100000000000000")]   // int32 as fixed64
    [InlineData("12 01 05")]              // int32 as length-delimited
    [InlineData("60 01")]                 // float (field 12) as varint
    [InlineData("6D 0000803F")]           // double (field 13) as fixed32
    [InlineData("61 0000803F00000000")]   // float (field 12) as fixed64
    [InlineData("65 0000803F")]           // float with its own wire type: read
    [InlineData("7A 01 61")]              // string (field 15) is read...
    [InlineData("78 05")]                 // ...and skipped as a varint
    [InlineData("80 01 05")]              // bytes (field 16) as a varint
    [InlineData("08 01 0D 01000000 10 05")] // bool as fixed32 between known fields
    [InlineData("70 05 72 01 05")]        // enum as varint, then as length-delimited
    public void Known_field_with_another_wire_type_is_skipped_like_google_protobuf(string hex)
    {
        AssertReadsLikeGoogle<ScalarsClass, G.Scalars>(hex, Map.ToGoogle);
        AssertReadsLikeGoogle<ScalarsRecord, G.Scalars>(hex, Map.ToGoogle);
    }

    [Fact]
    public void Value_stays_default_when_its_field_arrives_with_another_wire_type()
    {
        ScalarsClass read = MessageSerializer.Read<ScalarsClass>(Wire.FromHex("15 01000000 60 01 78 05"));
        Assert.Equal(0, read.Int32Value);
        Assert.Equal(0f, read.FloatValue);
        Assert.Equal(string.Empty, read.Text);

        // A message field arriving as a varint: the non-nullable member is a default instance.
        Outer outer = MessageSerializer.Read<Outer>(Wire.FromHex("08 01 10 02 25 00000000"));
        Assert.Equal(new Inner(0, string.Empty), outer.Required);
        Assert.Null(outer.Optional);
        Assert.Equal(default, outer.Position);
        Assert.Null(G.Outer.Parser.WithDiscardUnknownFields(true).ParseFrom(Wire.FromHex("08 01 10 02 25 00000000")).Required);
    }

    [Theory]
    [InlineData("10 01 10 02 10 AC02")]                      // int32 unpacked
    [InlineData("12 03 01 02 03")]                           // int32 packed
    [InlineData("10 01 12 02 02 03 10 04 12 00 10 05")]      // unpacked, packed, unpacked, empty packed, unpacked
    [InlineData("08 01 0A 02 00 01 08 00")]                  // bools mixed
    [InlineData("18 01 1A 02 03 05")]                        // sint32 mixed
    [InlineData("25 01000000 22 08 02000000 03000000 25 04000000")] // sfixed32 mixed
    [InlineData("39 0100000000000000 3A 08 0200000000000000")]     // sfixed64 mixed
    [InlineData("65 0000803F 62 04 00000040 65 00004040")]   // floats mixed
    [InlineData("6A 08 000000000000F03F 69 0000000000000040")] // doubles, packed then unpacked
    [InlineData("70 01 72 0B FFFFFFFFFFFFFFFFFF01 02 70 96 01")] // enums mixed, with a negative one
    [InlineData("50 FFFFFFFFFFFFFFFFFF01 52 01 00")]         // uint64 mixed
    [InlineData("5A 08 FFFFFFFFFFFFFFFF 59 0100000000000000")] // fixed64 mixed
    [InlineData("12 01 01 7A 01 61 12 01 02 7A 01 62 10 03")] // int32 interleaved with strings
    public void Repeated_scalars_are_read_packed_unpacked_and_mixed_like_google_protobuf(string hex)
    {
        AssertReadsLikeGoogle<RepeatedArrays, G.Repeateds>(hex, Map.ToGoogle);
        AssertReadsLikeGoogle<RepeatedLists, G.Repeateds>(hex, Map.ToGoogle);
        AssertReadsLikeGoogle<RepeatedReadOnlyLists, G.Repeateds>(hex, Map.ToGoogle);
    }

    [Fact]
    public void Mixed_packed_and_unpacked_elements_are_concatenated_in_order()
    {
        RepeatedArrays read = MessageSerializer.Read<RepeatedArrays>(Wire.FromHex("10 01 12 02 02 03 10 04 12 00 10 05"));
        Assert.Equal([1, 2, 3, 4, 5], read.Int32Values);

        // Many chunks, so the collected elements outgrow their first buffers.
        var bytes = new List<byte>();
        var expected = new List<int>();
        for (int i = 0; i < 300; i++)
        {
            if (i % 3 == 0)
            {
                bytes.AddRange([0x10, (byte)(i & 0x7F)]);
                expected.Add(i & 0x7F);
            }
            else
            {
                bytes.AddRange([0x12, 0x02, (byte)(i & 0x7F), 0x7F]);
                expected.AddRange([i & 0x7F, 0x7F]);
            }
        }

        Assert.Equal(expected, MessageSerializer.Read<RepeatedLists>(bytes.ToArray()).Int32Values);
        Assert.Equal(expected, G.Repeateds.Parser.ParseFrom(bytes.ToArray()).Int32Values);
    }

    [Theory]
    [InlineData("78 05")]            // repeated string (field 15) as a varint
    [InlineData("85 01 01020304")]   // repeated bytes (field 16) as fixed32
    [InlineData("88 01 01")]         // repeated message (field 17) as a varint
    [InlineData("7A 01 61 78 05 7A 01 62")] // a bad element between good ones
    public void Repeated_strings_bytes_and_messages_with_another_wire_type_are_skipped(string hex)
    {
        AssertReadsLikeGoogle<RepeatedArrays, G.Repeateds>(hex, Map.ToGoogle);
        AssertReadsLikeGoogle<RepeatedLists, G.Repeateds>(hex, Map.ToGoogle);
    }

    [Fact]
    public void Repeated_scalar_fields_written_unpacked_by_another_encoder_round_trip_to_packed()
    {
        var google = new G.Repeateds();
        google.Sint64Values.Add([-1, 1, long.MinValue]);
        byte[] packed = google.ToByteArray();
        byte[] unpacked = Wire.FromHex("30 01 30 02 30 FFFFFFFFFFFFFFFFFF01");
        RepeatedArrays read = MessageSerializer.Read<RepeatedArrays>(unpacked);
        Assert.Equal([-1L, 1, long.MinValue], read.SInt64Values);
        Assert.Equal(packed, MessageSerializer.ToArray(read));
    }

    [Fact]
    public void Scalar_field_appearing_twice_keeps_the_last_value_like_google_protobuf()
    {
        AssertReadsLikeGoogle<ScalarsClass, G.Scalars>("10 01 10 02 7A 01 61 7A 01 62 82 01 01 01 82 01 00", Map.ToGoogle);
        ScalarsClass read = MessageSerializer.Read<ScalarsClass>(Wire.FromHex("10 01 10 02 7A 01 61 7A 01 62"));
        Assert.Equal(2, read.Int32Value);
        Assert.Equal("b", read.Text);
    }

    [Fact]
    public void Nested_message_appearing_twice_is_merged_as_google_protobuf_merges_it()
    {
        byte[] bytes = Wire.FromHex("0A 02 08 01" + "0A 04 12 02 68 69");
        Outer read = MessageSerializer.Read<Outer>(bytes);
        Assert.Equal(new Inner(1, "hi"), read.Required);
        G.Outer google = G.Outer.Parser.ParseFrom(bytes);
        Assert.Equal(new G.Inner { Id = 1, Name = "hi" }, google.Required);
    }
}
