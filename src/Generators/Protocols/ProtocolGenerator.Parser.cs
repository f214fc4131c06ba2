using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PeerKit.Generators.Helpers;
using PeerKit.Generators.Model;
using static PeerKit.Generators.Helpers.TypeDeclarations;

namespace PeerKit.Generators.Protocols;

internal sealed partial class ProtocolGenerator
{
    /// <summary>Turns a [Protocol] class's symbols into a <see cref="ProtocolSpec"/>, its identity and its diagnostics.</summary>
    internal sealed class Parser
    {
        /// <summary>The largest Length a protocol may reserve (<c>ProtocolDescriptor.MaxLength</c>).</summary>
        public const int MaxLength = 1 << 16;

        /// <summary>The payload bytes of a radio broadcast message: 60 P2P data bytes minus the code (<c>RadioProtocol.MaxBroadcastPayloadSize</c>).</summary>
        public const int BroadcastPayload = 59;

        /// <summary>The payload bytes of an addressed radio message: 60 minus the 4-byte unicast header and the code (<c>RadioProtocol.MaxAddressedPayloadSize</c>).</summary>
        public const int AddressedPayload = 55;

        private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat;

        private readonly KnownTypeSymbols _known;
        private readonly CancellationToken _cancellationToken;
        private readonly List<DiagnosticInfo> _diagnostics = new();

        private Parser(KnownTypeSymbols known, CancellationToken cancellationToken)
        {
            _known = known;
            _cancellationToken = cancellationToken;
        }

        public static ProtocolParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var parser = new Parser(KnownTypeSymbols.For(context.SemanticModel.Compilation), cancellationToken);
            ProtocolSpec? spec = parser.ParseProtocol(
                (INamedTypeSymbol)context.TargetSymbol,
                (TypeDeclarationSyntax)context.TargetNode,
                context.Attributes[0],
                out ProtocolIdentity? identity);
            return new ProtocolParseResult(spec, identity, new EquatableArray<DiagnosticInfo>(parser._diagnostics));
        }

        private void Report(DiagnosticDescriptor descriptor, Location? location, params string[] arguments) =>
            _diagnostics.Add(DiagnosticInfo.Create(descriptor, location, arguments));

        private ProtocolSpec? ParseProtocol(INamedTypeSymbol type, TypeDeclarationSyntax syntax, AttributeData attribute, out ProtocolIdentity? identity)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            identity = null;
            Location location = syntax.Identifier.GetLocation();
            if (!CheckShape(type, syntax, location))
            {
                return null;
            }

            string fullyQualifiedName = type.ToDisplayString(TypeFormat);
            string? name = attribute.ConstructorArguments.Length == 1 ? attribute.ConstructorArguments[0].Value as string : null;
            int version = NamedInt(attribute, "Version", 1);
            int declaredLength = NamedInt(attribute, "Length", 0);
            int port = NamedInt(attribute, "Port", -1);
            bool acknowledged = NamedBool(attribute, "Acknowledged");

            bool valid = true;
            if (name is null || !IsValidName(name))
            {
                Report(
                    DiagnosticDescriptors.InvalidProtocolValue,
                    ArgumentLocation(attribute, null) ?? location,
                    type.Name,
                    "Name",
                    name is null ? "null" : Quote(name),
                    "use 1 to 32 ASCII letters, digits, '-', '_' or '.'");
                valid = false;
            }

            if (version < 1)
            {
                Report(DiagnosticDescriptors.InvalidProtocolValue, ArgumentLocation(attribute, "Version") ?? location, type.Name, "Version", Text(version), "use 1 or more");
                valid = false;
            }

            if (declaredLength < 0 || declaredLength > MaxLength)
            {
                Report(
                    DiagnosticDescriptors.InvalidProtocolValue,
                    ArgumentLocation(attribute, "Length") ?? location,
                    type.Name,
                    "Length",
                    Text(declaredLength),
                    $"use 1 to {Text(MaxLength)} codes, or leave Length out to compute it");
                valid = false;
            }

            if (port < -1 || port > 15)
            {
                Report(DiagnosticDescriptors.InvalidProtocolValue, ArgumentLocation(attribute, "Port") ?? location, type.Name, "Port", Text(port), "use 0 to 15, or -1 for none");
                valid = false;
            }

            if (acknowledged && port == -1)
            {
                Report(DiagnosticDescriptors.InvalidProtocolValue, ArgumentLocation(attribute, "Acknowledged") ?? location, type.Name, "Acknowledged", "true", "the acknowledged layer is the radio's; set Port too, or remove Acknowledged");
                valid = false;
            }

            if (valid)
            {
                identity = new ProtocolIdentity(name!, version, type.ToDisplayString(), LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(_cancellationToken).GetLocation() ?? location));
            }

            List<Member>? members = CollectMessages(type, out bool membersValid);
            valid &= membersValid;
            int required = 0;
            Member? highest = null;
            var byCode = new Dictionary<int, Member>();
            foreach (Member member in members)
            {
                if (member.Code < 0)
                {
                    continue;
                }

                if (byCode.TryGetValue(member.Code, out Member? first))
                {
                    Report(DiagnosticDescriptors.DuplicateMessageCode, member.Location, first.Type.Name, member.Type.Name, Text(member.Code), type.Name);
                    valid = false;
                    continue;
                }

                byCode.Add(member.Code, member);
                if (member.Code + 1 > required)
                {
                    required = member.Code + 1;
                    highest = member;
                }
            }

            if (declaredLength > 0 && declaredLength < required)
            {
                Report(
                    DiagnosticDescriptors.LengthTooSmall,
                    ArgumentLocation(attribute, "Length") ?? location,
                    type.Name,
                    Text(declaredLength),
                    highest!.Type.Name,
                    Text(highest.Code),
                    Text(required));
                valid = false;
            }

            int length = declaredLength > 0 ? declaredLength : required;
            if (declaredLength == 0 && required > MaxLength)
            {
                Report(
                    DiagnosticDescriptors.InvalidProtocolValue,
                    highest!.Location ?? location,
                    type.Name,
                    "Length",
                    Text(required),
                    $"message '{highest.Type.Name}' has code {Text(highest.Code)}, but a protocol has at most {Text(MaxLength)} codes");
                valid = false;
            }

            if (port >= 0 && valid)
            {
                CheckRadio(type, byCode.Values.OrderBy(m => m.Code), port, acknowledged, ref valid);
            }

            Dictionary<int, HandlerSpec> handlers = CollectHandlers(type, byCode, port, ref valid, out Dictionary<int, HandlerSpec> radioHandlers);

            string schema = string.Empty;
            if (valid)
            {
                schema = new SchemaWriter(_known, _cancellationToken, (descriptor, enumType, message) =>
                        Report(descriptor, location, enumType.Name, message.Name, type.Name))
                    .Write(type, name!, version, length, byCode.Values.OrderBy(m => m.Code).Select(m => (m.Type, m.Code, m.Reliability)));
            }

            if (_diagnostics.Any(d => DiagnosticDescriptors.ById(d.Id).DefaultSeverity == DiagnosticSeverity.Error))
            {
                return null;
            }

            return new ProtocolSpec(
                HintName: fullyQualifiedName.Replace("global::", string.Empty) + ".Protocol.g.cs",
                Namespace: Namespace(type),
                ContainingTypes: ContainingTypes(type),
                Keyword: Keyword(type),
                Name: type.Name,
                FullyQualifiedName: fullyQualifiedName,
                ProtocolName: name!,
                Version: version,
                Length: length,
                Port: port,
                Acknowledged: acknowledged,
                Messages: new EquatableArray<ProtocolMessageSpec>(byCode.Values
                    .OrderBy(m => m.Code)
                    .Select(m => new ProtocolMessageSpec(
                        m.Code,
                        m.Type.ToDisplayString(TypeFormat),
                        handlers.TryGetValue(m.Code, out HandlerSpec? h) ? h : null,
                        radioHandlers.TryGetValue(m.Code, out HandlerSpec? r) ? r : null))),
                HasHandlers: handlers.Count > 0,
                HasRadioHandlers: radioHandlers.Count > 0,
                EmitLengthConstant: !HasMember(type, "Length"),
                EmitSchemaConstant: !HasMember(type, "Schema"),
                Schema: schema);
        }

        /// <summary>
        /// The radio's limits for a protocol with a port: every message must fit one radio message (PK0027: 59 payload
        /// bytes for a broadcast, 55 on an acknowledged protocol, whose messages may be sent to one node), and a reliable
        /// one needs the acknowledged layer (PK0028).
        /// </summary>
        private void CheckRadio(INamedTypeSymbol protocol, IEnumerable<Member> members, int port, bool acknowledged, ref bool valid)
        {
            int limit = acknowledged ? AddressedPayload : BroadcastPayload;
            foreach (Member member in members)
            {
                _cancellationToken.ThrowIfCancellationRequested();
                if (!acknowledged && member.Reliability is 0 or 1)
                {
                    bool stated = MessageAttributeOf(member.Type)?.NamedArguments.Any(a => a.Key == "Reliability") == true;
                    string reliability = member.Reliability == 0 ? "ReliableOrdered" : "ReliableUnordered";
                    Report(
                        DiagnosticDescriptors.ReliableMessageOnBroadcastRadio,
                        member.Location,
                        member.Type.Name,
                        protocol.Name,
                        Text(port),
                        stated ? reliability : reliability + " (the default)");
                    valid = false;
                }

                SizeBound bound = Messages.MessageGenerator.Parser.SizeOf(_known, member.Type, _cancellationToken);
                if (!bound.Known || bound.Bytes <= limit)
                {
                    continue;
                }

                string size;
                string fix;
                if (bound.Bytes is null)
                {
                    size = "has no upper size";
                    fix = bound.Unbounded!.Contains("[MaxLength") ? bound.Unbounded : bound.Unbounded + "; bound its strings, bytes and repeated members with [MaxLength(n)]";
                }
                else if (bound.Declared)
                {
                    size = $"declares MaxSize = {Text(bound.Bytes.Value)}";
                    fix = $"lower MaxSize to {Text(limit)} or less, bounding its strings, bytes and repeated members with [MaxLength(n)]";
                }
                else
                {
                    size = $"can take {Text(bound.Bytes.Value)} bytes";
                    fix = bound.Member is null
                        ? "split the message"
                        : $"its largest member is '{bound.Member}' ({Text(bound.MemberBytes)} bytes); bound strings, bytes and repeated members with [MaxLength(n)], or split the message";
                }

                Report(
                    DiagnosticDescriptors.RadioMessageTooLarge,
                    member.Location,
                    member.Type.Name,
                    protocol.Name,
                    Text(port),
                    size,
                    acknowledged ? "an addressed" : "a broadcast",
                    Text(limit),
                    acknowledged ? "60 data bytes minus the 4-byte unicast header and the code" : "60 data bytes minus the code",
                    fix);
                valid = false;
            }
        }

        private bool CheckShape(INamedTypeSymbol type, TypeDeclarationSyntax syntax, Location location)
        {
            string? problem = null;
            if (type.TypeKind != TypeKind.Class)
            {
                problem = "a protocol is a class; declare it as 'partial class'";
            }
            else if (!syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                problem = "it must be declared partial so the generator can implement IProtocol: write 'partial' before 'class'";
            }
            else if (type.IsStatic)
            {
                problem = "a static class has no instances to add to a node; remove 'static'";
            }
            else if (type.TypeParameters.Length > 0)
            {
                problem = "generic protocols are not supported; declare one protocol class per type argument";
            }
            else if (type.IsFileLocal)
            {
                problem = "a file-local class cannot be extended from the generated file; make it internal";
            }

            for (INamedTypeSymbol? outer = type.ContainingType; outer is not null && problem is null; outer = outer.ContainingType)
            {
                bool partial = outer.DeclaringSyntaxReferences.Any(r =>
                    r.GetSyntax(_cancellationToken) is TypeDeclarationSyntax d && d.Modifiers.Any(SyntaxKind.PartialKeyword));
                if (!partial)
                {
                    problem = $"it is nested in '{outer.Name}', which is not partial: write 'partial' before its type keyword";
                }
                else if (outer.TypeParameters.Length > 0)
                {
                    problem = $"it is nested in generic type '{outer.Name}'; move it out";
                }
            }

            if (problem is null)
            {
                return true;
            }

            Report(DiagnosticDescriptors.UnsupportedProtocolShape, location, type.Name, problem);
            return false;
        }

        /// <summary>The protocol's messages: [Message] types nested directly in it, then the [ProtocolMessage] ones, each once.</summary>
        private List<Member> CollectMessages(INamedTypeSymbol type, out bool valid)
        {
            valid = true;
            var result = new List<Member>();
            var seen = new HashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default);
            foreach (INamedTypeSymbol nested in type.GetTypeMembers())
            {
                AttributeData? message = MessageAttributeOf(nested);
                if (message is not null && seen.Add(nested))
                {
                    valid &= Add(nested, message, nested.Locations.FirstOrDefault());
                }
            }

            foreach (AttributeData attribute in type.GetAttributes())
            {
                if (!KnownTypeSymbols.Is(attribute.AttributeClass, _known.ProtocolMessageAttribute)
                    || attribute.ConstructorArguments.Length != 1
                    || attribute.ConstructorArguments[0].Value is not INamedTypeSymbol included
                    || included.TypeKind == TypeKind.Error)
                {
                    continue;
                }

                Location? location = attribute.ApplicationSyntaxReference?.GetSyntax(_cancellationToken).GetLocation();
                AttributeData? message = MessageAttributeOf(included);
                if (message is null)
                {
                    Report(DiagnosticDescriptors.ProtocolMessageNotAMessage, location, included.ToDisplayString(), type.Name);
                    valid = false;
                }
                else if (seen.Add(included))
                {
                    valid &= Add(included, message, location);
                }
            }

            return result;

            bool Add(INamedTypeSymbol messageType, AttributeData message, Location? location)
            {
                int code = NamedInt(message, "Code", -1);
                if (code < 0)
                {
                    Report(DiagnosticDescriptors.MessageWithoutCode, location, messageType.Name, type.Name);
                }

                result.Add(new Member(messageType, code, NamedInt(message, "Reliability", 0), location));
                return code >= 0;
            }
        }

        /// <summary>
        /// The [Handler] methods, by the code of the message each takes: those taking a Peer first, and (on a protocol
        /// with a port) those taking a RadioSender first in <paramref name="radio"/>; reports PK0015, PK0016 and PK0021.
        /// </summary>
        private Dictionary<int, HandlerSpec> CollectHandlers(INamedTypeSymbol type, Dictionary<int, Member> byCode, int port, ref bool valid, out Dictionary<int, HandlerSpec> radio)
        {
            var peerHandlers = new Dictionary<int, (HandlerSpec Spec, IMethodSymbol Method)>();
            var radioHandlers = new Dictionary<int, (HandlerSpec Spec, IMethodSymbol Method)>();
            foreach (ISymbol symbol in type.GetMembers())
            {
                _cancellationToken.ThrowIfCancellationRequested();
                if (symbol is not IMethodSymbol method || !method.GetAttributes().Any(a => KnownTypeSymbols.Is(a.AttributeClass, _known.HandlerAttribute)))
                {
                    continue;
                }

                Location? location = method.Locations.FirstOrDefault();
                bool takesRadioSender = method.Parameters.Length > 0 && KnownTypeSymbols.Is(method.Parameters[0].Type, _known.RadioSender);
                string? problem = takesRadioSender ? RadioSignatureProblem(method, type, port) : SignatureProblem(method, port);
                if (problem is not null)
                {
                    string fix = takesRadioSender
                        ? $"declare it as 'void' {method.Name}(RadioSender sender, T message), where T is a message of the protocol (by value or 'in')"
                        : $"declare it as 'void' or 'ValueTask' {method.Name}(Peer peer, T message) or {method.Name}(Peer peer, T message, CancellationToken cancellationToken), where T is a message of the protocol (by value or 'in')";
                    Report(DiagnosticDescriptors.UnsupportedHandlerSignature, location, method.Name, problem, fix);
                    valid = false;
                    continue;
                }

                IParameterSymbol messageParameter = method.Parameters[1];
                Member? member = byCode.Values.FirstOrDefault(m => SymbolEqualityComparer.Default.Equals(m.Type, messageParameter.Type));
                if (member is null)
                {
                    Report(
                        DiagnosticDescriptors.HandlerMessageNotInProtocol,
                        messageParameter.Locations.FirstOrDefault() ?? location,
                        method.Name,
                        messageParameter.Type.Name,
                        type.Name);
                    valid = false;
                    continue;
                }

                Dictionary<int, (HandlerSpec Spec, IMethodSymbol Method)> handlers = takesRadioSender ? radioHandlers : peerHandlers;
                if (handlers.TryGetValue(member.Code, out (HandlerSpec Spec, IMethodSymbol Method) first))
                {
                    Report(DiagnosticDescriptors.DuplicateHandler, location, first.Method.Name, method.Name, member.Type.Name);
                    valid = false;
                    continue;
                }

                handlers.Add(member.Code, (new HandlerSpec(
                    Identifier(method.Name),
                    method.IsStatic,
                    IsAsync: KnownTypeSymbols.Is(method.ReturnType, _known.ValueTask),
                    PassesIn: messageParameter.RefKind == RefKind.In,
                    TakesCancellationToken: method.Parameters.Length == 3), method));
            }

            radio = radioHandlers.ToDictionary(h => h.Key, h => h.Value.Spec);
            return peerHandlers.ToDictionary(h => h.Key, h => h.Value.Spec);
        }

        /// <summary>Why a radio handler's signature (RadioSender, message) is not supported, or null when it is.</summary>
        private string? RadioSignatureProblem(IMethodSymbol method, INamedTypeSymbol protocol, int port)
        {
            if (port < 0)
            {
                return $"takes 'RadioSender' first, but protocol '{protocol.Name}' has no radio port: set Port on [Protocol], or take 'Peer'";
            }

            if (method.MethodKind != MethodKind.Ordinary || method.IsGenericMethod || !method.ReturnsVoid)
            {
                return "takes 'RadioSender' first, so it runs on the radio's receive thread: make it an ordinary, non-generic method returning void";
            }

            if (method.Parameters.Length != 2)
            {
                return $"takes 'RadioSender' first and has {method.Parameters.Length} parameter{(method.Parameters.Length == 1 ? string.Empty : "s")}: a radio handler takes the sender and the message";
            }

            IParameterSymbol sender = method.Parameters[0];
            if (sender.RefKind != RefKind.None)
            {
                return $"takes '{RefPrefix(sender)}RadioSender' first; take it by value";
            }

            IParameterSymbol message = method.Parameters[1];
            if (message.RefKind is not (RefKind.None or RefKind.In))
            {
                return $"takes the message as '{RefPrefix(message).Trim()}'";
            }

            return message.Type is INamedTypeSymbol messageType && MessageAttributeOf(messageType) is not null
                ? null
                : $"takes '{message.Type.ToDisplayString()}' second, which is not a [Message] type";
        }

        /// <summary>Why a handler's signature is not supported, or null when it is.</summary>
        private string? SignatureProblem(IMethodSymbol method, int port)
        {
            if (method.MethodKind != MethodKind.Ordinary)
            {
                return "is not an ordinary method";
            }

            if (method.IsGenericMethod)
            {
                return "is generic";
            }

            if (!method.ReturnsVoid && !KnownTypeSymbols.Is(method.ReturnType, _known.ValueTask))
            {
                return $"returns '{method.ReturnType.ToDisplayString()}'";
            }

            if (method.ReturnsByRef || method.ReturnsByRefReadonly)
            {
                return "returns by reference";
            }

            if (method.Parameters.Length is < 2 or > 3)
            {
                return $"has {method.Parameters.Length} parameter{(method.Parameters.Length == 1 ? string.Empty : "s")}";
            }

            IParameterSymbol peer = method.Parameters[0];
            if (!KnownTypeSymbols.Is(peer.Type, _known.Peer) || peer.RefKind != RefKind.None)
            {
                return $"takes '{RefPrefix(peer)}{peer.Type.ToDisplayString()}' first, not 'Peer'{(port >= 0 ? " or 'RadioSender'" : string.Empty)}";
            }

            IParameterSymbol message = method.Parameters[1];
            if (message.RefKind is not (RefKind.None or RefKind.In))
            {
                return $"takes the message as '{RefPrefix(message).Trim()}'";
            }

            if (message.Type is not INamedTypeSymbol messageType || MessageAttributeOf(messageType) is null)
            {
                return $"takes '{message.Type.ToDisplayString()}' second, which is not a [Message] type";
            }

            if (method.Parameters.Length == 3)
            {
                IParameterSymbol token = method.Parameters[2];
                if (!KnownTypeSymbols.Is(token.Type, _known.CancellationToken) || token.RefKind != RefKind.None)
                {
                    return $"takes '{RefPrefix(token)}{token.Type.ToDisplayString()}' third, not 'CancellationToken'";
                }
            }

            return null;
        }

        private static string RefPrefix(IParameterSymbol parameter) => parameter.RefKind switch
        {
            RefKind.Ref => "ref ",
            RefKind.Out => "out ",
            RefKind.In => "in ",
            RefKind.RefReadOnlyParameter => "ref readonly ",
            _ => string.Empty,
        };

        private AttributeData? MessageAttributeOf(INamedTypeSymbol type) =>
            type.GetAttributes().FirstOrDefault(a => KnownTypeSymbols.Is(a.AttributeClass, _known.MessageAttribute));

        private static bool NamedBool(AttributeData attribute, string name) =>
            attribute.NamedArguments.Any(a => a.Key == name && a.Value.Value is true);

        private static int NamedInt(AttributeData attribute, string name, int defaultValue)
        {
            foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
            {
                if (argument.Key == name && argument.Value.Value is int value)
                {
                    return value;
                }
            }

            return defaultValue;
        }

        /// <summary>The syntax of a named argument (or of the first constructor argument when <paramref name="name"/> is null).</summary>
        private Location? ArgumentLocation(AttributeData attribute, string? name)
        {
            if (attribute.ApplicationSyntaxReference?.GetSyntax(_cancellationToken) is not AttributeSyntax syntax)
            {
                return null;
            }

            foreach (AttributeArgumentSyntax argument in syntax.ArgumentList?.Arguments ?? default)
            {
                bool match = name is null
                    ? argument.NameEquals is null
                    : argument.NameEquals?.Name.Identifier.ValueText == name;
                if (match)
                {
                    return argument.GetLocation();
                }
            }

            return syntax.GetLocation();
        }

        /// <summary>Whether the class or one of its base classes declares a member called <paramref name="name"/>.</summary>
        private static bool HasMember(INamedTypeSymbol type, string name)
        {
            for (INamedTypeSymbol? t = type; t is not null; t = t.BaseType)
            {
                if (!t.GetMembers(name).IsEmpty)
                {
                    return true;
                }
            }

            return false;
        }

        internal static bool IsValidName(string name)
        {
            if (name.Length is 0 or > 32)
            {
                return false;
            }

            foreach (char c in name)
            {
                bool ok = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or '_' or '.';
                if (!ok)
                {
                    return false;
                }
            }

            return true;
        }

        private static string Quote(string value) => "\"" + value + "\"";

        private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);


        private static string Identifier(string name) =>
            SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

        /// <summary>A message of the protocol, before it becomes part of the model.</summary>
        private sealed record Member(INamedTypeSymbol Type, int Code, int Reliability, Location? Location);
    }
}
