namespace PeerKit;

/// <summary>A protocol running with a peer, and the first session code it got in negotiation.</summary>
/// <param name="Descriptor">The protocol.</param>
/// <param name="Offset">Its first code in the session (0x10 or more).</param>
public readonly record struct NegotiatedProtocol(ProtocolDescriptor Descriptor, int Offset);
