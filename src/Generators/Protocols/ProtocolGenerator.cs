using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PeerKit.Generators.Model;

namespace PeerKit.Generators.Protocols;

/// <summary>
/// Implements <c>IProtocol</c> (a descriptor with the message table and the proto3 schema) and, when the class
/// has [Handler] methods, <c>IProtocolHandlers</c> (a dispatch switch) for every <c>[Protocol]</c> class.
/// This file holds only the incremental pipeline; the Parser and the Emitter do the work.
/// </summary>
[Generator(LanguageNames.CSharp)]
internal sealed partial class ProtocolGenerator : IIncrementalGenerator
{
    /// <summary>The tracking name of the step that produces protocol models, for incrementality tests.</summary>
    public const string ProtocolsStep = "PeerKit.Protocols";

    /// <summary>The tracking name of the step that gathers every protocol's name and version (PK0020).</summary>
    public const string IdentitiesStep = "PeerKit.ProtocolIdentities";

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ProtocolParseResult> protocols = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "PeerKit.ProtocolAttribute",
                static (node, _) => node is TypeDeclarationSyntax,
                static (context, cancellationToken) => Parser.Parse(context, cancellationToken))
            .WithTrackingName(ProtocolsStep);

        context.RegisterSourceOutput(protocols, static (context, result) =>
        {
            foreach (DiagnosticInfo diagnostic in result.Diagnostics)
            {
                context.ReportDiagnostic(diagnostic.ToDiagnostic());
            }

            if (result.Protocol is { } protocol)
            {
                context.AddSource(protocol.HintName, Emitter.Emit(protocol));
            }
        });

        IncrementalValueProvider<EquatableArray<ProtocolIdentity>> identities = protocols
            .Where(static result => result.Identity is not null)
            .Select(static (result, _) => result.Identity!)
            .Collect()
            .Select(static (all, _) => new EquatableArray<ProtocolIdentity>(all.ToArray()))
            .WithTrackingName(IdentitiesStep);

        context.RegisterSourceOutput(identities, static (context, all) =>
        {
            var first = new Dictionary<(string, int), ProtocolIdentity>();
            foreach (ProtocolIdentity identity in all)
            {
                if (first.TryGetValue((identity.ProtocolName, identity.Version), out ProtocolIdentity? earlier))
                {
                    context.ReportDiagnostic(Diagnostic.Create(
                        DiagnosticDescriptors.DuplicateProtocol,
                        identity.Location?.ToLocation() ?? Location.None,
                        identity.ProtocolName,
                        identity.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        earlier.TypeName));
                }
                else
                {
                    first.Add((identity.ProtocolName, identity.Version), identity);
                }
            }
        });
    }
}
