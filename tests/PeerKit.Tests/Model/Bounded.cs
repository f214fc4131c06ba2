namespace PeerKit.Tests.Model;

/// <summary>A radio-sized message: every member bounded with [MaxLength], so it has a MaxSize (1 + 5, 1 + 1 + 20, 1 + 1 + 8, 1 + 1 + 3 * 5 = 55).</summary>
[Message(Code = 40, Reliability = Reliability.Unreliable)]
public sealed partial record RadioNote(uint Id, [MaxLength(20)] string Name, [MaxLength(8)] byte[] Key, [MaxLength(3)] uint[] Levels);

/// <summary>Bounded bytes as memory, and a bounded list of unbounded strings and of messages.</summary>
[Message(Code = 41)]
public sealed partial record BoundedBlob([MaxLength(16)] ReadOnlyMemory<byte> Data, [MaxLength(2)] List<string> Tags, [MaxLength(2)] IReadOnlyList<Inner> Inners);
