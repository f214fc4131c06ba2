namespace PeerKit.Generators.Model;

/// <summary>The protocol buffers type a member is encoded as.</summary>
internal enum ProtoType
{
    Bool,
    Int32,
    Int64,
    UInt32,
    UInt64,
    SInt32,
    SInt64,
    Fixed32,
    Fixed64,
    SFixed32,
    SFixed64,
    Float,
    Double,
    Enum,
    String,
    Bytes,
    Message,
}

/// <summary>The C# shape of a repeated member.</summary>
internal enum CollectionKind
{
    None,
    Array,
    List,
    ReadOnlyList,
}

/// <summary>
/// One serialized member.
/// <see cref="TypeName"/> is the member's C# type as written in generated code (fully qualified, with
/// <c>?</c> when nullable); <see cref="ElementTypeName"/> is the scalar or element type without <c>?</c>.
/// <see cref="MaxLength"/> is the member's [MaxLength] (UTF-8 bytes, bytes or elements), 0 when it has none.
/// </summary>
internal sealed record MemberSpec(
    string Name,
    int FieldNumber,
    ProtoType ProtoType,
    CollectionKind Collection,
    string TypeName,
    string ElementTypeName,
    bool HasPresence,
    bool IsValueType,
    bool BytesAsMemory,
    bool ElementIsValueType,
    bool ElementIsNullableReference,
    int MaxLength = 0);
