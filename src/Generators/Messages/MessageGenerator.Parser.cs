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

        private Parser(KnownTypeSymbols known, CancellationToken cancellationToken)
        {
            _known = known;
            _cancellationToken = cancellationToken;
        }

        public static MessageParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var parser = new Parser(new KnownTypeSymbols(context.SemanticModel.Compilation), cancellationToken);
            MessageSpec? spec = parser.ParseMessage((INamedTypeSymbol)context.TargetSymbol, (TypeDeclarationSyntax)context.TargetNode, context.Attributes[0]);
            return new MessageParseResult(spec, new EquatableArray<DiagnosticInfo>(parser._diagnostics));
        }

        /// <summary>
        /// The serialized members of a message type in field-number order, each with its C# type, as the
        /// serializer sees them; null when the type has a problem (which its own [Message] parse reports).
        /// Reports nothing: the protocol generator uses it to write schemas.
        /// </summary>
        internal static List<(MemberSpec Spec, ITypeSymbol Type)>? DescribeMembers(INamedTypeSymbol type, KnownTypeSymbols known, CancellationToken cancellationToken)
        {
            var parser = new Parser(known, cancellationToken);
            List<MemberCandidate>? candidates = parser.SerializedMembers(type, report: false, out _, out _);
            if (candidates is null)
            {
                return null;
            }

            var result = new List<(MemberSpec Spec, ITypeSymbol Type)>();
            for (int i = 0; i < candidates.Count; i++)
            {
                if (parser.Classify(candidates[i], candidates[i].ExplicitNumber ?? i + 1, report: false) is not { } spec)
                {
                    return null;
                }

                result.Add((spec, candidates[i].Type));
            }

            return result.OrderBy(m => m.Spec.FieldNumber).ToList();
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

            List<MemberCandidate>? candidates = SerializedMembers(type, report: true, out List<string> constructorArguments, out List<string> initialized);
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

                MemberSpec? spec = Classify(candidate, number, report: true);
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
                Members: new EquatableArray<MemberSpec>(members.Select(m => m.Spec).OrderBy(m => m.FieldNumber)),
                ConstructorArguments: new EquatableArray<string>(constructorArguments),
                InitializedMembers: new EquatableArray<string>(initialized));
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

        private static IMethodSymbol? FindPrimaryConstructor(INamedTypeSymbol type) =>
            type.IsRecord
                ? type.InstanceConstructors.FirstOrDefault(c => c.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is TypeDeclarationSyntax))
                : null;

        /// <summary>
        /// The members to serialize, in numbering order: a record's primary-constructor parameters first,
        /// then public or internal (or [Field]) instance fields and properties in declaration order.
        /// </summary>
        private List<MemberCandidate> CollectMembers(INamedTypeSymbol type, IMethodSymbol? primaryConstructor)
        {
            var result = new List<MemberCandidate>();
            var parameterNames = new HashSet<string>();
            if (primaryConstructor is not null)
            {
                foreach (IParameterSymbol parameter in primaryConstructor.Parameters)
                {
                    ISymbol? member = type.GetMembers(parameter.Name).FirstOrDefault(m => m is IPropertySymbol or IFieldSymbol);
                    parameterNames.Add(parameter.Name);
                    result.Add(CreateCandidate(member ?? parameter, parameter.Type, parameter, parameter.Locations.FirstOrDefault()));
                }
            }

            foreach (ISymbol member in type.GetMembers())
            {
                _cancellationToken.ThrowIfCancellationRequested();
                if (member.IsStatic || member.IsImplicitlyDeclared || parameterNames.Contains(member.Name))
                {
                    continue;
                }

                ITypeSymbol? memberType = member switch
                {
                    IPropertySymbol { IsIndexer: false, GetMethod: not null } property => property.Type,
                    IFieldSymbol { IsConst: false, AssociatedSymbol: null } field => field.Type,
                    _ => null,
                };
                if (memberType is null)
                {
                    continue;
                }

                bool visible = member.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal;
                if (!visible && !HasAttribute(member, _known.FieldAttribute))
                {
                    continue;
                }

                result.Add(CreateCandidate(member, memberType, null, member.Locations.FirstOrDefault()));
            }

            return result;
        }

        private MemberCandidate CreateCandidate(ISymbol member, ITypeSymbol type, IParameterSymbol? parameter, Location? location)
        {
            IEnumerable<AttributeData> attributes = member.GetAttributes();
            if (parameter is not null && !SymbolEqualityComparer.Default.Equals(member, parameter))
            {
                attributes = attributes.Concat(parameter.GetAttributes());
            }

            int? explicitNumber = null;
            bool zigZag = false;
            bool isFixed = false;
            int? maxLength = null;
            foreach (AttributeData attribute in attributes)
            {
                if (KnownTypeSymbols.Is(attribute.AttributeClass, _known.MaxLengthAttribute))
                {
                    maxLength = attribute.ConstructorArguments.FirstOrDefault().Value as int? ?? 0;
                }

                if (KnownTypeSymbols.Is(attribute.AttributeClass, _known.FieldAttribute))
                {
                    explicitNumber = attribute.ConstructorArguments.FirstOrDefault().Value as int?;
                }
                else if (KnownTypeSymbols.Is(attribute.AttributeClass, _known.ZigZagAttribute))
                {
                    zigZag = true;
                }
                else if (KnownTypeSymbols.Is(attribute.AttributeClass, _known.FixedAttribute))
                {
                    isFixed = true;
                }
            }

            return new MemberCandidate(member, type, parameter, location, explicitNumber, zigZag, isFixed, maxLength);
        }

        private bool HasAttribute(ISymbol symbol, INamedTypeSymbol? attributeType) =>
            symbol.GetAttributes().Any(a => KnownTypeSymbols.Is(a.AttributeClass, attributeType));

        private bool IsMessageType(ITypeSymbol type)
        {
            if (type is not INamedTypeSymbol named)
            {
                return false;
            }

            if (HasAttribute(named, _known.MessageAttribute))
            {
                return true;
            }

            return named.AllInterfaces.Any(i =>
                KnownTypeSymbols.Is(i, _known.IMessage) && SymbolEqualityComparer.Default.Equals(i.TypeArguments[0], named));
        }

        /// <summary>Decides how a member is encoded, or reports why it cannot be (when <paramref name="report"/>).</summary>
        private MemberSpec? Classify(MemberCandidate candidate, int number, bool report)
        {
            ITypeSymbol type = candidate.Type;
            string typeName = type.ToDisplayString(TypeFormat);
            if (type.IsReferenceType && type.NullableAnnotation == NullableAnnotation.Annotated)
            {
                typeName += "?";
            }

            CollectionKind collection = CollectionKind.None;
            ITypeSymbol element = type;
            if (type is IArrayTypeSymbol array && array.ElementType.SpecialType != SpecialType.System_Byte)
            {
                if (array.Rank != 1)
                {
                    return Unsupported(candidate, report, "multi-dimensional arrays are not supported; use a one-dimensional array");
                }

                collection = CollectionKind.Array;
                element = array.ElementType;
            }
            else if (type is INamedTypeSymbol { IsGenericType: true } generic
                     && (KnownTypeSymbols.Is(generic, _known.List) || KnownTypeSymbols.Is(generic, _known.IReadOnlyList)))
            {
                collection = KnownTypeSymbols.Is(generic, _known.List) ? CollectionKind.List : CollectionKind.ReadOnlyList;
                element = generic.TypeArguments[0];
            }

            bool hasPresence = false;
            ITypeSymbol scalar = element;
            if (element is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
            {
                if (collection != CollectionKind.None)
                {
                    return Unsupported(candidate, report, "repeated elements cannot be null; use a non-nullable element type");
                }

                hasPresence = true;
                scalar = nullable.TypeArguments[0];
            }
            else if (collection == CollectionKind.None && element.IsReferenceType && element.NullableAnnotation == NullableAnnotation.Annotated)
            {
                hasPresence = true;
            }

            if (collection != CollectionKind.None && (scalar is IArrayTypeSymbol { ElementType.SpecialType: not SpecialType.System_Byte }
                || (scalar is INamedTypeSymbol { IsGenericType: true } inner && (KnownTypeSymbols.Is(inner, _known.List) || KnownTypeSymbols.Is(inner, _known.IReadOnlyList)))))
            {
                return Unsupported(candidate, report, "a repeated field cannot hold collections; wrap the inner collection in a [Message] type");
            }

            ProtoType? proto = ScalarProtoType(candidate, scalar, report, out bool bytesAsMemory, out bool handled);
            if (proto is null)
            {
                return handled ? null : Unsupported(candidate, report, UnsupportedReason(scalar));
            }

            if (proto == ProtoType.Bytes && bytesAsMemory && hasPresence)
            {
                return Unsupported(candidate, report, "nullable ReadOnlyMemory<byte> is not supported; use ReadOnlyMemory<byte> (empty when absent) or byte[]?");
            }

            if (candidate.MaxLength is int maxLength)
            {
                if (collection == CollectionKind.None && proto is not (ProtoType.String or ProtoType.Bytes))
                {
                    if (report)
                    {
                        Report(DiagnosticDescriptors.MaxLengthNotApplicable, candidate.Location, candidate.Name, candidate.Type.ToDisplayString());
                    }

                    return null;
                }

                if (maxLength < 1)
                {
                    if (report)
                    {
                        Report(DiagnosticDescriptors.InvalidMaxLength, candidate.Location, candidate.Name, maxLength.ToString());
                    }

                    return null;
                }
            }

            return new MemberSpec(
                Name: Identifier(candidate.Name),
                FieldNumber: number,
                ProtoType: proto.Value,
                Collection: collection,
                TypeName: typeName,
                ElementTypeName: scalar.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(TypeFormat),
                HasPresence: hasPresence,
                IsValueType: type.IsValueType,
                BytesAsMemory: bytesAsMemory,
                ElementIsValueType: scalar.IsValueType,
                ElementIsNullableReference: collection != CollectionKind.None && scalar.IsReferenceType && scalar.NullableAnnotation == NullableAnnotation.Annotated,
                MaxLength: candidate.MaxLength ?? 0);
        }

        private ProtoType? ScalarProtoType(MemberCandidate candidate, ITypeSymbol scalar, bool report, out bool bytesAsMemory, out bool handled)
        {
            bytesAsMemory = false;
            handled = false;
            string? attributeName = candidate.ZigZag ? "ZigZag" : candidate.Fixed ? "Fixed" : null;
            if (candidate.ZigZag && candidate.Fixed)
            {
                handled = true;
                return AttributeProblem(candidate, report, "ZigZag", "[ZigZag] and [Fixed] choose different encodings; keep one");
            }

            ProtoType? result = scalar.SpecialType switch
            {
                SpecialType.System_Boolean => ProtoType.Bool,
                SpecialType.System_Int32 => candidate.ZigZag ? ProtoType.SInt32 : candidate.Fixed ? ProtoType.SFixed32 : ProtoType.Int32,
                SpecialType.System_Int64 => candidate.ZigZag ? ProtoType.SInt64 : candidate.Fixed ? ProtoType.SFixed64 : ProtoType.Int64,
                SpecialType.System_UInt32 => candidate.Fixed ? ProtoType.Fixed32 : ProtoType.UInt32,
                SpecialType.System_UInt64 => candidate.Fixed ? ProtoType.Fixed64 : ProtoType.UInt64,
                SpecialType.System_Single => ProtoType.Float,
                SpecialType.System_Double => ProtoType.Double,
                SpecialType.System_String => ProtoType.String,
                _ => null,
            };

            if (result is null && scalar.TypeKind == TypeKind.Enum && scalar is INamedTypeSymbol enumType)
            {
                // A proto3 enum field carries any int32 (unknown values included, which must be kept): only an
                // int-backed enum holds every one, so a narrower or wider type is refused rather than truncated.
                INamedTypeSymbol? underlying = enumType.EnumUnderlyingType;
                if (underlying?.SpecialType == SpecialType.System_Int32)
                {
                    result = ProtoType.Enum;
                }
                else
                {
                    handled = true;
                    if (report)
                    {
                        Report(DiagnosticDescriptors.EnumNotInt32, candidate.Location, candidate.Name, enumType.Name, underlying?.ToDisplayString() ?? "?");
                    }

                    return null;
                }
            }
            else if (result is null && scalar is IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_Byte })
            {
                result = ProtoType.Bytes;
            }
            else if (result is null && scalar is INamedTypeSymbol { IsGenericType: true } memory
                     && KnownTypeSymbols.Is(memory, _known.ReadOnlyMemory)
                     && memory.TypeArguments[0].SpecialType == SpecialType.System_Byte)
            {
                result = ProtoType.Bytes;
                bytesAsMemory = true;
            }
            else if (result is null && IsMessageType(scalar))
            {
                result = ProtoType.Message;
            }

            if (result is null || attributeName is null)
            {
                return result;
            }

            bool applies = candidate.ZigZag
                ? scalar.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64
                : scalar.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_UInt32 or SpecialType.System_UInt64;
            if (applies)
            {
                return result;
            }

            handled = true;
            string reason = candidate.ZigZag
                ? "zigzag applies to int and long only (unsigned values are never negative)"
                : "fixed width applies to int, long, uint and ulong only";
            return AttributeProblem(candidate, report, attributeName, reason);
        }

        private ProtoType? AttributeProblem(MemberCandidate candidate, bool report, string attribute, string reason)
        {
            if (report)
            {
                Report(DiagnosticDescriptors.EncodingAttributeNotApplicable, candidate.Location, attribute, candidate.Name, candidate.Type.ToDisplayString(), reason);
            }

            return null;
        }

        private static string UnsupportedReason(ITypeSymbol type) => type.SpecialType switch
        {
            SpecialType.System_Byte or SpecialType.System_UInt16 or SpecialType.System_Char => "protobuf has no 8- or 16-bit integers; use uint",
            SpecialType.System_SByte or SpecialType.System_Int16 => "protobuf has no 8- or 16-bit integers; use int",
            SpecialType.System_Decimal => "protobuf has no decimal; use double, or a [Message] with integer parts",
            _ when type.Name.Contains("Dictionary") => "maps are not supported; use a repeated [Message] of key and value",
            _ => "use bool, int, long, uint, ulong, float, double, an enum, string, byte[], ReadOnlyMemory<byte>, a [Message] type, an array, List<T> or IReadOnlyList<T> of those, or a nullable value type",
        };

        private MemberSpec? Unsupported(MemberCandidate candidate, bool report, string reason)
        {
            if (report)
            {
                Report(DiagnosticDescriptors.UnsupportedMemberType, candidate.Location, candidate.Name, candidate.Type.ToDisplayString(), reason);
            }

            return null;
        }

        /// <summary>
        /// The members to serialize, in numbering order, and how the reader builds the message: a constructor
        /// for some members, setters for the rest. Get-only properties (and readonly fields) without [Field]
        /// are serialized only when the chosen constructor sets them, so computed properties are left out.
        /// Returns null (and reports PK0005 when <paramref name="report"/>) when no constructor works.
        /// </summary>
        private List<MemberCandidate>? SerializedMembers(INamedTypeSymbol type, bool report, out List<string> constructorArguments, out List<string> initialized)
        {
            IMethodSymbol? primaryConstructor = FindPrimaryConstructor(type);
            List<MemberCandidate> members = CollectMembers(type, primaryConstructor);
            IEnumerable<IMethodSymbol> constructors = primaryConstructor is not null
                ? new[] { primaryConstructor }
                : type.InstanceConstructors
                    .Where(c => !(c.Parameters.Length == 1 && SymbolEqualityComparer.Default.Equals(c.Parameters[0].Type, type)))
                    .OrderByDescending(c => c.Parameters.Length);

            MemberCandidate? firstUnsettable = null;
            foreach (IMethodSymbol constructor in constructors)
            {
                var bound = new List<MemberCandidate>();
                foreach (IParameterSymbol parameter in constructor.Parameters)
                {
                    MemberCandidate? match = members.FirstOrDefault(m =>
                        string.Equals(m.Name, parameter.Name, System.StringComparison.OrdinalIgnoreCase)
                        && SymbolEqualityComparer.Default.Equals(m.Type, parameter.Type));
                    if (match is null)
                    {
                        bound = null;
                        break;
                    }

                    bound.Add(match);
                }

                if (bound is null)
                {
                    continue;
                }

                List<MemberCandidate> included = members.Where(m => bound.Contains(m) || !m.Optional).ToList();
                MemberCandidate? unsettable = included.FirstOrDefault(m => !bound.Contains(m) && !IsSettable(m.Symbol));
                if (unsettable is null)
                {
                    constructorArguments = bound.Select(m => Identifier(m.Name)).ToList();
                    initialized = included.Where(m => !bound.Contains(m)).Select(m => Identifier(m.Name)).ToList();
                    return included;
                }

                firstUnsettable ??= unsettable;
            }

            if (report)
            {
                Location? location = firstUnsettable?.Location ?? type.Locations.FirstOrDefault();
                Report(DiagnosticDescriptors.MemberCannotBeSet, location, firstUnsettable?.Name ?? "(its members)", type.Name);
            }

            constructorArguments = new List<string>();
            initialized = new List<string>();
            return null;
        }

        private static bool IsSettable(ISymbol member) => member switch
        {
            IPropertySymbol property => property.SetMethod is not null,
            IFieldSymbol field => !field.IsReadOnly,
            _ => false,
        };

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
            List<MemberCandidate>? members = SerializedMembers(type, report: false, out _, out _);
            var classified = new List<(MemberCandidate, MemberSpec)>();
            for (int i = 0; members is not null && i < members.Count; i++)
            {
                if (Classify(members[i], members[i].ExplicitNumber ?? i + 1, report: false) is not { } spec)
                {
                    return null;
                }

                classified.Add((members[i], spec));
            }

            return members is null ? null : Bound(classified, visiting, reportUnboundedFor: null);
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

            foreach (MemberCandidate member in SerializedMembers(from, report: false, out _, out _) ?? new List<MemberCandidate>())
            {
                bool required = member.Type is INamedTypeSymbol named
                    && !(member.Type.IsReferenceType && member.Type.NullableAnnotation == NullableAnnotation.Annotated)
                    && named.OriginalDefinition.SpecialType != SpecialType.System_Nullable_T
                    && IsMessageType(named);
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


        private static string Identifier(string name) =>
            SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None
                ? "@" + name
                : name;

        /// <summary>A member found on the type, before it is classified.</summary>
        private sealed record MemberCandidate(
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
            public bool Optional => Parameter is null && ExplicitNumber is null && !IsSettable(Symbol);

            public string Name => Symbol.Name;
        }
    }
}
