using System.Net;
using System.Net.Sockets;

namespace PeerKit.Links.Udp;

/// <content>
/// The relay path (docs/udp.md, "Relay path"): a client's relay channels, dialing through a router, and the router's
/// <see cref="RelaySwitch"/>. The relay layer sits between the endpoint and its socket (<see cref="RelayTransport"/>),
/// so the handshake, the links and their path validation see a relay path as one more address.
/// </content>
public sealed partial class UdpEndpoint
{
    private readonly RelayTransport _relay;

    /// <summary>The router's relay switch, once <see cref="StartRelaySwitch"/> attached it; null on a client.</summary>
    public RelaySwitch? RelaySwitch => _relay.Switch;

    /// <summary>
    /// Makes this endpoint a relay (on a router): relay datagrams arriving at its socket are forwarded between the
    /// clients its <see cref="RelaySwitch"/> binds, instead of being read as this endpoint's own. Its own links (the
    /// router's sessions with its clients) are served as before. Calling it again returns the same switch.
    /// </summary>
    /// <param name="limits">What each binding may relay; null for the defaults.</param>
    public RelaySwitch StartRelaySwitch(RelayLimits? limits = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _relay.StartSwitch(limits ?? new RelayLimits());
    }

    /// <summary>
    /// Opens a relay channel (a client's end of a router's <see cref="RelayBinding"/>): from now on, relay datagrams
    /// from <paramref name="router"/> on <paramref name="channel"/> reach this endpoint as packets from
    /// <see cref="RelayChannel.Address"/>. To accept a relayed link, open the channel the router gave this node and
    /// wait in <see cref="AcceptAsync"/> as for any link (its <see cref="UdpLink.ActivePath"/> is
    /// <see cref="LinkPath.Relay"/>); to dial, use <see cref="ConnectViaRelayAsync"/>. A link that runs over the
    /// channel closes it when the link closes.
    /// </summary>
    /// <param name="router">The router's address (the one this endpoint's socket reaches it at).</param>
    /// <param name="channel">This node's channel on the router (non-zero).</param>
    /// <returns>The channel; the same one when it is already open with this router.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="channel"/> is 0.</exception>
    /// <exception cref="InvalidOperationException">The channel is open with another router.</exception>
    public RelayChannel OpenRelayChannel(IPEndPoint router, uint channel)
    {
        ArgumentNullException.ThrowIfNull(router);
        ArgumentOutOfRangeException.ThrowIfZero(channel);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        router = ForSocket(router);
        return _relay.Open(router, router.Serialize(), channel);
    }

    /// <summary>Closes a relay channel: its datagrams are dropped from now on. False when it was not open.</summary>
    /// <param name="channel">The channel.</param>
    public bool CloseRelayChannel(uint channel) => _relay.Close(channel);

    /// <summary>
    /// Dials a node through a router's relay: opens <paramref name="channel"/> (<see cref="OpenRelayChannel"/>) and runs
    /// the handshake over it, Init, Response and Finish all going through the router. The link starts on
    /// <see cref="LinkPath.Relay"/>; <see cref="UdpLink.ProbeDirectPathAsync"/> moves it to a direct path when one
    /// works. The router never holds the link's keys: it forwards sealed packets.
    /// </summary>
    /// <param name="router">The router's address.</param>
    /// <param name="channel">This node's channel on the router's binding with the peer.</param>
    /// <param name="expectedRemoteId">The node expected at the other end, or null to accept any (the router does not
    /// vouch for who is there; the handshake proves it).</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    /// <exception cref="IdentityMismatchException">The remote node is not <paramref name="expectedRemoteId"/>.</exception>
    /// <exception cref="HandshakeException">The handshake failed or timed out (<see cref="UdpLinkOptions.HandshakeTimeout"/>).</exception>
    /// <exception cref="InvalidOperationException">The channel is open with another router.</exception>
    /// <exception cref="ObjectDisposedException">The endpoint was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<UdpLink> ConnectViaRelayAsync(IPEndPoint router, uint channel, NodeId? expectedRemoteId = null, CancellationToken cancellationToken = default)
    {
        RelayChannel opened = OpenRelayChannel(router, channel);
        try
        {
            return await ConnectAsync(opened.Address, expectedRemoteId, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            CloseRelayChannel(channel);
            throw;
        }
    }

    /// <summary>
    /// The relay counters: on a router, what its switch forwarded and dropped (by cause); on a client, relay datagrams
    /// received and dropped (malformed, unknown channel, not from the channel's router).
    /// </summary>
    public RelayStatistics GetRelayStatistics() => _relay.GetStatistics();

    /// <summary>The relay channel whose path address is <paramref name="address"/>, if it is one.</summary>
    internal RelayChannel? FindRelayChannel(SocketAddress address) => _relay.Find(address);

    /// <summary>The socket (or simulated network) under the relay layer.</summary>
    internal IDatagramTransport Socket => _relay.Inner;

    /// <summary>An address as this endpoint's socket sees it (IPv4 mapped into IPv6 on a dual-mode socket).</summary>
    internal IPEndPoint ForSocket(IPEndPoint address) =>
        LocalEndPoint.AddressFamily == AddressFamily.InterNetworkV6 && address.AddressFamily == AddressFamily.InterNetwork
            ? new IPEndPoint(address.Address.MapToIPv6(), address.Port)
            : address;
}
