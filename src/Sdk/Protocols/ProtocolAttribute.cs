namespace PeerKit;

/// <summary>
/// Declares a sub-protocol (go-ethereum's <c>p2p.Protocol</c>) on a <see langword="partial"/> class. The PeerKit
/// generator implements <see cref="IProtocol"/> for it: a <see cref="ProtocolDescriptor"/> with the name, version,
/// port, message table and <see cref="ProtocolDescriptor.Length"/> (highest code + 1), and, when the class has
/// <see cref="HandlerAttribute">[Handler]</see> methods, a dispatch switch (<see cref="IProtocolHandlers"/>).
/// </summary>
/// <remarks>
/// <para><b>Which messages belong to a protocol.</b> Every <see cref="MessageAttribute">[Message]</see> type declared
/// inside the protocol class, and every type named by a <see cref="ProtocolMessageAttribute">[ProtocolMessage]</see>
/// on it. Each message joins with its own <see cref="MessageAttribute.Code"/>, relative to the protocol (0, 1, 2…);
/// the session adds the offset negotiated with each peer. One message type may belong to several protocols.</para>
/// </remarks>
/// <example>
/// <code>
/// [Protocol("chat", Version = 2)]
/// public sealed partial class ChatProtocol
/// {
///     [Message(Code = 0)] public partial record Say(string Text);
///
///     [Handler] void OnSay(Peer peer, Say say) => Console.WriteLine($"{peer.Id:s}: {say.Text}");
/// }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class ProtocolAttribute : Attribute
{
    /// <summary>Declares the protocol <paramref name="name"/>.</summary>
    /// <param name="name">The capability name peers negotiate on (ASCII letters, digits, <c>-</c>, <c>_</c>, <c>.</c>; 1 to 32 characters).</param>
    public ProtocolAttribute(string name) => Name = name;

    /// <summary>The capability name.</summary>
    public string Name { get; }

    /// <summary>The protocol version (≥ 1). Peers that share the name run the highest version both support.</summary>
    public int Version { get; set; } = 1;

    /// <summary>
    /// The number of codes the protocol reserves, or 0 to let the generator compute it (highest code + 1).
    /// A declared length must be at least the computed one (PK0018); reserving more leaves room for codes a
    /// later version adds.
    /// </summary>
    public int Length { get; set; }

    /// <summary>The port (0–15) the protocol uses on links that have no session, such as the radio; -1 for none.</summary>
    public int Port { get; set; } = -1;

    /// <summary>
    /// Whether a radio protocol (one with a <see cref="Port"/>) uses the radio's acknowledged layer: its messages may
    /// then be sent to one node with <c>RadioProtocol.SendAsync</c> (acknowledged, retried, delivered once), so they
    /// may be <see cref="Reliability.ReliableOrdered"/> or <see cref="Reliability.ReliableUnordered"/>, and each must
    /// fit an addressed radio message (55 payload bytes). Without it the protocol only broadcasts: every message must be
    /// unreliable (PK0028) and fit 59 bytes (PK0027). The node binding the protocol needs its unicast layer on.
    /// </summary>
    public bool Acknowledged { get; set; }
}
