using System;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace PeerKit.Generators.Helpers;

/// <summary>
/// The well-known types the parsers compare against, resolved once per compilation (<see cref="For"/>): every
/// [Message] and [Protocol] of one compilation shares them.
/// </summary>
internal sealed class KnownTypeSymbols
{
    private static readonly ConditionalWeakTable<Compilation, KnownTypeSymbols> ByCompilation = new();

    [ThreadStatic]
    private static int _resolvedOnThisThread;

    private KnownTypeSymbols(Compilation compilation)
    {
        _resolvedOnThisThread++;
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
        HandlerAttribute = compilation.GetTypeByMetadataName("PeerKit.HandlerAttribute");
        ProtocolMessageAttribute = compilation.GetTypeByMetadataName("PeerKit.ProtocolMessageAttribute");
        Peer = compilation.GetTypeByMetadataName("PeerKit.Peer");
        RadioSender = compilation.GetTypeByMetadataName("PeerKit.RadioSender");
        ValueTask = compilation.GetTypeByMetadataName("System.Threading.Tasks.ValueTask");
        CancellationToken = compilation.GetTypeByMetadataName("System.Threading.CancellationToken");
    }

    /// <summary>How many times the types were resolved on this thread: what tests count to prove it is once per compilation.</summary>
    internal static int ResolvedOnThisThread => _resolvedOnThisThread;

    /// <summary>The well-known types of <paramref name="compilation"/>, resolved on first use and then shared.</summary>
    public static KnownTypeSymbols For(Compilation compilation) =>
        ByCompilation.GetValue(compilation, static c => new KnownTypeSymbols(c));

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

    public INamedTypeSymbol? HandlerAttribute { get; }

    public INamedTypeSymbol? ProtocolMessageAttribute { get; }

    public INamedTypeSymbol? RadioSender { get; }

    public INamedTypeSymbol? Peer { get; }

    public INamedTypeSymbol? ValueTask { get; }

    public INamedTypeSymbol? CancellationToken { get; }

    public static bool Is(ISymbol? symbol, INamedTypeSymbol? known) =>
        known is not null && SymbolEqualityComparer.Default.Equals(symbol?.OriginalDefinition, known);
}
