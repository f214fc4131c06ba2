namespace PeerKit.Links.Udp;

/// <summary>The path a <see cref="UdpLink"/>'s packets take now (CLASP's <c>SendResult</c>: P2P or Relay).</summary>
public enum LinkPath
{
    /// <summary>Straight to the peer's address (dialed directly, or a validated hole punch).</summary>
    Direct,

    /// <summary>Through a router's <see cref="RelaySwitch"/>, on a <see cref="RelayChannel"/>.</summary>
    Relay,
}
