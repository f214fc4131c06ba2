namespace PeerKit.Generators.Model;

/// <summary>A type declaration that encloses a message, to be repeated around the generated part.</summary>
internal sealed record ContainingTypeSpec(string Keyword, string Name);

/// <summary>Everything the emitter needs to write one message's serializer.</summary>
/// <remarks>
/// <see cref="FixedSize"/> is the largest encoding computed from the members when the message has a fixed layout
/// (every member singular: a number, a bool, an enum, or a nested message of fixed layout under 128 bytes), written in
/// straight-line code; 0 otherwise.
/// </remarks>
internal sealed record MessageSpec(
    string HintName,
    string? Namespace,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    string Keyword,
    string Name,
    string FullyQualifiedName,
    int Code,
    int Reliability,
    int MaxSize,
    int FixedSize,
    EquatableArray<MemberSpec> Members,
    EquatableArray<string> ConstructorArguments,
    EquatableArray<string> InitializedMembers);

/// <summary>The result of parsing one [Message] declaration: a spec when it can be generated, and its diagnostics.</summary>
internal sealed record MessageParseResult(MessageSpec? Message, EquatableArray<DiagnosticInfo> Diagnostics);
