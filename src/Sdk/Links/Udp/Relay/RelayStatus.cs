namespace PeerKit.Links.Udp;

/// <summary>
/// The state of a <see cref="RelayBinding"/>, with the reasons a relay stops or slows forwarding, named after libp2p's
/// circuit relay status codes where one applies.
/// </summary>
public enum RelayStatus
{
    /// <summary>The binding forwards datagrams both ways.</summary>
    Active,

    /// <summary>
    /// The binding forwards, but datagrams above <see cref="RelayLimits.MaxBytesPerSecond"/> were dropped lately
    /// (the links' congestion control slows down to the rate, as it would at a slow hop).
    /// </summary>
    RateLimited,

    /// <summary>
    /// <c>RESOURCE_LIMIT_EXCEEDED</c>: the binding relayed <see cref="RelayLimits.MaxBytesPerBinding"/> bytes and forwards
    /// nothing more, or (from <see cref="RelaySwitch.Bind"/>) the switch holds <see cref="RelayLimits.MaxBindings"/>.
    /// </summary>
    ResourceLimitExceeded,

    /// <summary>The binding was removed (<see cref="RelaySwitch.Unbind"/>, or the switch was disposed).</summary>
    Unbound,
}
