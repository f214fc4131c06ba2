namespace PeerKit;

/// <summary>
/// The firmware's <c>p2pcallbackHandler</c>: called on the radio's receive thread for every packet. Return quickly (push
/// to a queue); an exception is counted (<see cref="RadioNode.CallbackFailures"/>) and does not stop receiving.
/// </summary>
/// <param name="packet">The packet; valid only during the call (copy it to keep it).</param>
public delegate void P2PCallback(in P2PPacket packet);
