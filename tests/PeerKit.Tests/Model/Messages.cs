// PeerKit [Message] types equivalent to the schemas in contracts/tests/wire.proto. Several C# shapes map to
// the same proto message, so each shape (record, record struct, class with init properties, struct with
// fields) and each collection kind (T[], List<T>, IReadOnlyList<T>) is checked against Google.Protobuf.
namespace PeerKit.Tests.Model;

public enum Color
{
    Unspecified = 0,
    Red = 1,
    Green = 2,
    Blue = 150,
    Negative = -1,
    Large = int.MaxValue,
    Smallest = int.MinValue,
}

/// <summary>peerkit.tests.Scalars as a class with init properties (bytes as byte[]).</summary>
[Message]
public sealed partial class ScalarsClass
{
    public bool Flag { get; init; }

    public int Int32Value { get; init; }

    [ZigZag]
    public int SInt32Value { get; init; }

    [Fixed]
    public int SFixed32Value { get; init; }

    public long Int64Value { get; init; }

    [ZigZag]
    public long SInt64Value { get; init; }

    [Fixed]
    public long SFixed64Value { get; init; }

    public uint UInt32Value { get; init; }

    [Fixed]
    public uint Fixed32Value { get; init; }

    public ulong UInt64Value { get; init; }

    [Fixed]
    public ulong Fixed64Value { get; init; }

    public float FloatValue { get; init; }

    public double DoubleValue { get; init; }

    public Color Color { get; init; }

    public string Text { get; init; } = string.Empty;

    public byte[] Data { get; init; } = [];
}

/// <summary>peerkit.tests.Scalars as a positional record (bytes as ReadOnlyMemory&lt;byte&gt;).</summary>
[Message]
public sealed partial record ScalarsRecord(
    bool Flag,
    int Int32Value,
    [ZigZag] int SInt32Value,
    [Fixed] int SFixed32Value,
    long Int64Value,
    [ZigZag] long SInt64Value,
    [Fixed] long SFixed64Value,
    uint UInt32Value,
    [Fixed] uint Fixed32Value,
    ulong UInt64Value,
    [Fixed] ulong Fixed64Value,
    float FloatValue,
    double DoubleValue,
    Color Color,
    string Text,
    ReadOnlyMemory<byte> Data);

/// <summary>
/// peerkit.tests.Scalars as a readonly record struct whose parameters are declared in reverse order with
/// explicit [Field] numbers. Fields 15 and 16 (string, bytes) are left out, so reading it allocates nothing.
/// </summary>
[Message]
public readonly partial record struct ScalarsRecordStruct(
    [Field(14)] Color Color,
    [Field(13)] double DoubleValue,
    [Field(12)] float FloatValue,
    [Field(11)][Fixed] ulong Fixed64Value,
    [Field(10)] ulong UInt64Value,
    [Field(9)][Fixed] uint Fixed32Value,
    [Field(8)] uint UInt32Value,
    [Field(7)][Fixed] long SFixed64Value,
    [Field(6)][ZigZag] long SInt64Value,
    [Field(5)] long Int64Value,
    [Field(4)][Fixed] int SFixed32Value,
    [Field(3)][ZigZag] int SInt32Value,
    [Field(2)] int Int32Value,
    [Field(1)] bool Flag);

/// <summary>peerkit.tests.Scalars fields 1 to 14 as a mutable struct with public fields.</summary>
[Message]
public partial struct ScalarsStruct
{
    public bool Flag;
    public int Int32Value;
    [ZigZag]
    public int SInt32Value;
    [Fixed]
    public int SFixed32Value;
    public long Int64Value;
    [ZigZag]
    public long SInt64Value;
    [Fixed]
    public long SFixed64Value;
    public uint UInt32Value;
    [Fixed]
    public uint Fixed32Value;
    public ulong UInt64Value;
    [Fixed]
    public ulong Fixed64Value;
    public float FloatValue;
    public double DoubleValue;
    public Color Color;
}

/// <summary>peerkit.tests.Optionals: Nullable&lt;T&gt; scalars, string?, byte[]? and a nullable message.</summary>
[Message]
public sealed partial record Optionals(
    bool? Flag,
    int? Int32Value,
    [ZigZag] int? SInt32Value,
    [Fixed] int? SFixed32Value,
    long? Int64Value,
    [ZigZag] long? SInt64Value,
    [Fixed] long? SFixed64Value,
    uint? UInt32Value,
    [Fixed] uint? Fixed32Value,
    ulong? UInt64Value,
    [Fixed] ulong? Fixed64Value,
    float? FloatValue,
    double? DoubleValue,
    Color? Color,
    string? Text,
    byte[]? Data,
    Inner? Inner);

/// <summary>peerkit.tests.Inner.</summary>
[Message]
public sealed partial record Inner(int Id, string Name);

/// <summary>peerkit.tests.Inner as a value type.</summary>
[Message]
public partial record struct InnerValue(int Id, string Name);

/// <summary>peerkit.tests.Point.</summary>
[Message]
public partial record struct Point([ZigZag] int X, [ZigZag] int Y);

/// <summary>peerkit.tests.Outer: non-nullable, nullable, repeated and value-type nested messages.</summary>
[Message]
public sealed partial record Outer(Inner Required, Inner? Optional, IReadOnlyList<Inner> Items, Point Position, int? Tail);

/// <summary>peerkit.tests.Outer as a class, with a Nullable&lt;T&gt; value-type message and a List of messages.</summary>
[Message]
public sealed partial class OuterClass
{
    public Inner Required { get; init; } = new(0, string.Empty);

    public Inner? Optional { get; init; }

    public List<Inner> Items { get; init; } = [];

    public Point? Position { get; init; }

    public int? Tail { get; init; }
}

/// <summary>peerkit.tests.Repeateds with arrays (bytes as byte[][]).</summary>
[Message]
public sealed partial record RepeatedArrays(
    bool[] Flags,
    int[] Int32Values,
    [ZigZag] int[] SInt32Values,
    [Fixed] int[] SFixed32Values,
    long[] Int64Values,
    [ZigZag] long[] SInt64Values,
    [Fixed] long[] SFixed64Values,
    uint[] UInt32Values,
    [Fixed] uint[] Fixed32Values,
    ulong[] UInt64Values,
    [Fixed] ulong[] Fixed64Values,
    float[] FloatValues,
    double[] DoubleValues,
    Color[] Colors,
    string[] Texts,
    byte[][] Blobs,
    Inner[] Inners);

/// <summary>peerkit.tests.Repeateds with List&lt;T&gt; init properties (bytes as ReadOnlyMemory&lt;byte&gt;).</summary>
[Message]
public sealed partial class RepeatedLists
{
    public List<bool> Flags { get; init; } = [];

    public List<int> Int32Values { get; init; } = [];

    [ZigZag]
    public List<int> SInt32Values { get; init; } = [];

    [Fixed]
    public List<int> SFixed32Values { get; init; } = [];

    public List<long> Int64Values { get; init; } = [];

    [ZigZag]
    public List<long> SInt64Values { get; init; } = [];

    [Fixed]
    public List<long> SFixed64Values { get; init; } = [];

    public List<uint> UInt32Values { get; init; } = [];

    [Fixed]
    public List<uint> Fixed32Values { get; init; } = [];

    public List<ulong> UInt64Values { get; init; } = [];

    [Fixed]
    public List<ulong> Fixed64Values { get; init; } = [];

    public List<float> FloatValues { get; init; } = [];

    public List<double> DoubleValues { get; init; } = [];

    public List<Color> Colors { get; init; } = [];

    public List<string> Texts { get; init; } = [];

    public List<ReadOnlyMemory<byte>> Blobs { get; init; } = [];

    public List<Inner> Inners { get; init; } = [];
}

/// <summary>peerkit.tests.Repeateds as a struct with IReadOnlyList&lt;T&gt; fields and value-type messages.</summary>
[Message]
public partial struct RepeatedReadOnlyLists
{
    public IReadOnlyList<bool> Flags;
    public IReadOnlyList<int> Int32Values;
    [ZigZag]
    public IReadOnlyList<int> SInt32Values;
    [Fixed]
    public IReadOnlyList<int> SFixed32Values;
    public IReadOnlyList<long> Int64Values;
    [ZigZag]
    public IReadOnlyList<long> SInt64Values;
    [Fixed]
    public IReadOnlyList<long> SFixed64Values;
    public IReadOnlyList<uint> UInt32Values;
    [Fixed]
    public IReadOnlyList<uint> Fixed32Values;
    public IReadOnlyList<ulong> UInt64Values;
    [Fixed]
    public IReadOnlyList<ulong> Fixed64Values;
    public IReadOnlyList<float> FloatValues;
    public IReadOnlyList<double> DoubleValues;
    public IReadOnlyList<Color> Colors;
    public IReadOnlyList<string> Texts;
    public IReadOnlyList<byte[]> Blobs;
    public IReadOnlyList<InnerValue> Inners;
}

/// <summary>peerkit.tests.Recursive: a self-referencing message, nullable so that it can end.</summary>
[Message]
public sealed partial class Recursive
{
    public Recursive? Child { get; init; }

    public int Value { get; init; }
}

/// <summary>peerkit.tests.WideTags: field numbers whose tags take 1 to 5 bytes.</summary>
[Message]
public sealed partial record WideTags(
    [Field(1)] int F1,
    [Field(15)] int F15,
    [Field(16)] int F16,
    [Field(2047)] string F2047,
    [Field(2048)][Fixed] ulong F2048,
    [Field(262143)] double F262143,
    [Field(262144)] int[] F262144,
    [Field(33554431)] byte[] F33554431,
    [Field(33554432)][ZigZag] long F33554432,
    [Field(536870911)] float F536870911);

/// <summary>peerkit.tests.AvatarTransform as a struct with fields.</summary>
[Message(Code = 2, Reliability = Reliability.Unreliable, MaxSize = 64)]
public partial struct AvatarTransform
{
    [Fixed]
    public uint Id;
    public float X;
    public float Y;
    public float Z;
    public float Qx;
    public float Qy;
    public float Qz;
    public float Qw;
}

/// <summary>peerkit.tests.AvatarTransform as a positional record, as in the Quickstart sample.</summary>
[Message(Code = 2, Reliability = Reliability.Unreliable, MaxSize = 64)]
public sealed partial record AvatarTransformRecord([Fixed] uint Id, float X, float Y, float Z, float Qx, float Qy, float Qz, float Qw);

/// <summary>peerkit.tests.ChatMessage.</summary>
[Message(Code = 1)]
public sealed partial record ChatMessage(ulong From, ulong To, string Room, string Text);

/// <summary>peerkit.tests.BlockHeader.</summary>
[Message]
public partial record struct BlockHeader(ulong Height, [Fixed] ulong Hash, long Timestamp);

/// <summary>peerkit.tests.Block: 1 KiB of bytes (sliced from the input), 32 ints and a value-type header.</summary>
[Message(Code = 3)]
public sealed partial record Block(BlockHeader Header, ReadOnlyMemory<byte> Payload, int[] Values);

/// <summary>peerkit.tests.BlockHeader as a class.</summary>
[Message]
public sealed partial class BlockHeaderClass
{
    public ulong Height { get; init; }

    [Fixed]
    public ulong Hash { get; init; }

    public long Timestamp { get; init; }
}

/// <summary>peerkit.tests.Block as a class: bytes copied into a byte[], values in a List, a reference-type header.</summary>
[Message]
public sealed partial class BlockClass
{
    public BlockHeaderClass Header { get; init; } = new();

    public byte[] Payload { get; init; } = [];

    public List<int> Values { get; init; } = [];
}

/// <summary>peerkit.tests.Vec3.</summary>
[Message]
public readonly partial record struct Vec3(float X, float Y, float Z);

/// <summary>peerkit.tests.Vec3 as a class record.</summary>
[Message]
public sealed partial record Vec3Record(float X, float Y, float Z);

/// <summary>peerkit.tests.Pose: a fixed-layout message (written in straight-line code) with value-type nested messages, one nullable.</summary>
[Message(Reliability = Reliability.Unreliable)]
public readonly partial record struct Pose(
    uint Id,
    Vec3 Position,
    float Qx,
    float Qy,
    float Qz,
    float Qw,
    ulong Tick,
    Vec3? Velocity,
    int Level,
    [ZigZag] long Drift,
    bool Moving,
    Color Color,
    double Heading,
    long Score,
    [Fixed] int Offset,
    Point Grid);

/// <summary>peerkit.tests.Pose as a class with reference-type nested messages, one nullable.</summary>
[Message]
public sealed partial class PoseClass
{
    public uint Id { get; init; }

    public Vec3Record Position { get; init; } = new(0, 0, 0);

    public float Qx { get; init; }

    public float Qy { get; init; }

    public float Qz { get; init; }

    public float Qw { get; init; }

    public ulong Tick { get; init; }

    public Vec3Record? Velocity { get; init; }

    public int Level { get; init; }

    [ZigZag]
    public long Drift { get; init; }

    public bool Moving { get; init; }

    public Color Color { get; init; }

    public double Heading { get; init; }

    public long Score { get; init; }

    [Fixed]
    public int Offset { get; init; }

    public Point? Grid { get; init; }
}
