using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;
using G = PeerKit.Tests.Google;

namespace PeerKit.Tests.Support;

/// <summary>FsCheck generators of Google messages, biased towards the edges of every encoding.</summary>
internal static class Gens
{
    private static Gen<T> Frequency<T>(params (int Weight, Gen<T> Gen)[] choices) => Gen.Frequency(choices);

    private static readonly Gen<ulong> Bits64 =
        from a in Gen.Choose(0, 0xFFFF)
        from b in Gen.Choose(0, 0xFFFF)
        from c in Gen.Choose(0, 0xFFFF)
        from d in Gen.Choose(0, 0xFFFF)
        select (ulong)(uint)a | ((ulong)(uint)b << 16) | ((ulong)(uint)c << 32) | ((ulong)(uint)d << 48);

    /// <summary>Random bits shifted right by a random amount, so every varint length is common; plus edge values.</summary>
    public static readonly Gen<ulong> UInt64 = Frequency(
        (6, from v in Bits64 from shift in Gen.Choose(0, 63) select v >> shift),
        (1, Gen.Elements<ulong>(0UL, 1UL, 127UL, 128UL, 16383UL, 16384UL, uint.MaxValue, (ulong)uint.MaxValue + 1, long.MaxValue, 1UL << 63, ulong.MaxValue)));

    public static readonly Gen<long> Int64 = Frequency(
        (4, UInt64.Select(v => (long)v)),
        (2, UInt64.Select(v => -(long)v)),
        (1, Gen.Choose(-300, 300).Select(i => (long)i)),
        (1, Gen.Elements(long.MinValue, long.MaxValue, -1L, 0L)));

    public static readonly Gen<uint> UInt32 = Frequency(
        (6, UInt64.Select(v => (uint)v)),
        (1, Gen.Elements<uint>(0U, 1U, 127U, 128U, 16384U, 1U << 31, uint.MaxValue)));

    public static readonly Gen<int> Int32 = Frequency(
        (4, UInt64.Select(v => (int)v)),
        (2, UInt64.Select(v => -(int)(uint)v)),
        (1, Gen.Choose(-300, 300)),
        (1, Gen.Elements(int.MinValue, int.MaxValue, -1, 0)));

    public static readonly Gen<bool> Bool = Gen.Elements(false, true);

    /// <summary>Any bit pattern (NaNs with payloads, subnormals, infinities), ordinary values and the special ones.</summary>
    public static readonly Gen<float> Float = Frequency(
        (3, Bits64.Select(b => BitConverter.UInt32BitsToSingle((uint)b))),
        (3, Gen.Choose(-1_000_000, 1_000_000).Select(i => i / 64f)),
        (1, Gen.Elements(float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 0f, float.Epsilon, float.MaxValue, float.MinValue, 1f)));

    public static readonly Gen<double> Double = Frequency(
        (3, Bits64.Select(BitConverter.UInt64BitsToDouble)),
        (3, Gen.Choose(-1_000_000, 1_000_000).Select(i => i / 1024d)),
        (1, Gen.Elements(double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0d, 0d, double.Epsilon, double.MaxValue, double.MinValue, 1d)));

    public static readonly Gen<G.Color> Color = Frequency(
        (4, Gen.Elements(Enum.GetValues<G.Color>())),
        (1, Int32.Select(i => (G.Color)i)));

    /// <summary>One Unicode scalar value: ASCII most often, then every UTF-8 length (never a lone surrogate).</summary>
    private static readonly Gen<string> Scalar = Frequency(
        (6, Gen.Choose(0x20, 0x7E)),
        (1, Gen.Choose(0x00, 0x1F)),
        (2, Gen.Choose(0x80, 0x7FF)),
        (2, Gen.Choose(0x800, 0xD7FF)),
        (1, Gen.Choose(0xE000, 0xFFFF)),
        (2, Gen.Choose(0x10000, 0x10FFFF)))
        .Select(char.ConvertFromUtf32);

    /// <summary>Valid UTF-16 strings (PeerKit rejects lone surrogates; see the UTF-8 tests).</summary>
    public static readonly Gen<string> Text = Gen.ListOf(Scalar).Select(parts => string.Concat(parts));

    public static readonly Gen<byte[]> ByteArray = Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b));

    public static readonly Gen<ByteString> Bytes = ByteArray.Select(b => ByteString.CopyFrom(b));

    public static Gen<T?> OrAbsent<T>(Gen<T> gen)
        where T : struct => Frequency((1, Gen.Constant<T?>(null)), (2, gen.Select(v => (T?)v)));

    public static Gen<T?> OrNull<T>(Gen<T> gen)
        where T : class => Frequency((1, Gen.Constant<T?>(null)), (2, gen.Select(v => (T?)v)));

    public static readonly Gen<G.Scalars> Scalars =
        from flag in Bool
        from int32 in Int32
        from sint32 in Int32
        from sfixed32 in Int32
        from int64 in Int64
        from sint64 in Int64
        from sfixed64 in Int64
        from uint32 in UInt32
        from fixed32 in UInt32
        from uint64 in UInt64
        from fixed64 in UInt64
        from f in Float
        from d in Double
        from color in Color
        from text in Text
        from data in Bytes
        select new G.Scalars
        {
            Flag = flag,
            Int32Value = int32,
            Sint32Value = sint32,
            Sfixed32Value = sfixed32,
            Int64Value = int64,
            Sint64Value = sint64,
            Sfixed64Value = sfixed64,
            Uint32Value = uint32,
            Fixed32Value = fixed32,
            Uint64Value = uint64,
            Fixed64Value = fixed64,
            FloatValue = f,
            DoubleValue = d,
            Color = color,
            Text = text,
            Data = data,
        };

    public static readonly Gen<G.Inner> Inner =
        from id in Int32
        from name in Text
        select new G.Inner { Id = id, Name = name };

    public static readonly Gen<G.Point> Point =
        from x in Int32
        from y in Int32
        select new G.Point { X = x, Y = y };

    public static readonly Gen<G.Optionals> Optionals =
        from flag in OrAbsent(Bool)
        from int32 in OrAbsent(Int32)
        from sint32 in OrAbsent(Int32)
        from sfixed32 in OrAbsent(Int32)
        from int64 in OrAbsent(Int64)
        from sint64 in OrAbsent(Int64)
        from sfixed64 in OrAbsent(Int64)
        from uint32 in OrAbsent(UInt32)
        from fixed32 in OrAbsent(UInt32)
        from uint64 in OrAbsent(UInt64)
        from fixed64 in OrAbsent(UInt64)
        from f in OrAbsent(Float)
        from d in OrAbsent(Double)
        from color in OrAbsent(Color)
        from text in OrNull(Text)
        from data in OrNull(Bytes)
        from inner in OrNull(Inner)
        select Build(flag, int32, sint32, sfixed32, int64, sint64, sfixed64, uint32, fixed32, uint64, fixed64, f, d, color, text, data, inner);

    private static G.Optionals Build(
        bool? flag, int? int32, int? sint32, int? sfixed32, long? int64, long? sint64, long? sfixed64, uint? uint32, uint? fixed32,
        ulong? uint64, ulong? fixed64, float? f, double? d, G.Color? color, string? text, ByteString? data, G.Inner? inner)
    {
        var g = new G.Optionals { Inner = inner };
        if (flag is { } v1) g.Flag = v1;
        if (int32 is { } v2) g.Int32Value = v2;
        if (sint32 is { } v3) g.Sint32Value = v3;
        if (sfixed32 is { } v4) g.Sfixed32Value = v4;
        if (int64 is { } v5) g.Int64Value = v5;
        if (sint64 is { } v6) g.Sint64Value = v6;
        if (sfixed64 is { } v7) g.Sfixed64Value = v7;
        if (uint32 is { } v8) g.Uint32Value = v8;
        if (fixed32 is { } v9) g.Fixed32Value = v9;
        if (uint64 is { } v10) g.Uint64Value = v10;
        if (fixed64 is { } v11) g.Fixed64Value = v11;
        if (f is { } v12) g.FloatValue = v12;
        if (d is { } v13) g.DoubleValue = v13;
        if (color is { } v14) g.Color = v14;
        if (text is { } v15) g.Text = v15;
        if (data is { } v16) g.Data = v16;
        return g;
    }

    public static readonly Gen<G.Repeateds> Repeateds =
        from flags in Gen.ArrayOf(Bool)
        from int32 in Gen.ArrayOf(Int32)
        from sint32 in Gen.ArrayOf(Int32)
        from sfixed32 in Gen.ArrayOf(Int32)
        from int64 in Gen.ArrayOf(Int64)
        from sint64 in Gen.ArrayOf(Int64)
        from sfixed64 in Gen.ArrayOf(Int64)
        from uint32 in Gen.ArrayOf(UInt32)
        from fixed32 in Gen.ArrayOf(UInt32)
        from uint64 in Gen.ArrayOf(UInt64)
        from fixed64 in Gen.ArrayOf(UInt64)
        from f in Gen.ArrayOf(Float)
        from d in Gen.ArrayOf(Double)
        from colors in Gen.ArrayOf(Color)
        from texts in Gen.ArrayOf(Text)
        from blobs in Gen.ArrayOf(Bytes)
        from inners in Gen.ArrayOf(Inner)
        select Build(flags, int32, sint32, sfixed32, int64, sint64, sfixed64, uint32, fixed32, uint64, fixed64, f, d, colors, texts, blobs, inners);

    private static G.Repeateds Build(
        bool[] flags, int[] int32, int[] sint32, int[] sfixed32, long[] int64, long[] sint64, long[] sfixed64, uint[] uint32, uint[] fixed32,
        ulong[] uint64, ulong[] fixed64, float[] f, double[] d, G.Color[] colors, string[] texts, ByteString[] blobs, G.Inner[] inners)
    {
        var g = new G.Repeateds();
        g.Flags.AddRange(flags);
        g.Int32Values.AddRange(int32);
        g.Sint32Values.AddRange(sint32);
        g.Sfixed32Values.AddRange(sfixed32);
        g.Int64Values.AddRange(int64);
        g.Sint64Values.AddRange(sint64);
        g.Sfixed64Values.AddRange(sfixed64);
        g.Uint32Values.AddRange(uint32);
        g.Fixed32Values.AddRange(fixed32);
        g.Uint64Values.AddRange(uint64);
        g.Fixed64Values.AddRange(fixed64);
        g.FloatValues.AddRange(f);
        g.DoubleValues.AddRange(d);
        g.Colors.AddRange(colors);
        g.Texts.AddRange(texts);
        g.Blobs.AddRange(blobs);
        g.Inners.AddRange(inners);
        return g;
    }

    /// <summary>Outer messages with <c>Required</c> set (PeerKit's non-nullable member always has a value).</summary>
    public static readonly Gen<G.Outer> Outer =
        from required in Inner
        from optional in OrNull(Inner)
        from items in Gen.ArrayOf(Inner)
        from position in OrNull(Point)
        from tail in OrAbsent(Int32)
        select BuildOuter(required, optional, items, position, tail);

    private static G.Outer BuildOuter(G.Inner required, G.Inner? optional, G.Inner[] items, G.Point? position, int? tail)
    {
        var g = new G.Outer { Required = required, Optional = optional, Position = position };
        g.Items.AddRange(items);
        if (tail is { } t) g.Tail = t;
        return g;
    }

    /// <summary>Chains of 1 to 65 messages: the outermost and at most 64 nested (within MessageReader.DefaultMaxDepth).</summary>
    public static readonly Gen<G.Recursive> Recursive =
        from levels in Gen.Choose(1, 65)
        from values in Gen.ArrayOf(Int32, levels)
        select values.Aggregate((G.Recursive?)null, (child, value) => new G.Recursive { Child = child, Value = value })
            ?? new G.Recursive();

    public static readonly Gen<G.WideTags> WideTags =
        from f1 in Int32
        from f15 in Int32
        from f16 in Int32
        from f2047 in Text
        from f2048 in UInt64
        from f262143 in Double
        from f262144 in Gen.ArrayOf(Int32)
        from f33554431 in Bytes
        from f33554432 in Int64
        from f536870911 in Float
        select BuildWideTags(f1, f15, f16, f2047, f2048, f262143, f262144, f33554431, f33554432, f536870911);

    private static G.WideTags BuildWideTags(int f1, int f15, int f16, string f2047, ulong f2048, double f262143, int[] f262144, ByteString f33554431, long f33554432, float f536870911)
    {
        var g = new G.WideTags
        {
            F1 = f1, F15 = f15, F16 = f16, F2047 = f2047, F2048 = f2048, F262143 = f262143,
            F33554431 = f33554431, F33554432 = f33554432, F536870911 = f536870911,
        };
        g.F262144.AddRange(f262144);
        return g;
    }

    public static readonly Gen<G.AvatarTransform> AvatarTransform =
        from id in UInt32
        from x in Float
        from y in Float
        from z in Float
        from qx in Float
        from qy in Float
        from qz in Float
        from qw in Float
        select new G.AvatarTransform { Id = id, X = x, Y = y, Z = z, Qx = qx, Qy = qy, Qz = qz, Qw = qw };

    public static readonly Gen<G.ChatMessage> ChatMessage =
        from from_ in UInt64
        from to in UInt64
        from room in Text
        from text in Text
        select new G.ChatMessage { From = from_, To = to, Room = room, Text = text };

    /// <summary>Blocks with <c>Header</c> set, a payload of up to 2 KiB and up to 64 values.</summary>
    public static readonly Gen<G.Block> Block =
        from height in UInt64
        from hash in UInt64
        from timestamp in Int64
        from length in Frequency((1, Gen.Constant(1024)), (2, Gen.Choose(0, 2048)))
        from seed in Gen.Choose(0, int.MaxValue)
        from values in Gen.ArrayOf(Int32, 32).Or(Gen.ArrayOf(Int32))
        select BuildBlock(new G.BlockHeader { Height = height, Hash = hash, Timestamp = timestamp }, length, seed, values);

    private static G.Block BuildBlock(G.BlockHeader header, int length, int seed, int[] values)
    {
        byte[] payload = new byte[length];
        new Random(seed).NextBytes(payload);
        var g = new G.Block { Header = header, Payload = ByteString.CopyFrom(payload) };
        g.Values.AddRange(values);
        return g;
    }

    /// <summary>A fixed-size sample of <paramref name="gen"/>, for tests that need data rather than a property.</summary>
    public static T[] Sample<T>(Gen<T> gen, int count, int size = 30) => gen.Sample(count, size);

    /// <summary>A reproducible sample of <paramref name="gen"/>: the same values for the same <paramref name="seed"/>.</summary>
    public static T[] Sample<T>(Gen<T> gen, int count, ulong seed, int size) => gen.Sample(count, new Rnd(seed), size);

    /// <summary>The UTF-8 byte count of <paramref name="text"/>, for sizing expectations.</summary>
    public static int Utf8Length(string text) => Encoding.UTF8.GetByteCount(text);
}
