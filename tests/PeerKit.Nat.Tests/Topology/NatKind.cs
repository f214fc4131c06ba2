namespace PeerKit.Nat.Tests.Topology;

/// <summary>How a NAT of the topology maps a client's UDP socket to a public port (RFC 4787's terms).</summary>
internal enum NatKind
{
    /// <summary>
    /// Endpoint-independent mapping (nftables <c>masquerade</c>, which keeps the client's port when it is free): one
    /// public address and port for the socket, whatever the destination. Filtering is address-and-port dependent (a
    /// stateful firewall drops what no outgoing packet opened), as on most home routers: hole punching works when both
    /// sides send.
    /// </summary>
    EndpointIndependent,

    /// <summary>
    /// Symmetric, endpoint-dependent mapping (<c>masquerade random,fully-random</c>): a new random public port for each
    /// destination, so the port a router observes is useless to a peer and hole punching fails.
    /// </summary>
    Symmetric,
}
