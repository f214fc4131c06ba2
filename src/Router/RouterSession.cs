using System.Net;

namespace PeerKit.Routing;

/// <summary>One client's session with the router: its peer, whether it opened, its candidates, its rate limit.</summary>
internal sealed class RouterSession
{
    public RouterSession(Peer peer, SignalingRateLimit rate, SignalingRateLimit notices, DateTimeOffset started)
    {
        Peer = peer;
        Started = started;
        Rate = rate;
        Notices = notices;
        if (peer.Link is Links.Udp.UdpLink && peer.RemoteAddress is IPEndPoint observed)
        {
            ObservedEndPoint = observed;
            ObservedAddress = NodeAddress.ForUdp(observed).ToString();
        }
    }

    /// <summary>
    /// Reads the client's address again: its link with the router follows the client when its NAT mapping changes
    /// (path validation), so the address seen now may differ from the one observed at the start. True when it moved
    /// (the observed address and the client's candidates follow; its relay channels must be rebound).
    /// </summary>
    public bool RefreshObserved()
    {
        if (ObservedEndPoint is null || Peer.RemoteAddress is not IPEndPoint now || now.Equals(ObservedEndPoint))
        {
            return false;
        }

        ObservedEndPoint = now;
        ObservedAddress = NodeAddress.ForUdp(now).ToString();
        return true;
    }

    public Peer Peer { get; }

    /// <summary>When the session began (it has <see cref="RouterOptions.OpenTimeout"/> from then to open).</summary>
    public DateTimeOffset Started { get; }

    public NodeId Id => Peer.Id;

    public SignalingRateLimit Rate { get; }

    /// <summary>How often a throttled request is answered with <see cref="RouterStatus.Throttled"/>; past it, refusals go unanswered (counted).</summary>
    public SignalingRateLimit Notices { get; }

    /// <summary>Whether the session opened (token checked).</summary>
    public bool IsOpen { get; set; }

    /// <summary>The client's UDP address as the router sees it (its server-reflexive candidate), or null over TCP.</summary>
    public string? ObservedAddress { get; private set; }

    /// <summary>The client's UDP address as the router sees it, or null over TCP.</summary>
    public IPEndPoint? ObservedEndPoint { get; private set; }

    /// <summary>The relay bindings this client is part of; unbound when its session ends.</summary>
    public List<RouterRelayBinding> Bindings { get; } = [];

    /// <summary>The client's own addresses, checked when it opened.</summary>
    public string[] LocalAddresses { get; set; } = [];

    /// <summary>Connect requests this client made that wait for an answer.</summary>
    public int PendingConnects { get; set; }

    /// <summary>Control messages refused for going over the rate.</summary>
    public long Throttled { get; set; }

    /// <summary>Every candidate, the observed address first, without repeats.</summary>
    public string[] Candidates() =>
        ObservedAddress is { } observed ? [observed, .. LocalAddresses.Where(a => a != observed)] : LocalAddresses;
}
