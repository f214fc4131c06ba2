using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace PeerKit.Generators;

/// <summary>Every diagnostic PeerKit's generator reports. IDs are stable; docs/diagnostics.md explains each one.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "PeerKit.Messages";
    private const string ProtocolCategory = "PeerKit.Protocols";
    private const string HelpLink = "https://github.com/peerkit/peerkit/blob/main/docs/diagnostics.md#";

    public static readonly DiagnosticDescriptor TypeNotPartial = Create(
        "PK0001",
        "Message type must be partial",
        "'{0}' must be declared partial so the generator can add its serializer: write 'partial' before its type keyword{1}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor DuplicateFieldNumber = Create(
        "PK0002",
        "Duplicate field number",
        "'{0}' uses field number {1}, which '{2}' already uses in message '{3}': give one of them another number with [Field(n)]",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor FieldNumberOutOfRange = Create(
        "PK0003",
        "Field number out of range",
        "'{0}' has field number {1}, which protobuf does not allow: use 1 to 536870911, outside the reserved 19000 to 19999",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnsupportedMemberType = Create(
        "PK0004",
        "Unsupported member type",
        "'{0}' has type '{1}', which a message cannot hold: {2}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor MemberCannotBeSet = Create(
        "PK0005",
        "No usable constructor or settable member",
        "The reader cannot set '{0}' of message '{1}': it has no setter and no constructor parameter of the same name sets it. Add a setter or init accessor, or a constructor whose parameters match the members by name",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor MessageExceedsMaxSize = Create(
        "PK0006",
        "Message can exceed its MaxSize",
        "Message '{0}' can take up to {1} bytes when encoded, more than its MaxSize of {2}: raise MaxSize, or use smaller or fewer members ([ZigZag] or [Fixed] can shorten integers)",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnboundedMemberWithMaxSize = Create(
        "PK0007",
        "Unbounded member in a message with MaxSize",
        "'{0}' of message '{1}' has no upper size ({2}), so MaxSize = {3} cannot be guaranteed: bound it with [MaxLength(n)], remove MaxSize, or replace the member with fixed-size members",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnreliableMessageTooLarge = Create(
        "PK0008",
        "Unreliable message larger than a datagram",
        "Message '{0}' is {1} but can take up to {2} bytes, more than the {3} bytes that fit in one datagram: lower MaxSize, or send it reliably",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor EncodingAttributeNotApplicable = Create(
        "PK0009",
        "Encoding attribute does not apply to the member type",
        "[{0}] cannot be used on '{1}' of type '{2}': {3}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor MessageCycle = Create(
        "PK0010",
        "Non-nullable message members form a cycle",
        "'{0}' makes message '{1}' contain itself ({2}), so a default value cannot be built when it is absent: make the member nullable",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnsupportedMessageShape = Create(
        "PK0011",
        "Message type shape not supported",
        "'{0}' cannot be a message: {1}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor InvalidMaxSize = Create(
        "PK0012",
        "MaxSize must be positive",
        "Message '{0}' has MaxSize = {1}: use a positive number of bytes, or leave MaxSize out for no limit",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnsupportedProtocolShape = Create(
        "PK0013",
        "Protocol class shape not supported",
        "'{0}' cannot be a protocol: {1}",
        DiagnosticSeverity.Error,
        ProtocolCategory);

    public static readonly DiagnosticDescriptor InvalidProtocolValue = Create(
        "PK0014",
        "Invalid [Protocol] value",
        "Protocol '{0}' has {1} = {2}: {3}",
        DiagnosticSeverity.Error,
        ProtocolCategory);

    public static readonly DiagnosticDescriptor UnsupportedHandlerSignature = Create(
        "PK0015",
        "Handler signature not supported",
        "Handler '{0}' {1}: {2}",
        DiagnosticSeverity.Error,
        ProtocolCategory);

    public static readonly DiagnosticDescriptor DuplicateHandler = Create(
        "PK0016",
        "Two handlers for one message",
        "'{0}' and '{1}' both handle message '{2}': keep one handler per message",
        DiagnosticSeverity.Error,
        ProtocolCategory);

    public static readonly DiagnosticDescriptor DuplicateMessageCode = Create(
        "PK0017",
        "Duplicate message code in a protocol",
        "Messages '{0}' and '{1}' both use code {2} in protocol '{3}': give one of them another [Message(Code = n)]",
        DiagnosticSeverity.Error,
        ProtocolCategory);

    public static readonly DiagnosticDescriptor LengthTooSmall = Create(
        "PK0018",
        "Declared Length smaller than the codes need",
        "Protocol '{0}' declares Length = {1}, but message '{2}' has code {3}, which needs a Length of at least {4}: raise Length, or leave it out to compute it",
        DiagnosticSeverity.Error,
        ProtocolCategory);

    public static readonly DiagnosticDescriptor MessageWithoutCode = Create(
        "PK0019",
        "Protocol message has no code",
        "Message '{0}' has no code, so it cannot be part of protocol '{1}': give it one with [Message(Code = n)]",
        DiagnosticSeverity.Error,
        ProtocolCategory);

    public static readonly DiagnosticDescriptor DuplicateProtocol = Create(
        "PK0020",
        "Duplicate protocol name and version",
        "Protocol '{0}' version {1} is already declared by '{2}': change the name or the version of one of them",
        DiagnosticSeverity.Error,
        ProtocolCategory);

    public static readonly DiagnosticDescriptor HandlerMessageNotInProtocol = Create(
        "PK0021",
        "Handler takes a message that is not part of the protocol",
        "Handler '{0}' takes '{1}', which is not a message of protocol '{2}': declare it inside the protocol class, or add [ProtocolMessage(typeof({1}))] to the class",
        DiagnosticSeverity.Error,
        ProtocolCategory);

    public static readonly DiagnosticDescriptor EnumWithoutZero = Create(
        "PK0022",
        "Enum without a zero value in a protocol message",
        "Enum '{0}' (used by message '{1}' of protocol '{2}') has no member with value 0, which a proto3 enum must start with: add one, such as 'None = 0'",
        DiagnosticSeverity.Warning,
        ProtocolCategory);

    public static readonly DiagnosticDescriptor ProtocolMessageNotAMessage = Create(
        "PK0023",
        "[ProtocolMessage] names a type that is not a message",
        "'{0}', named by [ProtocolMessage] on protocol '{1}', is not a [Message] type: mark it [Message(Code = n)]",
        DiagnosticSeverity.Error,
        ProtocolCategory);

    public static readonly DiagnosticDescriptor EnumNotInt32 = Create(
        "PK0024",
        "Enum member without an int underlying type",
        "'{0}' has enum type '{1}' with underlying type '{2}', which cannot hold every int32 a peer may send in a proto3 enum field (values would change silently): declare the enum ': int'",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor MaxLengthNotApplicable = Create(
        "PK0025",
        "[MaxLength] does not apply to the member type",
        "'{0}' has type '{1}', which [MaxLength] cannot bound: it applies to strings (UTF-8 bytes), bytes (byte[], ReadOnlyMemory<byte>) and repeated members (elements); remove it",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor InvalidMaxLength = Create(
        "PK0026",
        "MaxLength must be positive",
        "'{0}' has [MaxLength({1})]: give the most UTF-8 bytes, bytes or elements it may hold, at least 1",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor RadioMessageTooLarge = Create(
        "PK0027",
        "Radio protocol message can exceed a radio packet",
        "Message '{0}' of protocol '{1}' (radio port {2}) {3}, but {4} radio message holds at most {5} bytes ({6}): {7}",
        DiagnosticSeverity.Error,
        ProtocolCategory);

    public static readonly DiagnosticDescriptor ReliableMessageOnBroadcastRadio = Create(
        "PK0028",
        "Reliable message on a broadcast radio protocol",
        "Message '{0}' of protocol '{1}' (radio port {2}) is {3}, but a radio broadcast is never acknowledged: declare it 'Reliability = Reliability.Unreliable', or set 'Acknowledged = true' on [Protocol] so it is sent to one node at a time through the acknowledged layer",
        DiagnosticSeverity.Error,
        ProtocolCategory);

    private static readonly Dictionary<string, DiagnosticDescriptor> All = new[]
    {
        TypeNotPartial, DuplicateFieldNumber, FieldNumberOutOfRange, UnsupportedMemberType, MemberCannotBeSet,
        MessageExceedsMaxSize, UnboundedMemberWithMaxSize, UnreliableMessageTooLarge, EncodingAttributeNotApplicable,
        MessageCycle, UnsupportedMessageShape, InvalidMaxSize, UnsupportedProtocolShape, InvalidProtocolValue,
        UnsupportedHandlerSignature, DuplicateHandler, DuplicateMessageCode, LengthTooSmall, MessageWithoutCode, DuplicateProtocol,
        HandlerMessageNotInProtocol, EnumWithoutZero, ProtocolMessageNotAMessage, EnumNotInt32,
        MaxLengthNotApplicable, InvalidMaxLength, RadioMessageTooLarge, ReliableMessageOnBroadcastRadio,
    }.ToDictionary(d => d.Id);

    public static DiagnosticDescriptor ById(string id) => All[id];

    private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity, string category = Category) =>
        new(id, title, message, category, severity, isEnabledByDefault: true, helpLinkUri: HelpLink + id.ToLowerInvariant());
}
