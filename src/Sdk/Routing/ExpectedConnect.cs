namespace PeerKit.Routing;

/// <summary>
/// A connect request this node accepted: the caller's session is expected until <see cref="Deadline"/> or until it
/// arrives (then the entry is removed). Holds the relay channel opened for it, closed if the caller never comes.
/// </summary>
internal sealed class ExpectedConnect(long deadline)
{
    /// <summary>When the expectation ends, in <see cref="Environment.TickCount64"/> milliseconds.</summary>
    public long Deadline { get; set; } = deadline;

    /// <summary>Whether a link from the caller was let in already (its session may not be up yet).</summary>
    public bool Accepted { get; set; }

    /// <summary>The relay channel opened for the caller's handshake (0: none) and the endpoint it is open on.</summary>
    public uint RelayChannel { get; set; }

    /// <summary>The endpoint <see cref="RelayChannel"/> is open on.</summary>
    public Links.Udp.UdpEndpoint? RelayEndpoint { get; set; }
}
