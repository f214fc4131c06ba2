namespace PeerKit;

/// <summary>The state of a connection to a peer (the Oculus Platform's states, plus <see cref="Connecting"/>).</summary>
public enum ConnectionState
{
    /// <summary>The link or the session handshake is in progress.</summary>
    Connecting = 0,

    /// <summary>The session is up: hellos exchanged, both sides accepted, protocols running.</summary>
    Connected = 1,

    /// <summary>The connection ended because the peer went silent (handshake, idle or dial timeout).</summary>
    Timeout = 2,

    /// <summary>The connection ended for any other reason (see the <see cref="DisconnectReason"/>).</summary>
    Closed = 3,
}
