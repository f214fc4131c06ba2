using Microsoft.CodeAnalysis;

namespace PeerKit.Generators.Helpers;

/// <summary>The well-known types the parser compares against, resolved once per compilation.</summary>
internal sealed class KnownTypeSymbols
{
    public KnownTypeSymbols(Compilation compilation)
    {
        Compilation = compilation;
        MessageAttribute = compilation.GetTypeByMetadataName("PeerKit.MessageAttribute");
        FieldAttribute = compilation.GetTypeByMetadataName("PeerKit.FieldAttribute");
        ZigZagAttribute = compilation.GetTypeByMetadataName("PeerKit.ZigZagAttribute");
        FixedAttribute = compilation.GetTypeByMetadataName("PeerKit.FixedAttribute");
        MaxLengthAttribute = compilation.GetTypeByMetadataName("PeerKit.MaxLengthAttribute");
        GeneratedMessageAttribute = compilation.GetTypeByMetadataName("PeerKit.Serialization.GeneratedMessageAttribute");
        IMessage = compilation.GetTypeByMetadataName("PeerKit.IMessage`1");
        List = compilation.GetTypeByMetadataName("System.Collections.Generic.List`1");
        IReadOnlyList = compilation.GetTypeByMetadataName("System.Collections.Generic.IReadOnlyList`1");
        ReadOnlyMemory = compilation.GetTypeByMetadataName("System.ReadOnlyMemory`1");
    }

    /// <summary>Resolves, besides the message types, the types a [Protocol] class is checked against.</summary>
    public static KnownTypeSymbols ForProtocols(Compilation compilation)
    {
        var known = new KnownTypeSymbols(compilation);
        known.HandlerAttribute = compilation.GetTypeByMetadataName("PeerKit.HandlerAttribute");
        known.ProtocolMessageAttribute = compilation.GetTypeByMetadataName("PeerKit.ProtocolMessageAttribute");
        known.Peer = compilation.GetTypeByMetadataName("PeerKit.Peer");
        known.ValueTask = compilation.GetTypeByMetadataName("System.Threading.Tasks.ValueTask");
        known.CancellationToken = compilation.GetTypeByMetadataName("System.Threading.CancellationToken");
        return known;
    }

    public Compilation Compilation { get; }

    public INamedTypeSymbol? MessageAttribute { get; }

    public INamedTypeSymbol? FieldAttribute { get; }

    public INamedTypeSymbol? ZigZagAttribute { get; }

    public INamedTypeSymbol? FixedAttribute { get; }

    public INamedTypeSymbol? MaxLengthAttribute { get; }

    public INamedTypeSymbol? GeneratedMessageAttribute { get; }

    public INamedTypeSymbol? IMessage { get; }

    public INamedTypeSymbol? List { get; }

    public INamedTypeSymbol? IReadOnlyList { get; }

    public INamedTypeSymbol? ReadOnlyMemory { get; }

    public INamedTypeSymbol? HandlerAttribute { get; private set; }

    public INamedTypeSymbol? ProtocolMessageAttribute { get; private set; }

    public INamedTypeSymbol? Peer { get; private set; }

    public INamedTypeSymbol? ValueTask { get; private set; }

    public INamedTypeSymbol? CancellationToken { get; private set; }

    public static bool Is(ISymbol? symbol, INamedTypeSymbol? known) =>
        known is not null && SymbolEqualityComparer.Default.Equals(symbol?.OriginalDefinition, known);
}
