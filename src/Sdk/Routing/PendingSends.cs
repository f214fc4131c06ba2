namespace PeerKit.Routing;

/// <summary>
/// Reliable messages that wait for a connection to their peer (the Oculus rule: buffered until connected), bounded in
/// bytes per peer and in total: a <see cref="SendQueue{TSession}"/> of sends on a <see cref="Peer"/>.
/// </summary>
internal sealed class PendingSends(long maxPerPeer, long maxTotal) : SendQueue<Peer>(maxPerPeer, maxTotal);
