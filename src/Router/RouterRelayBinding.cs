namespace PeerKit.Routing;

/// <summary>
/// A relay binding the router made for one pair of sessions: the switch it lives on (it is unbound there), when it was
/// made, and when its byte count last moved (the sweep unbinds a binding that never carried traffic or went idle).
/// </summary>
internal sealed class RouterRelayBinding
{
    public RouterRelayBinding((NodeId Low, NodeId High) pair, Links.Udp.RelaySwitch relaySwitch, Links.Udp.RelayBinding binding,
        RouterSession first, RouterSession second, DateTimeOffset now)
    {
        Pair = pair;
        Switch = relaySwitch;
        Binding = binding;
        First = first;
        Second = second;
        Created = now;
        LastActive = now;
    }

    /// <summary>The pair's node ids, the smaller first: the key of the router's binding table.</summary>
    public (NodeId Low, NodeId High) Pair { get; }

    /// <summary>The switch the binding was made on.</summary>
    public Links.Udp.RelaySwitch Switch { get; }

    public Links.Udp.RelayBinding Binding { get; }

    public RouterSession First { get; }

    public RouterSession Second { get; }

    public DateTimeOffset Created { get; }

    /// <summary>When the sweep last saw the relayed byte count grow (or the binding was made).</summary>
    public DateTimeOffset LastActive { get; private set; }

    private long _lastBytes;

    /// <summary>Whether the binding should go at <paramref name="now"/>: nothing relayed within <paramref name="unused"/> of its creation, or nothing new for <paramref name="idle"/>.</summary>
    public bool IsStale(DateTimeOffset now, TimeSpan unused, TimeSpan idle)
    {
        long bytes = Binding.GetCounters().BytesRelayed;
        if (bytes != _lastBytes)
        {
            _lastBytes = bytes;
            LastActive = now;
        }

        return bytes == 0 ? now - Created >= unused : idle != Timeout.InfiniteTimeSpan && now - LastActive >= idle;
    }

    /// <summary>The pair key of two node ids: the smaller (bytewise) first.</summary>
    public static (NodeId Low, NodeId High) KeyOf(NodeId a, NodeId b) =>
        a.ToArray().AsSpan().SequenceCompareTo(b.ToArray()) <= 0 ? (a, b) : (b, a);
}
