namespace PeerKit;

/// <summary>A peer was or is disconnected: sends, reads and pings on it fail with this.</summary>
public class PeerDisconnectedException : Exception
{
    /// <summary>Creates the exception for a peer disconnected for <paramref name="reason"/>.</summary>
    public PeerDisconnectedException(NodeId peerId, DisconnectReason reason, bool isRemote, Exception? inner = null)
        : base($"Peer {peerId:s} is disconnected: {reason} ({(isRemote ? "said by the peer" : "decided locally")}).", inner)
    {
        PeerId = peerId;
        Reason = reason;
        IsRemote = isRemote;
    }

    /// <summary>The peer's id.</summary>
    public NodeId PeerId { get; }

    /// <summary>Why the peer was disconnected.</summary>
    public DisconnectReason Reason { get; }

    /// <summary>Whether the peer gave the reason (in a Disconnect message) rather than the local node.</summary>
    public bool IsRemote { get; }
}

/// <summary>A connection attempt did not produce a peer: the link failed, or the session was refused by either side.</summary>
public sealed class PeerConnectException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PeerConnectException(string address, DisconnectReason reason, bool isRemote, Exception? inner = null)
        : base($"Connecting to {address} failed: {reason} ({(isRemote ? "said by the peer" : "decided locally")}).", inner)
    {
        Address = address;
        Reason = reason;
        IsRemote = isRemote;
    }

    /// <summary>The address dialed.</summary>
    public string Address { get; }

    /// <summary>Why the attempt failed.</summary>
    public DisconnectReason Reason { get; }

    /// <summary>Whether the remote node refused the session (with this reason).</summary>
    public bool IsRemote { get; }
}

/// <summary>A message type is not part of any protocol negotiated with the peer, so it has no code in the session.</summary>
public sealed class ProtocolNotNegotiatedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public ProtocolNotNegotiatedException(NodeId peerId, Type messageType)
        : base($"{messageType.Name} belongs to no protocol negotiated with peer {peerId:s}.")
    {
        PeerId = peerId;
        MessageType = messageType;
    }

    /// <summary>The peer.</summary>
    public NodeId PeerId { get; }

    /// <summary>The message type that was sent.</summary>
    public Type MessageType { get; }
}

/// <summary>A peer broke a protocol in a way the session turns into <see cref="DisconnectReason.BreachOfProtocol"/>.</summary>
internal sealed class ProtocolBreachException(string message) : Exception(message);
