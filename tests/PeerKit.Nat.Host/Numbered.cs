namespace PeerKit.Nat.Host;

/// <summary>One numbered message of a stream the tests count: reliable and ordered, padded to a size.</summary>
[Message(Code = 1)]
public partial record Numbered(ulong Sequence, byte[] Padding);
