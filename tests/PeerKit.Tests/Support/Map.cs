using Google.Protobuf;
using PeerKit.Tests.Model;
using G = PeerKit.Tests.Google;

namespace PeerKit.Tests.Support;

/// <summary>
/// Converts between the PeerKit test messages and Google.Protobuf's generated classes for the same schema.
/// Every conversion is lossless for the values PeerKit can hold, so a Google message survives a round trip.
/// </summary>
internal static class Map
{
    private static ByteString Bytes(ReadOnlySpan<byte> bytes) => ByteString.CopyFrom(bytes);

    private static G.Color ToGoogle(Color color) => (G.Color)(int)color;

    private static Color FromGoogle(G.Color color) => (Color)(int)color;

    // ---- Scalars ----

    public static ScalarsClass ScalarsClass(G.Scalars g) => new()
    {
        Flag = g.Flag,
        Int32Value = g.Int32Value,
        SInt32Value = g.Sint32Value,
        SFixed32Value = g.Sfixed32Value,
        Int64Value = g.Int64Value,
        SInt64Value = g.Sint64Value,
        SFixed64Value = g.Sfixed64Value,
        UInt32Value = g.Uint32Value,
        Fixed32Value = g.Fixed32Value,
        UInt64Value = g.Uint64Value,
        Fixed64Value = g.Fixed64Value,
        FloatValue = g.FloatValue,
        DoubleValue = g.DoubleValue,
        Color = FromGoogle(g.Color),
        Text = g.Text,
        Data = g.Data.ToByteArray(),
    };

    public static G.Scalars ToGoogle(ScalarsClass p) => new()
    {
        Flag = p.Flag,
        Int32Value = p.Int32Value,
        Sint32Value = p.SInt32Value,
        Sfixed32Value = p.SFixed32Value,
        Int64Value = p.Int64Value,
        Sint64Value = p.SInt64Value,
        Sfixed64Value = p.SFixed64Value,
        Uint32Value = p.UInt32Value,
        Fixed32Value = p.Fixed32Value,
        Uint64Value = p.UInt64Value,
        Fixed64Value = p.Fixed64Value,
        FloatValue = p.FloatValue,
        DoubleValue = p.DoubleValue,
        Color = ToGoogle(p.Color),
        Text = p.Text,
        Data = Bytes(p.Data),
    };

    public static ScalarsRecord ScalarsRecord(G.Scalars g) => new(
        g.Flag, g.Int32Value, g.Sint32Value, g.Sfixed32Value, g.Int64Value, g.Sint64Value, g.Sfixed64Value,
        g.Uint32Value, g.Fixed32Value, g.Uint64Value, g.Fixed64Value, g.FloatValue, g.DoubleValue,
        FromGoogle(g.Color), g.Text, g.Data.ToByteArray());

    public static G.Scalars ToGoogle(ScalarsRecord p) => new()
    {
        Flag = p.Flag,
        Int32Value = p.Int32Value,
        Sint32Value = p.SInt32Value,
        Sfixed32Value = p.SFixed32Value,
        Int64Value = p.Int64Value,
        Sint64Value = p.SInt64Value,
        Sfixed64Value = p.SFixed64Value,
        Uint32Value = p.UInt32Value,
        Fixed32Value = p.Fixed32Value,
        Uint64Value = p.UInt64Value,
        Fixed64Value = p.Fixed64Value,
        FloatValue = p.FloatValue,
        DoubleValue = p.DoubleValue,
        Color = ToGoogle(p.Color),
        Text = p.Text,
        Data = Bytes(p.Data.Span),
    };

    /// <summary>Fields 1 to 14 of <paramref name="g"/> (the struct shapes have no string or bytes).</summary>
    public static ScalarsRecordStruct ScalarsRecordStruct(G.Scalars g) => new(
        FromGoogle(g.Color), g.DoubleValue, g.FloatValue, g.Fixed64Value, g.Uint64Value, g.Fixed32Value, g.Uint32Value,
        g.Sfixed64Value, g.Sint64Value, g.Int64Value, g.Sfixed32Value, g.Sint32Value, g.Int32Value, g.Flag);

    public static G.Scalars ToGoogle(ScalarsRecordStruct p) => new()
    {
        Flag = p.Flag,
        Int32Value = p.Int32Value,
        Sint32Value = p.SInt32Value,
        Sfixed32Value = p.SFixed32Value,
        Int64Value = p.Int64Value,
        Sint64Value = p.SInt64Value,
        Sfixed64Value = p.SFixed64Value,
        Uint32Value = p.UInt32Value,
        Fixed32Value = p.Fixed32Value,
        Uint64Value = p.UInt64Value,
        Fixed64Value = p.Fixed64Value,
        FloatValue = p.FloatValue,
        DoubleValue = p.DoubleValue,
        Color = ToGoogle(p.Color),
    };

    public static ScalarsStruct ScalarsStruct(G.Scalars g) => new()
    {
        Flag = g.Flag,
        Int32Value = g.Int32Value,
        SInt32Value = g.Sint32Value,
        SFixed32Value = g.Sfixed32Value,
        Int64Value = g.Int64Value,
        SInt64Value = g.Sint64Value,
        SFixed64Value = g.Sfixed64Value,
        UInt32Value = g.Uint32Value,
        Fixed32Value = g.Fixed32Value,
        UInt64Value = g.Uint64Value,
        Fixed64Value = g.Fixed64Value,
        FloatValue = g.FloatValue,
        DoubleValue = g.DoubleValue,
        Color = FromGoogle(g.Color),
    };

    public static G.Scalars ToGoogle(ScalarsStruct p) => new()
    {
        Flag = p.Flag,
        Int32Value = p.Int32Value,
        Sint32Value = p.SInt32Value,
        Sfixed32Value = p.SFixed32Value,
        Int64Value = p.Int64Value,
        Sint64Value = p.SInt64Value,
        Sfixed64Value = p.SFixed64Value,
        Uint32Value = p.UInt32Value,
        Fixed32Value = p.Fixed32Value,
        Uint64Value = p.UInt64Value,
        Fixed64Value = p.Fixed64Value,
        FloatValue = p.FloatValue,
        DoubleValue = p.DoubleValue,
        Color = ToGoogle(p.Color),
    };

    // ---- Optionals ----

    public static Optionals Optionals(G.Optionals g) => new(
        g.HasFlag ? g.Flag : null,
        g.HasInt32Value ? g.Int32Value : null,
        g.HasSint32Value ? g.Sint32Value : null,
        g.HasSfixed32Value ? g.Sfixed32Value : null,
        g.HasInt64Value ? g.Int64Value : null,
        g.HasSint64Value ? g.Sint64Value : null,
        g.HasSfixed64Value ? g.Sfixed64Value : null,
        g.HasUint32Value ? g.Uint32Value : null,
        g.HasFixed32Value ? g.Fixed32Value : null,
        g.HasUint64Value ? g.Uint64Value : null,
        g.HasFixed64Value ? g.Fixed64Value : null,
        g.HasFloatValue ? g.FloatValue : null,
        g.HasDoubleValue ? g.DoubleValue : null,
        g.HasColor ? FromGoogle(g.Color) : null,
        g.HasText ? g.Text : null,
        g.HasData ? g.Data.ToByteArray() : null,
        g.Inner is null ? null : Inner(g.Inner));

    public static G.Optionals ToGoogle(Optionals p)
    {
        var g = new G.Optionals();
        if (p.Flag is { } flag) g.Flag = flag;
        if (p.Int32Value is { } i32) g.Int32Value = i32;
        if (p.SInt32Value is { } s32) g.Sint32Value = s32;
        if (p.SFixed32Value is { } sf32) g.Sfixed32Value = sf32;
        if (p.Int64Value is { } i64) g.Int64Value = i64;
        if (p.SInt64Value is { } s64) g.Sint64Value = s64;
        if (p.SFixed64Value is { } sf64) g.Sfixed64Value = sf64;
        if (p.UInt32Value is { } u32) g.Uint32Value = u32;
        if (p.Fixed32Value is { } f32) g.Fixed32Value = f32;
        if (p.UInt64Value is { } u64) g.Uint64Value = u64;
        if (p.Fixed64Value is { } f64) g.Fixed64Value = f64;
        if (p.FloatValue is { } fl) g.FloatValue = fl;
        if (p.DoubleValue is { } db) g.DoubleValue = db;
        if (p.Color is { } color) g.Color = ToGoogle(color);
        if (p.Text is { } text) g.Text = text;
        if (p.Data is { } data) g.Data = Bytes(data);
        if (p.Inner is { } inner) g.Inner = ToGoogle(inner);
        return g;
    }

    // ---- Nested ----

    public static Inner Inner(G.Inner g) => new(g.Id, g.Name);

    public static G.Inner ToGoogle(Inner p) => new() { Id = p.Id, Name = p.Name };

    public static InnerValue InnerValue(G.Inner g) => new(g.Id, g.Name);

    public static G.Inner ToGoogle(InnerValue p) => new() { Id = p.Id, Name = p.Name };

    public static Point Point(G.Point g) => new(g.X, g.Y);

    public static G.Point ToGoogle(Point p) => new() { X = p.X, Y = p.Y };

    /// <summary>Needs <c>Required</c> and <c>Position</c> set: PeerKit always has them.</summary>
    public static Outer Outer(G.Outer g) => new(
        Inner(g.Required),
        g.Optional is null ? null : Inner(g.Optional),
        g.Items.Select(Inner).ToArray(),
        Point(g.Position),
        g.HasTail ? g.Tail : null);

    public static G.Outer ToGoogle(Outer p)
    {
        var g = new G.Outer
        {
            Required = p.Required is null ? null : ToGoogle(p.Required),
            Optional = p.Optional is null ? null : ToGoogle(p.Optional),
            Position = ToGoogle(p.Position),
        };
        g.Items.AddRange(p.Items.Select(ToGoogle));
        if (p.Tail is { } tail) g.Tail = tail;
        return g;
    }

    /// <summary>Needs <c>Required</c> set; <c>Position</c> may be absent.</summary>
    public static OuterClass OuterClass(G.Outer g) => new()
    {
        Required = Inner(g.Required),
        Optional = g.Optional is null ? null : Inner(g.Optional),
        Items = g.Items.Select(Inner).ToList(),
        Position = g.Position is null ? null : Point(g.Position),
        Tail = g.HasTail ? g.Tail : null,
    };

    public static G.Outer ToGoogle(OuterClass p)
    {
        var g = new G.Outer
        {
            Required = p.Required is null ? null : ToGoogle(p.Required),
            Optional = p.Optional is null ? null : ToGoogle(p.Optional),
            Position = p.Position is { } position ? ToGoogle(position) : null,
        };
        g.Items.AddRange(p.Items.Select(ToGoogle));
        if (p.Tail is { } tail) g.Tail = tail;
        return g;
    }

    public static Recursive Recursive(G.Recursive g) => new()
    {
        Child = g.Child is null ? null : Recursive(g.Child),
        Value = g.Value,
    };

    public static G.Recursive ToGoogle(Recursive p) => new()
    {
        Child = p.Child is null ? null : ToGoogle(p.Child),
        Value = p.Value,
    };

    // ---- Repeated ----

    public static RepeatedArrays RepeatedArrays(G.Repeateds g) => new(
        g.Flags.ToArray(),
        g.Int32Values.ToArray(),
        g.Sint32Values.ToArray(),
        g.Sfixed32Values.ToArray(),
        g.Int64Values.ToArray(),
        g.Sint64Values.ToArray(),
        g.Sfixed64Values.ToArray(),
        g.Uint32Values.ToArray(),
        g.Fixed32Values.ToArray(),
        g.Uint64Values.ToArray(),
        g.Fixed64Values.ToArray(),
        g.FloatValues.ToArray(),
        g.DoubleValues.ToArray(),
        g.Colors.Select(FromGoogle).ToArray(),
        g.Texts.ToArray(),
        g.Blobs.Select(b => b.ToByteArray()).ToArray(),
        g.Inners.Select(Inner).ToArray());

    public static G.Repeateds ToGoogle(RepeatedArrays p)
    {
        var g = new G.Repeateds();
        g.Flags.AddRange(p.Flags);
        g.Int32Values.AddRange(p.Int32Values);
        g.Sint32Values.AddRange(p.SInt32Values);
        g.Sfixed32Values.AddRange(p.SFixed32Values);
        g.Int64Values.AddRange(p.Int64Values);
        g.Sint64Values.AddRange(p.SInt64Values);
        g.Sfixed64Values.AddRange(p.SFixed64Values);
        g.Uint32Values.AddRange(p.UInt32Values);
        g.Fixed32Values.AddRange(p.Fixed32Values);
        g.Uint64Values.AddRange(p.UInt64Values);
        g.Fixed64Values.AddRange(p.Fixed64Values);
        g.FloatValues.AddRange(p.FloatValues);
        g.DoubleValues.AddRange(p.DoubleValues);
        g.Colors.AddRange(p.Colors.Select(ToGoogle));
        g.Texts.AddRange(p.Texts);
        g.Blobs.AddRange(p.Blobs.Select(b => Bytes(b)));
        g.Inners.AddRange(p.Inners.Select(ToGoogle));
        return g;
    }

    public static RepeatedLists RepeatedLists(G.Repeateds g) => new()
    {
        Flags = g.Flags.ToList(),
        Int32Values = g.Int32Values.ToList(),
        SInt32Values = g.Sint32Values.ToList(),
        SFixed32Values = g.Sfixed32Values.ToList(),
        Int64Values = g.Int64Values.ToList(),
        SInt64Values = g.Sint64Values.ToList(),
        SFixed64Values = g.Sfixed64Values.ToList(),
        UInt32Values = g.Uint32Values.ToList(),
        Fixed32Values = g.Fixed32Values.ToList(),
        UInt64Values = g.Uint64Values.ToList(),
        Fixed64Values = g.Fixed64Values.ToList(),
        FloatValues = g.FloatValues.ToList(),
        DoubleValues = g.DoubleValues.ToList(),
        Colors = g.Colors.Select(FromGoogle).ToList(),
        Texts = g.Texts.ToList(),
        Blobs = g.Blobs.Select(b => new ReadOnlyMemory<byte>(b.ToByteArray())).ToList(),
        Inners = g.Inners.Select(Inner).ToList(),
    };

    public static G.Repeateds ToGoogle(RepeatedLists p)
    {
        var g = new G.Repeateds();
        g.Flags.AddRange(p.Flags);
        g.Int32Values.AddRange(p.Int32Values);
        g.Sint32Values.AddRange(p.SInt32Values);
        g.Sfixed32Values.AddRange(p.SFixed32Values);
        g.Int64Values.AddRange(p.Int64Values);
        g.Sint64Values.AddRange(p.SInt64Values);
        g.Sfixed64Values.AddRange(p.SFixed64Values);
        g.Uint32Values.AddRange(p.UInt32Values);
        g.Fixed32Values.AddRange(p.Fixed32Values);
        g.Uint64Values.AddRange(p.UInt64Values);
        g.Fixed64Values.AddRange(p.Fixed64Values);
        g.FloatValues.AddRange(p.FloatValues);
        g.DoubleValues.AddRange(p.DoubleValues);
        g.Colors.AddRange(p.Colors.Select(ToGoogle));
        g.Texts.AddRange(p.Texts);
        g.Blobs.AddRange(p.Blobs.Select(b => Bytes(b.Span)));
        g.Inners.AddRange(p.Inners.Select(ToGoogle));
        return g;
    }

    public static RepeatedReadOnlyLists RepeatedReadOnlyLists(G.Repeateds g) => new()
    {
        Flags = g.Flags.ToArray(),
        Int32Values = g.Int32Values.ToList(),
        SInt32Values = g.Sint32Values.ToArray(),
        SFixed32Values = g.Sfixed32Values.ToList(),
        Int64Values = g.Int64Values.ToArray(),
        SInt64Values = g.Sint64Values.ToList(),
        SFixed64Values = g.Sfixed64Values.ToArray(),
        UInt32Values = g.Uint32Values.ToList(),
        Fixed32Values = g.Fixed32Values.ToArray(),
        UInt64Values = g.Uint64Values.ToList(),
        Fixed64Values = g.Fixed64Values.ToArray(),
        FloatValues = g.FloatValues.ToList(),
        DoubleValues = g.DoubleValues.ToArray(),
        Colors = g.Colors.Select(FromGoogle).ToList(),
        Texts = g.Texts.ToArray(),
        Blobs = g.Blobs.Select(b => b.ToByteArray()).ToList(),
        Inners = g.Inners.Select(InnerValue).ToArray(),
    };

    public static G.Repeateds ToGoogle(RepeatedReadOnlyLists p)
    {
        var g = new G.Repeateds();
        g.Flags.AddRange(p.Flags ?? []);
        g.Int32Values.AddRange(p.Int32Values ?? []);
        g.Sint32Values.AddRange(p.SInt32Values ?? []);
        g.Sfixed32Values.AddRange(p.SFixed32Values ?? []);
        g.Int64Values.AddRange(p.Int64Values ?? []);
        g.Sint64Values.AddRange(p.SInt64Values ?? []);
        g.Sfixed64Values.AddRange(p.SFixed64Values ?? []);
        g.Uint32Values.AddRange(p.UInt32Values ?? []);
        g.Fixed32Values.AddRange(p.Fixed32Values ?? []);
        g.Uint64Values.AddRange(p.UInt64Values ?? []);
        g.Fixed64Values.AddRange(p.Fixed64Values ?? []);
        g.FloatValues.AddRange(p.FloatValues ?? []);
        g.DoubleValues.AddRange(p.DoubleValues ?? []);
        g.Colors.AddRange((p.Colors ?? []).Select(ToGoogle));
        g.Texts.AddRange(p.Texts ?? []);
        g.Blobs.AddRange((p.Blobs ?? []).Select(b => Bytes(b)));
        g.Inners.AddRange((p.Inners ?? []).Select(ToGoogle));
        return g;
    }

    // ---- Field numbers ----

    public static WideTags WideTags(G.WideTags g) => new(
        g.F1, g.F15, g.F16, g.F2047, g.F2048, g.F262143, g.F262144.ToArray(), g.F33554431.ToByteArray(), g.F33554432, g.F536870911);

    public static G.WideTags ToGoogle(WideTags p)
    {
        var g = new G.WideTags
        {
            F1 = p.F1,
            F15 = p.F15,
            F16 = p.F16,
            F2047 = p.F2047,
            F2048 = p.F2048,
            F262143 = p.F262143,
            F33554431 = Bytes(p.F33554431),
            F33554432 = p.F33554432,
            F536870911 = p.F536870911,
        };
        g.F262144.AddRange(p.F262144);
        return g;
    }

    // ---- Benchmark messages ----

    public static AvatarTransform AvatarTransform(G.AvatarTransform g) => new()
    {
        Id = g.Id, X = g.X, Y = g.Y, Z = g.Z, Qx = g.Qx, Qy = g.Qy, Qz = g.Qz, Qw = g.Qw,
    };

    public static G.AvatarTransform ToGoogle(AvatarTransform p) => new()
    {
        Id = p.Id, X = p.X, Y = p.Y, Z = p.Z, Qx = p.Qx, Qy = p.Qy, Qz = p.Qz, Qw = p.Qw,
    };

    public static AvatarTransformRecord AvatarTransformRecord(G.AvatarTransform g) => new(g.Id, g.X, g.Y, g.Z, g.Qx, g.Qy, g.Qz, g.Qw);

    public static G.AvatarTransform ToGoogle(AvatarTransformRecord p) => new()
    {
        Id = p.Id, X = p.X, Y = p.Y, Z = p.Z, Qx = p.Qx, Qy = p.Qy, Qz = p.Qz, Qw = p.Qw,
    };

    public static ChatMessage ChatMessage(G.ChatMessage g) => new(g.From, g.To, g.Room, g.Text);

    public static G.ChatMessage ToGoogle(ChatMessage p) => new() { From = p.From, To = p.To, Room = p.Room, Text = p.Text };

    public static BlockHeader BlockHeader(G.BlockHeader g) => new(g.Height, g.Hash, g.Timestamp);

    public static G.BlockHeader ToGoogle(BlockHeader p) => new() { Height = p.Height, Hash = p.Hash, Timestamp = p.Timestamp };

    /// <summary>Needs <c>Header</c> set: the value-type header is always written.</summary>
    public static Block Block(G.Block g) => new(BlockHeader(g.Header), g.Payload.ToByteArray(), g.Values.ToArray());

    public static G.Block ToGoogle(Block p)
    {
        var g = new G.Block { Header = ToGoogle(p.Header), Payload = Bytes(p.Payload.Span) };
        g.Values.AddRange(p.Values);
        return g;
    }

    /// <summary>Needs <c>Header</c> set.</summary>
    public static BlockClass BlockClass(G.Block g) => new()
    {
        Header = new BlockHeaderClass { Height = g.Header.Height, Hash = g.Header.Hash, Timestamp = g.Header.Timestamp },
        Payload = g.Payload.ToByteArray(),
        Values = g.Values.ToList(),
    };

    public static G.Block ToGoogle(BlockClass p)
    {
        var g = new G.Block
        {
            Header = p.Header is null ? null : new G.BlockHeader { Height = p.Header.Height, Hash = p.Header.Hash, Timestamp = p.Header.Timestamp },
            Payload = Bytes(p.Payload),
        };
        g.Values.AddRange(p.Values);
        return g;
    }

    public static Vec3 Vec3(G.Vec3 g) => new(g.X, g.Y, g.Z);

    public static G.Vec3 ToGoogle(Vec3 p) => new() { X = p.X, Y = p.Y, Z = p.Z };

    public static Vec3Record Vec3Record(G.Vec3 g) => new(g.X, g.Y, g.Z);

    public static G.Vec3 ToGoogle(Vec3Record p) => new() { X = p.X, Y = p.Y, Z = p.Z };

    /// <summary>Needs <c>Position</c> and <c>Grid</c> set: the value-type shape always has them.</summary>
    public static Pose Pose(G.Pose g) => new(
        g.Id, Vec3(g.Position), g.Qx, g.Qy, g.Qz, g.Qw, g.Tick, g.Velocity is null ? null : Vec3(g.Velocity),
        g.Level, g.Drift, g.Moving, FromGoogle(g.Color), g.Heading, g.Score, g.Offset, Point(g.Grid));

    public static G.Pose ToGoogle(Pose p) => new()
    {
        Id = p.Id, Position = ToGoogle(p.Position), Qx = p.Qx, Qy = p.Qy, Qz = p.Qz, Qw = p.Qw, Tick = p.Tick,
        Velocity = p.Velocity is { } velocity ? ToGoogle(velocity) : null, Level = p.Level, Drift = p.Drift,
        Moving = p.Moving, Color = ToGoogle(p.Color), Heading = p.Heading, Score = p.Score, Offset = p.Offset,
        Grid = ToGoogle(p.Grid),
    };

    /// <summary>Needs <c>Position</c> set: the class shape always writes it.</summary>
    public static PoseClass PoseClass(G.Pose g) => new()
    {
        Id = g.Id, Position = Vec3Record(g.Position), Qx = g.Qx, Qy = g.Qy, Qz = g.Qz, Qw = g.Qw, Tick = g.Tick,
        Velocity = g.Velocity is null ? null : Vec3Record(g.Velocity), Level = g.Level, Drift = g.Drift,
        Moving = g.Moving, Color = FromGoogle(g.Color), Heading = g.Heading, Score = g.Score, Offset = g.Offset,
        Grid = g.Grid is null ? null : Point(g.Grid),
    };

    public static G.Pose ToGoogle(PoseClass p) => new()
    {
        Id = p.Id, Position = p.Position is null ? null : ToGoogle(p.Position), Qx = p.Qx, Qy = p.Qy, Qz = p.Qz, Qw = p.Qw,
        Tick = p.Tick, Velocity = p.Velocity is null ? null : ToGoogle(p.Velocity), Level = p.Level, Drift = p.Drift,
        Moving = p.Moving, Color = ToGoogle(p.Color), Heading = p.Heading, Score = p.Score, Offset = p.Offset,
        Grid = p.Grid is { } grid ? ToGoogle(grid) : null,
    };
}
