using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PeerKit.Generators.Model;

namespace PeerKit.Generators.Messages;

/// <summary>
/// Generates an <c>IMessage&lt;T&gt;</c> implementation (proto3 serializer) for every <c>[Message]</c> type.
/// This file holds only the incremental pipeline; the Parser and the Emitter do the work.
/// </summary>
[Generator(LanguageNames.CSharp)]
internal sealed partial class MessageGenerator : IIncrementalGenerator
{
    /// <summary>The tracking name of the step that produces message models, for incrementality tests.</summary>
    public const string MessagesStep = "PeerKit.Messages";

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<MessageParseResult> messages = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "PeerKit.MessageAttribute",
                static (node, _) => node is TypeDeclarationSyntax,
                static (context, cancellationToken) => Parser.Parse(context, cancellationToken))
            .WithTrackingName(MessagesStep);

        context.RegisterSourceOutput(messages, static (context, result) =>
        {
            foreach (DiagnosticInfo diagnostic in result.Diagnostics)
            {
                context.ReportDiagnostic(diagnostic.ToDiagnostic());
            }

            if (result.Message is { } message)
            {
                context.AddSource(message.HintName, Emitter.Emit(message));
            }
        });
    }
}
