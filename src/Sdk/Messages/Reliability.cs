namespace PeerKit;

/// <summary>
/// How a link delivers a message: whether it is retried until acknowledged, and whether order is kept.
/// </summary>
/// <remarks>
/// The names follow the delivery classes of realtime P2P libraries (Oculus Platform's reliable and
/// unreliable send policies, CLASP's two data channels, LiteNetLib's delivery methods).
/// Stream links (TCP, memory) carry every class reliably and in order.
/// </remarks>
public enum Reliability
{
    /// <summary>Retried until acknowledged and delivered once, in the order sent. The default.</summary>
    ReliableOrdered = 0,

    /// <summary>Retried until acknowledged and delivered once, in whatever order it arrives.</summary>
    ReliableUnordered = 1,

    /// <summary>Sent once, best effort: it may be lost or arrive out of order, but never twice.</summary>
    Unreliable = 2,

    /// <summary>Sent once, best effort; a message older than the newest one already delivered is dropped.</summary>
    UnreliableSequenced = 3,
}
