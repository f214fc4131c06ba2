using System.Net;

namespace PeerKit.Links.Udp;

/// <summary>
/// A client's end of a relay binding: the router's address and the channel the router allocated to this client
/// (<see cref="RelayBinding.FirstChannel"/> or <see cref="RelayBinding.SecondChannel"/>). Opened with
/// <see cref="UdpEndpoint.OpenRelayChannel"/>; a link dialed or accepted over it runs on the relay path, and may
/// move to a direct path (<see cref="UdpLink.ProbeDirectPathAsync"/>) and back.
/// </summary>
public sealed class RelayChannel
{
    private long _sent;
    private long _received;

    internal RelayChannel(IPEndPoint router, SocketAddress routerAddress, uint channel)
    {
        Router = router;
        RouterAddress = routerAddress;
        Channel = channel;
        Address = RelayAddress.For(channel);
        PathAddress = Address.Serialize();
    }

    /// <summary>The router's address (as this endpoint's socket sends to it).</summary>
    public IPEndPoint Router { get; }

    /// <summary>This client's channel on the router.</summary>
    public uint Channel { get; }

    /// <summary>
    /// The address that stands for this relay path on this endpoint: <see cref="UdpEndpoint.ConnectAsync"/> to it dials
    /// through the router, and a link on the relay path reports it as its <see cref="UdpLink.RemoteAddress"/>. It is
    /// in the discard-only prefix <c>100::/64</c> with port 0, so it is never a real peer's address.
    /// </summary>
    public IPEndPoint Address { get; }

    /// <summary>Relay datagrams sent through the router on this channel.</summary>
    public long DatagramsSent => Interlocked.Read(ref _sent);

    /// <summary>Relay datagrams received from the router on this channel.</summary>
    public long DatagramsReceived => Interlocked.Read(ref _received);

    internal SocketAddress RouterAddress { get; }

    /// <summary><see cref="Address"/> as the links and the endpoint compare it.</summary>
    internal SocketAddress PathAddress { get; }

    internal void CountSent() => Interlocked.Increment(ref _sent);

    internal void CountReceived() => Interlocked.Increment(ref _received);

    /// <inheritdoc/>
    public override string ToString() => $"relay channel {Channel} via {Router}";
}
