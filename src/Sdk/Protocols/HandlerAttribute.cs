namespace PeerKit;

/// <summary>
/// Marks a method of a <see cref="ProtocolAttribute">[Protocol]</see> class as the handler of one of its messages.
/// The generator calls it from the protocol's dispatch switch, decoding the message first.
/// </summary>
/// <remarks>
/// Supported signatures (any accessibility, instance or static; the message parameter by value or <see langword="in"/>):
/// <code>
/// void OnX(Peer peer, X message)
/// void OnX(Peer peer, in X message, CancellationToken cancellationToken)
/// ValueTask OnX(Peer peer, X message)
/// ValueTask OnX(Peer peer, X message, CancellationToken cancellationToken)
/// </code>
/// Other signatures are reported as PK0015, and a second handler for the same message as PK0016. Codes of the
/// protocol without a handler are delivered to the pull reader (<see cref="Peer.ReadAsync"/>).
/// </remarks>
[AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
public sealed class HandlerAttribute : Attribute
{
}
