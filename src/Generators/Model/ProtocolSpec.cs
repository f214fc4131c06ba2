namespace PeerKit.Generators.Model;

/// <summary>How the dispatch switch calls one [Handler] method.</summary>
/// <param name="MethodName">The method's name, as an identifier.</param>
/// <param name="IsStatic">Called on the type rather than on <c>this</c>.</param>
/// <param name="IsAsync">Returns <c>ValueTask</c> (else <c>void</c>).</param>
/// <param name="PassesIn">Takes the message as an <c>in</c> parameter.</param>
/// <param name="TakesCancellationToken">Takes a third, <c>CancellationToken</c>, parameter.</param>
internal sealed record HandlerSpec(string MethodName, bool IsStatic, bool IsAsync, bool PassesIn, bool TakesCancellationToken);

/// <summary>One entry of a protocol's message table, with its handler (taking a Peer) and its radio handler (taking a RadioSender) when it has them.</summary>
internal sealed record ProtocolMessageSpec(int Code, string TypeName, HandlerSpec? Handler, HandlerSpec? RadioHandler = null);

/// <summary>Everything the emitter needs to write one protocol's descriptor and dispatch switch.</summary>
internal sealed record ProtocolSpec(
    string HintName,
    string? Namespace,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    string Keyword,
    string Name,
    string FullyQualifiedName,
    string ProtocolName,
    int Version,
    int Length,
    int Port,
    bool Acknowledged,
    EquatableArray<ProtocolMessageSpec> Messages,
    bool HasHandlers,
    bool HasRadioHandlers,
    bool EmitLengthConstant,
    bool EmitSchemaConstant,
    string Schema);

/// <summary>A protocol's name and version, and where it is declared, for the compilation-wide duplicate check (PK0020).</summary>
internal sealed record ProtocolIdentity(string ProtocolName, int Version, string TypeName, LocationInfo? Location);

/// <summary>The result of parsing one [Protocol] class: a spec when it can be generated, its identity, and its diagnostics.</summary>
internal sealed record ProtocolParseResult(ProtocolSpec? Protocol, ProtocolIdentity? Identity, EquatableArray<DiagnosticInfo> Diagnostics);
