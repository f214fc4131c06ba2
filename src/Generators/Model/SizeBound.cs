namespace PeerKit.Generators.Model;

/// <summary>What is known about the most bytes a message type encodes to.</summary>
/// <param name="Known">False when the type has errors of its own, so its size cannot be computed.</param>
/// <param name="Bytes">The bound, or null when the message is unbounded.</param>
/// <param name="Unbounded">Why it is unbounded (naming the member when there is one), or null.</param>
/// <param name="Declared">The bound is the message's declared <c>MaxSize</c>.</param>
/// <param name="Member">The unbounded member, or the largest one of a bounded message (null when not known).</param>
/// <param name="MemberBytes">The largest member's bound, tag included.</param>
internal sealed record SizeBound(bool Known, int? Bytes, string? Unbounded, bool Declared, string? Member, int MemberBytes);
