using MemoryPack;

namespace PeerKit.Benchmarks.Others.MemoryPack;

// The benchmark shapes for MemoryPack, in the C# shape a MemoryPack user would pick: unmanaged structs
// (copied as they are) for the fixed-size ones, [MemoryPackable] classes for the rest. MemoryPack has its own
// format, so only the round trip is checked, not the bytes.
#pragma warning disable CS1591 // Mirrors of the documented schemas.

public record struct AvatarTransform(uint Id, float X, float Y, float Z, float Qx, float Qy, float Qz, float Qw);

public record struct Vec3(float X, float Y, float Z);

public record struct Pose(uint Id, Vec3 Position, float Qx, float Qy, float Qz, float Qw, ulong Tick);

public record struct Entity(uint Id, float X, float Y, float Z);

[MemoryPackable]
public sealed partial class Snapshot
{
    public ulong Tick { get; set; }
    public Entity[] Entities { get; set; } = [];
}

[MemoryPackable]
public sealed partial class Entry
{
    public string Key { get; set; } = string.Empty;
    public long Value { get; set; }
}

[MemoryPackable]
public sealed partial class Scores
{
    public Entry[] Entries { get; set; } = [];
}

[MemoryPackable]
public sealed partial class ChatMessage
{
    public ulong From { get; set; }
    public ulong To { get; set; }
    public string Room { get; set; } = string.Empty;
    public string Text { get; set; } = string.Empty;
}

[MemoryPackable]
public sealed partial class BlockHeader
{
    public uint Version { get; set; }
    public ulong Height { get; set; }
    public ulong Timestamp { get; set; }
    public byte[] ParentHash { get; set; } = [];
}

[MemoryPackable]
public sealed partial class Block
{
    public BlockHeader? Header { get; set; }
    public byte[] Payload { get; set; } = [];
    public int[] Values { get; set; } = [];
}

[MemoryPackable]
public sealed partial class Document
{
    public ulong Id { get; set; }
    public string Title { get; set; } = string.Empty;
    public string Author { get; set; } = string.Empty;
    public string Body { get; set; } = string.Empty;
    public string[] Tags { get; set; } = [];
    public string Summary { get; set; } = string.Empty;
}
