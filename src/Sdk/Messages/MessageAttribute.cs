namespace PeerKit;

/// <summary>
/// Marks a <see langword="partial"/> record, record struct, class or struct as a PeerKit message.
/// The PeerKit generator implements <see cref="IMessage{TSelf}"/> for it at compile time: a serializer
/// that writes the protocol buffers (proto3) wire format, byte for byte what Google.Protobuf writes for
/// the equivalent schema.
/// </summary>
/// <example>
/// <code>
/// [Message(Code = 0x01, Reliability = Reliability.Unreliable, MaxSize = 64)]
/// public partial record AvatarTransform(uint Id, float X, float Y, float Z, float Qx, float Qy, float Qz, float Qw);
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false, AllowMultiple = false)]
public sealed class MessageAttribute : Attribute
{
    /// <summary>
    /// The message code inside its protocol (what go-ethereum calls <c>Msg.Code</c>), or -1 when the
    /// message has none. Codes are needed only when the message travels in a protocol.
    /// </summary>
    public int Code { get; set; } = -1;

    /// <summary>How links deliver this message unless a send overrides it. Defaults to <see cref="Reliability.ReliableOrdered"/>.</summary>
    public Reliability Reliability { get; set; } = Reliability.ReliableOrdered;

    /// <summary>
    /// The most bytes an encoded message may take, or 0 for no limit. Checked at compile time: every
    /// member must be bounded and the largest possible encoding must fit (PK0006, PK0007).
    /// </summary>
    public int MaxSize { get; set; }
}
