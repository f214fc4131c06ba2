using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PeerKit.Generators.Helpers;
using PeerKit.Generators.Model;
using static PeerKit.Generators.Helpers.TypeDeclarations;

namespace PeerKit.Generators.Messages;

internal sealed partial class MessageGenerator
{
    /// <summary>Turns a [Message] type's symbols into a <see cref="MessageSpec"/> and its diagnostics.</summary>
    internal sealed class Parser
    {
        /// <summary>The UDP payload PeerKit puts in one datagram by default; larger unreliable messages would be fragmented.</summary>
        public const int DatagramPayload = 1200;

        private const int MaxFieldNumber = 536_870_911;

        private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat;

        private readonly KnownTypeSymbols _known;
        private readonly CancellationToken _cancellationToken;
        private readonly List<DiagnosticInfo> _diagnostics = new();
        private readonly Dictionary<ITypeSymbol, int?> _bounds = new(SymbolEqualityComparer.Default);
        private readonly Dictionary<ITypeSymbol, int?> _fixedBounds = new(SymbolEqualityComparer.Default);
        private readonly MessageMembers _members;

        private Parser(KnownTypeSymbols known, CancellationToken cancellationToken)
        {
            _known = known;
            _cancellationToken = cancellationToken;
            _members = new MessageMembers(known, cancellationToken, _diagnostics);
        }

        public static MessageParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var parser = new Parser(KnownTypeSymbols.For(context.SemanticModel.Compilation), cancellationToken);
            MessageSpec? spec = parser.ParseMessage((INamedTypeSymbol)context.TargetSymbol, (TypeDeclarationSyntax)context.TargetNode, context.Attributes[0]);
            return new MessageParseResult(spec, new EquatableArray<DiagnosticInfo>(parser._diagnostics));
        }

        private void Report(DiagnosticDescriptor descriptor, Location? location, params string[] arguments) =>
            _diagnostics.Add(DiagnosticInfo.Create(descriptor, location, arguments));

        private MessageSpec? ParseMessage(INamedTypeSymbol type, TypeDeclarationSyntax syntax, AttributeData attribute)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            Location location = syntax.Identifier.GetLocation();

            if (!CheckPartial(type, syntax, location) || !CheckShape(type, location))
            {
                return null;
            }

            int code = -1;
            int reliability = 0;
            int maxSize = 0;
            foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
            {
                switch (argument.Key)
                {
                    case "Code" when argument.Value.Value is int value:
                        code = value;
                        break;
                    case "Reliability" when argument.Value.Value is int value:
                        reliability = value;
                        break;
                    case "MaxSize" when argument.Value.Value is int value:
                        maxSize = value;
                        break;
                }
            }

            Location attributeLocation = attribute.ApplicationSyntaxReference?.GetSyntax(_cancellationToken).GetLocation() ?? location;
            bool valid = true;
            if (maxSize < 0)
            {
                Report(DiagnosticDescriptors.InvalidMaxSize, attributeLocation, type.Name, maxSize.ToString());
                valid = false;
            }

            List<MemberCandidate>? candidates = _members.SerializedMembers(type, report: true, out List<string> constructorArguments, out List<string> initialized);
            if (candidates is null)
            {
                return null;
            }

            var members = new List<(MemberCandidate Candidate, MemberSpec Spec)>();
            var byNumber = new Dictionary<int, MemberCandidate>();
            for (int i = 0; i < candidates.Count; i++)
            {
                MemberCandidate candidate = candidates[i];
                int number = candidate.ExplicitNumber ?? i + 1;
                if (number < 1 || number > MaxFieldNumber || (number >= 19000 && number <= 19999))
                {
                    Report(DiagnosticDescriptors.FieldNumberOutOfRange, candidate.Location, candidate.Name, number.ToString());
                    valid = false;
                }
                else if (byNumber.TryGetValue(number, out MemberCandidate? first))
                {
                    Report(DiagnosticDescriptors.DuplicateFieldNumber, candidate.Location, candidate.Name, number.ToString(), first.Name, type.Name);
                    valid = false;
                }
                else
                {
                    byNumber.Add(number, candidate);
                }

                MemberSpec? spec = _members.Classify(candidate, number, report: true);
                if (spec is null)
                {
                    valid = false;
                    continue;
                }

                members.Add((candidate, spec));
            }

            if (!valid)
            {
                return null;
            }

            foreach ((MemberCandidate candidate, MemberSpec spec) in members)
            {
                CheckCycle(type, candidate, spec);
            }

            int? bound = Bound(members, new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default) { type }, reportUnboundedFor: maxSize > 0 ? type : null);
            if (maxSize > 0 && bound is null)
            {
                return null;
            }

            if (maxSize > 0 && bound > maxSize)
            {
                Report(DiagnosticDescriptors.MessageExceedsMaxSize, attributeLocation, type.Name, bound.Value.ToString(), maxSize.ToString());
                return null;
            }

            int effectiveMaxSize = maxSize > 0 ? maxSize : bound ?? -1;
            if ((reliability == 2 || reliability == 3) && effectiveMaxSize > DatagramPayload)
            {
                Report(
                    DiagnosticDescriptors.UnreliableMessageTooLarge,
                    attributeLocation,
                    type.Name,
                    reliability == 2 ? "Unreliable" : "UnreliableSequenced",
                    effectiveMaxSize.ToString(),
                    DatagramPayload.ToString());
            }

            if (_diagnostics.Any(d => DiagnosticDescriptors.ById(d.Id).DefaultSeverity == DiagnosticSeverity.Error))
            {
                return null;
            }

            int fixedSize = FixedBound(members, new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default) { type }) ?? 0;
            string fullyQualifiedName = type.ToDisplayString(TypeFormat);
            return new MessageSpec(
                HintName: fullyQualifiedName.Replace("global::", string.Empty) + ".g.cs",
                Namespace: Namespace(type),
                ContainingTypes: ContainingTypes(type),
                Keyword: Keyword(type),
                Name: type.Name,
                FullyQualifiedName: fullyQualifiedName,
                Code: code,
                Reliability: reliability,
                MaxSize: effectiveMaxSize,
                FixedSize: fixedSize,
                Members: new EquatableArray<MemberSpec>(members.Select(m => m.Spec).OrderBy(m => m.FieldNumber)),
                ConstructorArguments: new EquatableArray<string>(constructorArguments),
                InitializedMembers: new EquatableArray<string>(initialized));
        }

        /// <summary>
        /// The most bytes a [Message] type encodes to, for checks made elsewhere (the radio's frame limit): its declared
        /// MaxSize when it has one, the bound of its members otherwise, or the first unbounded member and why.
        /// <see cref="SizeBound.Known"/> is false when the type has errors of its own (reported by the message
        /// generator), so nothing can be said about its size.
        /// </summary>
        public static SizeBound SizeOf(KnownTypeSymbols known, INamedTypeSymbol type, CancellationToken cancellationToken)
        {
            var parser = new Parser(known, cancellationToken);
            if (type.DeclaringSyntaxReferences.IsEmpty)
            {
                int? generated = parser.MessageBound(type, new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default));
                return new SizeBound(true, generated, generated is null ? "it was compiled without an upper size" : null, false, null, 0);
            }

            int declared = parser.MaxSizeOf(type);
            if (declared > 0)
            {
                return new SizeBound(true, declared, null, true, null, 0);
            }

            List<MemberCandidate>? candidates = parser._members.SerializedMembers(type, report: false, out _, out _);
            if (candidates is null)
            {
                return new SizeBound(false, null, null, false, null, 0);
            }

            var visiting = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default) { type };
            long total = 0;
            string? largest = null;
            int largestBytes = 0;
            for (int i = 0; i < candidates.Count; i++)
            {
                MemberCandidate candidate = candidates[i];
                if (parser._members.Classify(candidate, candidate.ExplicitNumber ?? i + 1, report: false) is not { } spec)
                {
                    return new SizeBound(false, null, null, false, null, 0);
                }

                int? payload = parser.PayloadBound(spec, candidate, visiting, out string why);
                if (payload is null)
                {
                    return new SizeBound(true, null, $"'{candidate.Name}' is unbounded: {why}", false, candidate.Name, 0);
                }

                int bytes = WireSizeOfVarint((uint)spec.FieldNumber << 3) + payload.Value;
                total += bytes;
                if (bytes > largestBytes)
                {
                    largest = candidate.Name;
                    largestBytes = bytes;
                }
            }

            return total > int.MaxValue
                ? new SizeBound(true, null, "its largest encoding is over 2 GiB", false, null, 0)
                : new SizeBound(true, (int)total, null, false, largest, largestBytes);
        }

        private bool CheckPartial(INamedTypeSymbol type, TypeDeclarationSyntax syntax, Location location)
        {
            if (!syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                Report(DiagnosticDescriptors.TypeNotPartial, location, type.Name, string.Empty);
                return false;
            }

            for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            {
                bool partial = outer.DeclaringSyntaxReferences.Any(r =>
                    r.GetSyntax(_cancellationToken) is TypeDeclarationSyntax d && d.Modifiers.Any(SyntaxKind.PartialKeyword));
                if (!partial)
                {
                    Report(DiagnosticDescriptors.TypeNotPartial, location, outer.Name, $" (it contains message '{type.Name}')");
                    return false;
                }
            }

            return true;
        }

        private bool CheckShape(INamedTypeSymbol type, Location location)
        {
            string? problem = null;
            for (INamedTypeSymbol? t = type; t is not null && problem is null; t = t.ContainingType)
            {
                if (t.TypeParameters.Length > 0)
                {
                    problem = SymbolEqualityComparer.Default.Equals(t, type)
                        ? "generic messages are not supported; declare one message per type argument"
                        : $"it is nested in generic type '{t.Name}'; move it out";
                }
            }

            for (INamedTypeSymbol? t = type; t is not null && problem is null; t = t.ContainingType)
            {
                if (t.IsFileLocal)
                {
                    problem = SymbolEqualityComparer.Default.Equals(t, type)
                        ? "a file-local type cannot be extended from the generated file; make it internal"
                        : $"it is nested in file-local type '{t.Name}', which the generated file cannot extend; make that type internal";
                }
            }

            if (problem is null && type.IsRefLikeType)
            {
                problem = "a ref struct cannot be a type argument of IMessage<T>; use a struct";
            }
            else if (problem is null && type.IsAbstract)
            {
                problem = "an abstract type cannot be constructed when a message is read; make it concrete";
            }
            else if (problem is null && type.IsStatic)
            {
                problem = "a static class has no instances; use a record or a struct";
            }

            if (problem is not null)
            {
                Report(DiagnosticDescriptors.UnsupportedMessageShape, location, type.Name, problem);
                return false;
            }

            return true;
        }

        /// <summary>
        /// The most bytes the members can encode to, or null when one is unbounded. When
        /// <paramref name="reportUnboundedFor"/> is given, every unbounded member is reported as PK0007 against it.
        /// </summary>
        private int? Bound(
            IEnumerable<(MemberCandidate Candidate, MemberSpec Spec)> members,
            HashSet<ITypeSymbol> visiting,
            INamedTypeSymbol? reportUnboundedFor)
        {
            int total = 0;
            bool bounded = true;
            foreach ((MemberCandidate member, MemberSpec spec) in members)
            {
                int? payload = PayloadBound(spec, member, visiting, out string why);
                if (payload is null)
                {
                    bounded = false;
                    if (reportUnboundedFor is null)
                    {
                        return null;
                    }

                    Report(DiagnosticDescriptors.UnboundedMemberWithMaxSize, member.Location, member.Name, reportUnboundedFor.Name, why, MaxSizeOf(reportUnboundedFor).ToString());
                    continue;
                }

                long sum = (long)total + WireSizeOfVarint((uint)spec.FieldNumber << 3) + payload.Value;
                if (sum > int.MaxValue)
                {
                    return null;
                }

                total = (int)sum;
            }

            return bounded ? total : null;
        }

        private int MaxSizeOf(INamedTypeSymbol type) =>
            type.GetAttributes().FirstOrDefault(a => KnownTypeSymbols.Is(a.AttributeClass, _known.MessageAttribute))?
                .NamedArguments.FirstOrDefault(a => a.Key == "MaxSize").Value.Value as int? ?? 0;

        private int? PayloadBound(MemberSpec spec, MemberCandidate member, HashSet<ITypeSymbol> visiting, out string why)
        {
            why = string.Empty;
            if (spec.Collection != CollectionKind.None)
            {
                if (spec.MaxLength == 0)
                {
                    why = "a repeated field can hold any number of elements; bound it with [MaxLength(n)]";
                    return null;
                }

                ITypeSymbol elementType = member.Type is IArrayTypeSymbol array ? array.ElementType : ((INamedTypeSymbol)member.Type).TypeArguments[0];
                int? element = ValueBound(spec.ProtoType, 0, elementType, visiting, out why);
                if (element is null)
                {
                    why = $"its elements have no upper size ({why})";
                    return null;
                }

                long count = spec.MaxLength;
                long total = spec.ProtoType is ProtoType.String or ProtoType.Bytes or ProtoType.Message
                    ? (count * (WireSizeOfVarint((uint)spec.FieldNumber << 3) + element.Value)) - WireSizeOfVarint((uint)spec.FieldNumber << 3)
                    : WireSizeOfVarint((ulong)(count * element.Value)) + (count * element.Value);
                return Fits(total, out why);
            }

            return ValueBound(spec.ProtoType, spec.MaxLength, member.Type, visiting, out why);
        }

        private static int? Fits(long total, out string why)
        {
            why = total > int.MaxValue ? "its largest encoding is over 2 GiB" : string.Empty;
            return total > int.MaxValue ? null : (int)total;
        }

        /// <summary>The most bytes one value (a singular member's, or one element's) takes after its tag.</summary>
        private int? ValueBound(ProtoType type, int maxLength, ITypeSymbol symbol, HashSet<ITypeSymbol> visiting, out string why)
        {
            why = string.Empty;
            switch (type)
            {
                case ProtoType.Bool:
                    return 1;
                case ProtoType.Int32 or ProtoType.Int64 or ProtoType.UInt64 or ProtoType.SInt64 or ProtoType.Enum:
                    return 10;
                case ProtoType.UInt32 or ProtoType.SInt32:
                    return 5;
                case ProtoType.Fixed32 or ProtoType.SFixed32 or ProtoType.Float:
                    return 4;
                case ProtoType.Fixed64 or ProtoType.SFixed64 or ProtoType.Double:
                    return 8;
                case ProtoType.String or ProtoType.Bytes when maxLength > 0:
                    return WireSizeOfVarint((uint)maxLength) + maxLength;
                case ProtoType.String:
                    why = "a string can be of any length; bound it with [MaxLength(n)]";
                    return null;
                case ProtoType.Bytes:
                    why = "bytes can be of any length; bound them with [MaxLength(n)]";
                    return null;
                default:
                    ITypeSymbol nested = symbol is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } n ? n.TypeArguments[0] : symbol;
                    int? inner = MessageBound((INamedTypeSymbol)nested, visiting);
                    if (inner is null)
                    {
                        why = $"message '{nested.Name}' has no upper size";
                        return null;
                    }

                    return WireSizeOfVarint((uint)inner.Value) + inner.Value;
            }
        }

        /// <summary>The size bound of another message type: computed for source types, read from the generated attribute for referenced ones.</summary>
        private int? MessageBound(INamedTypeSymbol type, HashSet<ITypeSymbol> visiting)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            if (_bounds.TryGetValue(type, out int? cached))
            {
                return cached;
            }

            int? result;
            if (type.DeclaringSyntaxReferences.IsEmpty)
            {
                AttributeData? generated = type.GetAttributes().FirstOrDefault(a => KnownTypeSymbols.Is(a.AttributeClass, _known.GeneratedMessageAttribute));
                result = generated?.NamedArguments.FirstOrDefault(a => a.Key == "MaxSize").Value.Value is int size && size >= 0 ? size : null;
            }
            else if (!visiting.Add(type))
            {
                return null;
            }
            else
            {
                int declared = MaxSizeOf(type);
                if (declared > 0)
                {
                    result = declared;
                }
                else
                {
                    var inner = new HashSet<ITypeSymbol>(visiting, SymbolEqualityComparer.Default);
                    result = BoundOfSourceType(type, inner);
                }

                visiting.Remove(type);
            }

            _bounds[type] = result;
            return result;
        }

        private int? BoundOfSourceType(INamedTypeSymbol type, HashSet<ITypeSymbol> visiting)
        {
            List<MemberCandidate>? members = _members.SerializedMembers(type, report: false, out _, out _);
            var classified = new List<(MemberCandidate, MemberSpec)>();
            for (int i = 0; members is not null && i < members.Count; i++)
            {
                if (_members.Classify(members[i], members[i].ExplicitNumber ?? i + 1, report: false) is not { } spec)
                {
                    return null;
                }

                classified.Add((members[i], spec));
            }

            return members is null ? null : Bound(classified, visiting, reportUnboundedFor: null);
        }

        /// <summary>
        /// The largest encoding of members of fixed layout (every one singular: a number, a bool, an enum, or a nested
        /// message of fixed layout whose largest encoding is under 128 bytes, so its length prefix is one byte), or
        /// null when a member has no fixed layout.
        /// </summary>
        private int? FixedBound(IEnumerable<(MemberCandidate Candidate, MemberSpec Spec)> members, HashSet<ITypeSymbol> visiting)
        {
            long total = 0;
            foreach ((MemberCandidate member, MemberSpec spec) in members)
            {
                if (spec.Collection != CollectionKind.None || spec.ProtoType is ProtoType.String or ProtoType.Bytes)
                {
                    return null;
                }

                int tag = WireSizeOfVarint((uint)spec.FieldNumber << 3);
                if (spec.ProtoType == ProtoType.Message)
                {
                    ITypeSymbol nested = member.Type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } n ? n.TypeArguments[0] : member.Type;
                    if (nested is not INamedTypeSymbol named || NestedFixedBound(named, visiting) is not int inner || inner >= 0x80)
                    {
                        return null;
                    }

                    total += tag + 1 + inner;
                }
                else
                {
                    total += tag + (ValueBound(spec.ProtoType, 0, member.Type, visiting, out _) ?? 0);
                }

                if (total > int.MaxValue)
                {
                    return null;
                }
            }

            return (int)total;
        }

        /// <summary>A nested message's fixed-layout bound: computed for source types, read from the generated attribute for referenced ones.</summary>
        private int? NestedFixedBound(INamedTypeSymbol type, HashSet<ITypeSymbol> visiting)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            if (_fixedBounds.TryGetValue(type, out int? cached))
            {
                return cached;
            }

            int? result;
            if (type.DeclaringSyntaxReferences.IsEmpty)
            {
                AttributeData? generated = type.GetAttributes().FirstOrDefault(a => KnownTypeSymbols.Is(a.AttributeClass, _known.GeneratedMessageAttribute));
                result = generated?.NamedArguments.FirstOrDefault(a => a.Key == "FixedSize").Value.Value is int size && size > 0 ? size : null;
            }
            else if (!visiting.Add(type))
            {
                return null;
            }
            else
            {
                List<MemberCandidate>? candidates = _members.SerializedMembers(type, report: false, out _, out _);
                var classified = new List<(MemberCandidate, MemberSpec)>();
                bool valid = candidates is not null;
                for (int i = 0; valid && i < candidates!.Count; i++)
                {
                    if (_members.Classify(candidates[i], candidates[i].ExplicitNumber ?? i + 1, report: false) is { } spec)
                    {
                        classified.Add((candidates[i], spec));
                    }
                    else
                    {
                        valid = false;
                    }
                }

                result = valid ? FixedBound(classified, visiting) : null;
                visiting.Remove(type);
            }

            _fixedBounds[type] = result;
            return result;
        }

        /// <summary>Reports PK0010 when a non-nullable, non-repeated message member leads back to its owner.</summary>
        private void CheckCycle(INamedTypeSymbol owner, MemberCandidate member, MemberSpec spec)
        {
            if (spec.ProtoType != ProtoType.Message || spec.Collection != CollectionKind.None || spec.HasPresence)
            {
                return;
            }

            var path = new List<string> { $"{owner.Name}.{member.Name}" };
            var visited = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
            if (Reaches((INamedTypeSymbol)member.Type, owner, path, visited))
            {
                Report(DiagnosticDescriptors.MessageCycle, member.Location, member.Name, owner.Name, string.Join(" → ", path));
            }
        }

        private bool Reaches(INamedTypeSymbol from, INamedTypeSymbol target, List<string> path, HashSet<ITypeSymbol> visited)
        {
            if (SymbolEqualityComparer.Default.Equals(from, target))
            {
                return true;
            }

            if (from.DeclaringSyntaxReferences.IsEmpty || !visited.Add(from))
            {
                return false;
            }

            foreach (MemberCandidate member in _members.SerializedMembers(from, report: false, out _, out _) ?? new List<MemberCandidate>())
            {
                bool required = member.Type is INamedTypeSymbol named
                    && !(member.Type.IsReferenceType && member.Type.NullableAnnotation == NullableAnnotation.Annotated)
                    && named.OriginalDefinition.SpecialType != SpecialType.System_Nullable_T
                    && _members.IsMessageType(named);
                if (!required)
                {
                    continue;
                }

                path.Add($"{from.Name}.{member.Name}");
                if (Reaches((INamedTypeSymbol)member.Type, target, path, visited))
                {
                    return true;
                }

                path.RemoveAt(path.Count - 1);
            }

            return false;
        }

        private static int WireSizeOfVarint(ulong value)
        {
            int size = 1;
            while (value >= 0x80)
            {
                value >>= 7;
                size++;
            }

            return size;
        }
    }
}
