namespace PeerKit.Benchmarks.Messages;

// The PeerKit side of the schema in contracts/bench/*.proto: same field numbers, same wire types,
// so both libraries write the same bytes (checked by Fixtures.Verify before anything is measured).

/// <summary>
/// contracts/bench/avatar_transform.proto as a record struct: the natural zero-allocation choice for a
/// small, fixed-size message sent many times a second.
/// </summary>
[Message(Code = 1, Reliability = Reliability.Unreliable, MaxSize = 64)]
public readonly partial record struct AvatarTransform(uint Id, float X, float Y, float Z, float Qx, float Qy, float Qz, float Qw);

/// <summary>The same message as a (class) record, to show what decoding into a heap object costs.</summary>
[Message(Code = 2, Reliability = Reliability.Unreliable, MaxSize = 64)]
public partial record AvatarTransformRecord(uint Id, float X, float Y, float Z, float Qx, float Qy, float Qz, float Qw);

/// <summary>contracts/bench/chat_message.proto.</summary>
[Message(Code = 3)]
public partial record ChatMessage(ulong From, ulong To, string Room, string Text);

/// <summary>contracts/bench/block.proto, BlockHeader.</summary>
[Message]
public partial record BlockHeader(uint Version, ulong Height, [Fixed] ulong Timestamp, byte[] ParentHash);

/// <summary>contracts/bench/block.proto, Block, with <c>bytes</c> as arrays (decoding copies them, as Google.Protobuf does).</summary>
[Message(Code = 4)]
public partial record Block(BlockHeader Header, byte[] Payload, int[] Values);

/// <summary>contracts/bench/block.proto, BlockHeader, with <c>bytes</c> as slices of the input.</summary>
[Message]
public partial record BlockHeaderSlices(uint Version, ulong Height, [Fixed] ulong Timestamp, ReadOnlyMemory<byte> ParentHash);

/// <summary>
/// contracts/bench/block.proto, Block, with <c>bytes</c> as <see cref="ReadOnlyMemory{T}"/>: decoded from a
/// <see cref="ReadOnlyMemory{T}"/>, they are slices of the input, not copies.
/// </summary>
[Message(Code = 4)]
public partial record BlockSlices(BlockHeaderSlices Header, ReadOnlyMemory<byte> Payload, int[] Values);

/// <summary>The message of the session throughput benchmarks: an opaque payload (field 1, <c>bytes</c>).</summary>
[Message(Code = 0)]
public sealed partial record Blob(ReadOnlyMemory<byte> Data);

/// <summary>contracts/bench/shapes.proto, Vec3.</summary>
[Message]
public readonly partial record struct Vec3(float X, float Y, float Z);

/// <summary>contracts/bench/shapes.proto, Pose: a nested message (a record struct, as a game would send it).</summary>
[Message(Code = 5, Reliability = Reliability.Unreliable)]
public readonly partial record struct Pose(uint Id, Vec3 Position, float Qx, float Qy, float Qz, float Qw, ulong Tick);

/// <summary>contracts/bench/shapes.proto, Entity.</summary>
[Message]
public readonly partial record struct Entity(uint Id, float X, float Y, float Z);

/// <summary>contracts/bench/shapes.proto, Snapshot: a repeated field of messages.</summary>
[Message(Code = 6)]
public sealed partial record Snapshot(ulong Tick, Entity[] Entities);

/// <summary>contracts/bench/shapes.proto, Entry.</summary>
[Message]
public sealed partial record Entry(string Key, long Value);

/// <summary>contracts/bench/shapes.proto, Scores: a map-like list of entries.</summary>
[Message(Code = 7)]
public sealed partial record Scores(Entry[] Entries);

/// <summary>contracts/bench/shapes.proto, Document: a large, string-heavy message.</summary>
[Message(Code = 8)]
public sealed partial record Document(ulong Id, string Title, string Author, string Body, string[] Tags, string Summary);
