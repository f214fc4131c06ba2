using System.Buffers;
using System.Reflection;
using Google.Protobuf;
using PeerKit.Serialization;
using PeerKit.Tests.Model;
using PeerKit.Tests.Support;
using G = PeerKit.Tests.Google;

namespace PeerKit.Tests;

/// <summary>
/// Messages of fixed layout (every member a number, a bool, an enum or a nested fixed-layout message) are written in
/// straight-line code after one bounds check: the bytes must still be Google.Protobuf's, default values still omitted.
/// </summary>
public class FixedLayoutTests
{
    private static G.Pose Pose(Action<G.Pose>? set = null)
    {
        var pose = new G.Pose { Position = new G.Vec3(), Grid = new G.Point() };
        set?.Invoke(pose);
        return pose;
    }

    /// <summary>Every member at the value that takes the most bytes.</summary>
    private static G.Pose Largest() => Pose(p =>
    {
        p.Id = uint.MaxValue;
        p.Position = new G.Vec3 { X = 1, Y = float.NaN, Z = float.MinValue };
        p.Qx = p.Qy = p.Qz = p.Qw = float.MaxValue;
        p.Tick = ulong.MaxValue;
        p.Velocity = new G.Vec3 { X = -1, Y = float.PositiveInfinity, Z = float.Epsilon };
        p.Level = int.MinValue;
        p.Drift = long.MinValue;
        p.Moving = true;
        p.Color = G.Color.Smallest;
        p.Heading = double.MaxValue;
        p.Score = long.MinValue;
        p.Offset = -1;
        p.Grid = new G.Point { X = int.MinValue, Y = int.MaxValue };
    });

    private static readonly Dictionary<string, G.Pose> Vectors = new()
    {
        ["all defaults, nested messages present and empty"] = Pose(),
        ["a game pose"] = Pose(p =>
        {
            p.Id = 123_456;
            p.Position = new G.Vec3 { X = 12.5f, Y = 1.75f, Z = -3.25f };
            p.Qx = 0.1f;
            p.Qw = 0.9185f;
            p.Tick = 123_456_789_012UL;
        }),
        ["negative int32 takes ten bytes"] = Pose(p => p.Level = -1),
        ["negative enum takes ten bytes"] = Pose(p => p.Color = G.Color.Negative),
        ["negative int64"] = Pose(p => p.Score = -2),
        ["zigzag -1 and minimum"] = Pose(p => { p.Drift = -1; p.Grid = new G.Point { X = -1, Y = int.MinValue }; }),
        ["varint width edges 127, 128, 16383, 16384"] = Pose(p => { p.Id = 127; p.Tick = 128; p.Level = 16_383; p.Score = 16_384; }),
        ["largest 5-byte and 10-byte varints"] = Pose(p => { p.Id = uint.MaxValue; p.Tick = ulong.MaxValue; p.Score = long.MaxValue; }),
        ["2^56 and 2^63"] = Pose(p => { p.Tick = 1UL << 56; p.Score = 1L << 62; p.Drift = long.MaxValue; }),
        ["NaN, infinities and -0.0"] = Pose(p =>
        {
            p.Qx = float.NaN;
            p.Qy = float.NegativeInfinity;
            p.Qz = -0f;
            p.Qw = BitConverter.UInt32BitsToSingle(0xFFC0_1234);
            p.Heading = -0d;
            p.Position = new G.Vec3 { X = -0f, Y = float.NaN, Z = float.PositiveInfinity };
        }),
        ["double NaN with payload"] = Pose(p => p.Heading = BitConverter.UInt64BitsToDouble(0xFFF8_0000_0000_1234)),
        ["bool alone"] = Pose(p => p.Moving = true),
        ["nullable nested message present and empty"] = Pose(p => p.Velocity = new G.Vec3()),
        ["nullable nested message set"] = Pose(p => p.Velocity = new G.Vec3 { Z = 2 }),
        ["sfixed32 negative"] = Pose(p => p.Offset = int.MinValue),
        ["everything at its largest"] = Largest(),
    };

    public static TheoryData<string> VectorNames => new(Vectors.Keys);

    [Theory]
    [MemberData(nameof(VectorNames))]
    public void Fixed_layout_messages_are_byte_for_byte_google_protobuf(string vector) =>
        Wire.AssertPoseCompatible(Vectors[vector]);

    [Fact]
    public void Only_messages_of_numbers_and_fixed_layout_nested_messages_have_a_fixed_layout()
    {
        Assert.True(FixedSizeOf<Pose>() > 0);
        Assert.True(FixedSizeOf<PoseClass>() > 0);
        Assert.True(FixedSizeOf<Vec3>() > 0);
        Assert.True(FixedSizeOf<AvatarTransform>() > 0);
        Assert.True(FixedSizeOf<ScalarsStruct>() > 0);

        // A string, bytes, a repeated field, or a nested message that has any of them: sized first, then written.
        Assert.Equal(0, FixedSizeOf<ChatMessage>());
        Assert.Equal(0, FixedSizeOf<Outer>());
        Assert.Equal(0, FixedSizeOf<Block>());
        Assert.Equal(0, FixedSizeOf<RepeatedArrays>());
        Assert.Equal(-1, TryWriteFixed(new ChatMessage(1, 2, "a", "b"), new byte[1024]));
    }

    [Fact]
    public void The_fixed_layout_bound_is_the_largest_encoding_exactly()
    {
        // id 6, position 2+15, four floats 20, tick 11, velocity 2+15, level 11, drift 11, moving 2, color 11,
        // heading 9, score 11, offset 5, grid (two-byte tag) 3+12.
        Assert.Equal(146, FixedSizeOf<Pose>());
        Assert.Equal(146, MaxSizeOf<Pose>());
        Assert.Equal(146, MessageSerializer.ToArray(Map.Pose(Largest())).Length);
        Assert.Equal(146, MessageSerializer.ToArray(Map.PoseClass(Largest())).Length);
    }

    [Fact]
    public void A_destination_shorter_than_the_bound_but_long_enough_for_the_message_is_written_by_the_sized_path()
    {
        G.Pose google = Vectors["a game pose"];
        byte[] expected = google.ToByteArray();
        Pose pose = Map.Pose(google);

        Assert.Equal(-1, TryWriteFixed(pose, new byte[FixedSizeOf<Pose>() - 1]));
        byte[] exact = new byte[expected.Length];
        Assert.Equal(expected.Length, MessageSerializer.Write(pose, exact));
        Assert.Equal(expected, exact);

        byte[] tooShort = new byte[expected.Length - 1];
        Assert.Throws<ArgumentException>(() => MessageSerializer.Write(pose, tooShort));
    }

    [Fact]
    public void Nested_fixed_layout_messages_in_a_repeated_field_use_the_one_pass_write_and_match_google_protobuf()
    {
        // Outer is not of fixed layout, but its value-type Point is: written in one pass inside the sized write.
        var google = new G.Outer { Required = new G.Inner { Id = 1, Name = "a" }, Position = new G.Point { X = -3, Y = int.MaxValue } };
        google.Items.Add(new G.Inner { Id = -1, Name = "é" });
        Wire.AssertOuterCompatible(google);
    }

    [Fact]
    public void Straight_line_varints_of_every_width_write_exactly_their_bytes()
    {
        var values = new List<ulong> { 0, 1, 0x7F, ulong.MaxValue, 1UL << 63 };
        for (int bits = 7; bits < 64; bits += 7)
        {
            values.Add((1UL << bits) - 1);
            values.Add(1UL << bits);
            values.Add((1UL << bits) + 0x55);
        }

        foreach (ulong value in values)
        {
            byte[] expected = Wire.Varint(value);
            byte[] buffer = Enumerable.Repeat((byte)0xEE, 3 + 10 + 3).ToArray();
            int end = FixedLayout.Varint64(ref buffer[0], 3, value);
            Assert.Equal(3 + expected.Length, end);
            Assert.Equal(expected, buffer[3..end]);
            Assert.All(buffer[..3].Concat(buffer[end..]), b => Assert.Equal(0xEE, b));

            if (value <= uint.MaxValue)
            {
                buffer.AsSpan().Fill(0xEE);
                end = FixedLayout.Varint32(ref buffer[0], 3, (uint)value);
                Assert.Equal(expected, buffer[3..end]);
                Assert.All(buffer[..3].Concat(buffer[end..]), b => Assert.Equal(0xEE, b));
            }
        }
    }

    [Fact]
    public void A_buffer_writer_with_little_room_gets_the_same_bytes()
    {
        Pose pose = Map.Pose(Largest());
        byte[] expected = MessageSerializer.ToArray(pose);
        var writer = new TinyBufferWriter();
        MessageSerializer.Write(pose, writer);
        Assert.Equal(expected, writer.Written.ToArray());
    }

    private static int FixedSizeOf<T>() =>
        typeof(T).GetCustomAttribute<GeneratedMessageAttribute>()!.FixedSize;

    private static int TryWriteFixed<T>(T message, Span<byte> destination) where T : IMessage<T> =>
        T.TryWriteFixed(in message, destination);

    private static int MaxSizeOf<T>() where T : IMessage<T> => T.MaxSize;

    /// <summary>A buffer writer that hands out spans of at most 7 bytes, so no message fits the one-pass path at first.</summary>
    private sealed class TinyBufferWriter : IBufferWriter<byte>
    {
        private readonly ArrayBufferWriter<byte> _inner = new();

        public ReadOnlySpan<byte> Written => _inner.WrittenSpan;

        public void Advance(int count) => _inner.Advance(count);

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            int length = Math.Max(sizeHint, 7);
            return _inner.GetMemory(length)[..length];
        }

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }
}
