namespace PeerKit;

/// <summary>Why a peer was disconnected. The values are devp2p's disconnect reasons, on the wire as they are in devp2p.</summary>
public enum DisconnectReason
{
    /// <summary>0x00: the peer (or the local user) asked to disconnect.</summary>
    Requested = 0x00,

    /// <summary>0x01: the link failed (reset, closed mid-frame, unreachable).</summary>
    NetworkError = 0x01,

    /// <summary>0x02: the peer broke the protocol: garbage, an unknown code, a message that does not decode, a hello out of place.</summary>
    BreachOfProtocol = 0x02,

    /// <summary>0x03: the peers share no protocol.</summary>
    UselessPeer = 0x03,

    /// <summary>0x04: the node is at <see cref="PeerNodeOptions.MaxPeers"/> (or its inbound share of it).</summary>
    TooManyPeers = 0x04,

    /// <summary>0x05: a session with this node id already exists.</summary>
    AlreadyConnected = 0x05,

    /// <summary>0x06: the peer speaks an incompatible base-protocol version.</summary>
    IncompatibleVersion = 0x06,

    /// <summary>0x07: the node id in the hello is malformed or is not the one the link authenticated.</summary>
    InvalidIdentity = 0x07,

    /// <summary>0x08: the node is shutting down.</summary>
    ClientQuitting = 0x08,

    /// <summary>0x09: the peer is not the node that was dialed.</summary>
    UnexpectedIdentity = 0x09,

    /// <summary>0x0a: the node dialed itself.</summary>
    ConnectedToSelf = 0x0a,

    /// <summary>0x0b: nothing arrived from the peer within the idle timeout (or the hello within the handshake timeout).</summary>
    ReadTimeout = 0x0b,

    /// <summary>0x10: a protocol's handler or read loop failed.</summary>
    SubprotocolError = 0x10,

    /// <summary>
    /// 0x11 (PeerKit's own; devp2p has no such code): the node's peers held all of
    /// <see cref="PeerNodeOptions.MemoryBudgetBytes"/>, and this peer held the most
    /// (<see cref="MemoryBudgetPolicy.DropLargestPeer"/>), or a new peer came while it was spent
    /// (<see cref="MemoryBudgetPolicy.Refuse"/>).
    /// </summary>
    MemoryBudgetExceeded = 0x11,
}
