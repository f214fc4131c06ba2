using ProtoBuf;

namespace PeerKit.Benchmarks.Others.ProtobufNet;

// The benchmark schemas (contracts/bench/*.proto) as protobuf-net code-first types: the same field numbers
// and encodings, so protobuf-net writes the bytes PeerKit and Google.Protobuf write (checked before measuring).
#pragma warning disable CS1591 // Mirrors of the documented schemas.

[ProtoContract]
public sealed class AvatarTransform
{
    [ProtoMember(1)] public uint Id { get; set; }
    [ProtoMember(2)] public float X { get; set; }
    [ProtoMember(3)] public float Y { get; set; }
    [ProtoMember(4)] public float Z { get; set; }
    [ProtoMember(5)] public float Qx { get; set; }
    [ProtoMember(6)] public float Qy { get; set; }
    [ProtoMember(7)] public float Qz { get; set; }
    [ProtoMember(8)] public float Qw { get; set; }
}

[ProtoContract]
public sealed class Vec3
{
    [ProtoMember(1)] public float X { get; set; }
    [ProtoMember(2)] public float Y { get; set; }
    [ProtoMember(3)] public float Z { get; set; }
}

[ProtoContract]
public sealed class Pose
{
    [ProtoMember(1)] public uint Id { get; set; }
    [ProtoMember(2)] public Vec3? Position { get; set; }
    [ProtoMember(3)] public float Qx { get; set; }
    [ProtoMember(4)] public float Qy { get; set; }
    [ProtoMember(5)] public float Qz { get; set; }
    [ProtoMember(6)] public float Qw { get; set; }
    [ProtoMember(7)] public ulong Tick { get; set; }
}

[ProtoContract]
public sealed class Entity
{
    [ProtoMember(1)] public uint Id { get; set; }
    [ProtoMember(2)] public float X { get; set; }
    [ProtoMember(3)] public float Y { get; set; }
    [ProtoMember(4)] public float Z { get; set; }
}

[ProtoContract]
public sealed class Snapshot
{
    [ProtoMember(1)] public ulong Tick { get; set; }
    [ProtoMember(2)] public List<Entity> Entities { get; set; } = [];
}

[ProtoContract]
public sealed class Entry
{
    [ProtoMember(1)] public string Key { get; set; } = string.Empty;
    [ProtoMember(2)] public long Value { get; set; }
}

[ProtoContract]
public sealed class Scores
{
    [ProtoMember(1)] public List<Entry> Entries { get; set; } = [];
}

[ProtoContract]
public sealed class ChatMessage
{
    [ProtoMember(1)] public ulong From { get; set; }
    [ProtoMember(2)] public ulong To { get; set; }
    [ProtoMember(3)] public string Room { get; set; } = string.Empty;
    [ProtoMember(4)] public string Text { get; set; } = string.Empty;
}

[ProtoContract]
public sealed class BlockHeader
{
    [ProtoMember(1)] public uint Version { get; set; }
    [ProtoMember(2)] public ulong Height { get; set; }
    [ProtoMember(3, DataFormat = DataFormat.FixedSize)] public ulong Timestamp { get; set; }
    [ProtoMember(4)] public byte[] ParentHash { get; set; } = [];
}

[ProtoContract]
public sealed class Block
{
    [ProtoMember(1)] public BlockHeader? Header { get; set; }
    [ProtoMember(2)] public byte[] Payload { get; set; } = [];
    [ProtoMember(3, IsPacked = true)] public int[] Values { get; set; } = [];
}

[ProtoContract]
public sealed class Document
{
    [ProtoMember(1)] public ulong Id { get; set; }
    [ProtoMember(2)] public string Title { get; set; } = string.Empty;
    [ProtoMember(3)] public string Author { get; set; } = string.Empty;
    [ProtoMember(4)] public string Body { get; set; } = string.Empty;
    [ProtoMember(5)] public List<string> Tags { get; set; } = [];
    [ProtoMember(6)] public string Summary { get; set; } = string.Empty;
}
