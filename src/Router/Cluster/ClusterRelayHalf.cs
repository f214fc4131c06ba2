namespace PeerKit.Routing;

/// <summary>
/// This router's half of a relayed pair whose other client is on another router: a binding on the switch between the
/// local client (<see cref="ClientChannel"/>) and the cluster port (<see cref="PortChannel"/>), routed to the other
/// router's port channel once it is known.
/// </summary>
internal sealed class ClusterRelayHalf(ClusterRelayPort port, Links.Udp.RelayBinding binding, RouterSession session, DateTimeOffset created)
{
    public ClusterRelayPort Port { get; } = port;

    public Links.Udp.RelayBinding Binding { get; } = binding;

    public RouterSession Session { get; } = session;

    public DateTimeOffset Created { get; } = created;

    /// <summary>The local client's channel (told to it in its Candidates).</summary>
    public uint ClientChannel => Binding.FirstChannel;

    /// <summary>The port's channel (told to the other router, which publishes to it).</summary>
    public uint PortChannel => Binding.SecondChannel;

    /// <summary>Whether the half carried nothing within <paramref name="unused"/> of its creation.</summary>
    public bool IsUnused(DateTimeOffset now, TimeSpan unused) => Binding.GetCounters().BytesRelayed == 0 && now - Created >= unused;
}
