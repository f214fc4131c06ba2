using Microsoft.CodeAnalysis;

namespace PeerKit.Generators.Messages;

/// <summary>A member found on the type, before it is classified.</summary>
internal sealed record MemberCandidate(
    ISymbol Symbol,
    ITypeSymbol Type,
    IParameterSymbol? Parameter,
    Location? Location,
    int? ExplicitNumber,
    bool ZigZag,
    bool Fixed,
    int? MaxLength)
{
    /// <summary>A get-only property or readonly field without [Field]: serialized only when a constructor sets it.</summary>
    public bool Optional => Parameter is null && ExplicitNumber is null && !MessageMembers.IsSettable(Symbol);

    public string Name => Symbol.Name;
}
