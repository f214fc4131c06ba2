using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PeerKit.Generators.Helpers;
using PeerKit.Generators.Model;

namespace PeerKit.Generators.Messages;

/// <summary>
/// Which members of a message type are serialized, under which numbers, encoded how: the one description
/// both the message parser (to generate serializers) and the protocol schema writer (to write .proto text)
/// use, so schemas and serializers cannot disagree on numbers or types.
/// </summary>
internal sealed class MessageMembers
{
    private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat;

    private readonly KnownTypeSymbols _known;
    private readonly CancellationToken _cancellationToken;
    private readonly List<DiagnosticInfo>? _diagnostics;

    /// <param name="known">The compilation's well-known types.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <param name="diagnostics">Where problems are reported when a method is asked to report them; null to report nothing.</param>
    public MessageMembers(KnownTypeSymbols known, CancellationToken cancellationToken, List<DiagnosticInfo>? diagnostics)
    {
        _known = known;
        _cancellationToken = cancellationToken;
        _diagnostics = diagnostics;
    }

    private void Report(DiagnosticDescriptor descriptor, Location? location, params string[] arguments) =>
        _diagnostics?.Add(DiagnosticInfo.Create(descriptor, location, arguments));

    /// <summary>
    /// The serialized members of a message type in field-number order, each with its C# type, as the
    /// serializer sees them; null when the type has a problem (which its own [Message] parse reports).
    /// Reports nothing: the protocol generator uses it to write schemas.
    /// </summary>
    public List<(MemberSpec Spec, ITypeSymbol Type)>? Describe(INamedTypeSymbol type)
    {
        List<MemberCandidate>? candidates = SerializedMembers(type, report: false, out _, out _);
        if (candidates is null)
        {
            return null;
        }

        var result = new List<(MemberSpec Spec, ITypeSymbol Type)>();
        for (int i = 0; i < candidates.Count; i++)
        {
            if (Classify(candidates[i], candidates[i].ExplicitNumber ?? i + 1, report: false) is not { } spec)
            {
                return null;
            }

            result.Add((spec, candidates[i].Type));
        }

        return result.OrderBy(m => m.Spec.FieldNumber).ToList();
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

    public bool IsMessageType(ITypeSymbol type)
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
    public MemberSpec? Classify(MemberCandidate candidate, int number, bool report)
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
    public List<MemberCandidate>? SerializedMembers(INamedTypeSymbol type, bool report, out List<string> constructorArguments, out List<string> initialized)
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

    public static bool IsSettable(ISymbol member) => member switch
    {
        IPropertySymbol property => property.SetMethod is not null,
        IFieldSymbol field => !field.IsReadOnly,
        _ => false,
    };

    public static string Identifier(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None
            ? "@" + name
            : name;
}
