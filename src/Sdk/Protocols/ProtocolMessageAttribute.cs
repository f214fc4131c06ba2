namespace PeerKit;

/// <summary>
/// Adds a <see cref="MessageAttribute">[Message]</see> type declared elsewhere to a protocol, with the message's own
/// <see cref="MessageAttribute.Code"/>. Repeat it for each such message; one message type may join several protocols.
/// </summary>
/// <example>
/// <code>
/// [Protocol("lobby", Version = 1)]
/// [ProtocolMessage(typeof(Shared.Presence))]
/// public sealed partial class LobbyProtocol { }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = true)]
public sealed class ProtocolMessageAttribute : Attribute
{
    /// <summary>Adds <paramref name="messageType"/> to the protocol.</summary>
    public ProtocolMessageAttribute(Type messageType) => MessageType = messageType;

    /// <summary>The message type.</summary>
    public Type MessageType { get; }
}
