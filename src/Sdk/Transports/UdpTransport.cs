using System.Net;
using System.Net.Sockets;
using PeerKit.Links;
using PeerKit.Links.Udp;

namespace PeerKit.Transports;

/// <summary>
/// The <c>udp</c> scheme: <see cref="UdpLink"/>s over <see cref="UdpEndpoint"/>s (docs/udp.md). Each listen address is
/// one endpoint, whose single socket serves every peer. A dial leaves from the first listen endpoint of the right
/// address family, so the peer sees the port it can dial back (what hole punching needs), or from a dial-only
/// endpoint made on first use. The dialer's link handshake completes with the peer's first reply, so a dial waits
/// <see cref="PeerTransportContext.DialTimeout"/> for it; no reply is <see cref="PeerUnreachableException"/> (UDP
/// cannot tell a closed port from a silent host).
/// </summary>
public sealed class UdpTransport : IPeerTransport
{
    private readonly PeerTransportContext _context;
    private readonly object _gate = new();
    private readonly List<UdpEndpoint> _listening = [];
    private readonly List<UdpEndpoint> _dialOnly = [];
    private bool _disposed;

    /// <summary>Creates the transport for one node.</summary>
    public UdpTransport(PeerTransportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
    }

    /// <inheritdoc/>
    public string Scheme => NodeAddress.Udp;

    /// <inheritdoc/>
    public async Task<IPeerListener> ListenAsync(NodeAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        IPEndPoint endPoint = await address.ResolveAsync(cancellationToken).ConfigureAwait(false);
        UdpEndpoint endpoint = UdpEndpoint.Start(endPoint, _context.Key, _context.Options.Udp);
        lock (_gate)
        {
            if (_disposed)
            {
                _ = endpoint.DisposeAsync().AsTask();
                throw new ObjectDisposedException(nameof(UdpTransport));
            }

            _listening.Add(endpoint);
        }

        return new UdpPeerListener(this, endpoint, address with { Port = endpoint.LocalEndPoint.Port, Id = null });
    }

    /// <inheritdoc/>
    public async Task<IMessageLink> ConnectAsync(NodeAddress address, NodeId? expectedId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        IPEndPoint remote;
        try
        {
            remote = await address.ResolveAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new PeerUnreachableException(address, $"the host does not resolve ({e.SocketErrorCode}).", e);
        }

        UdpEndpoint endpoint = EndpointFor(remote.AddressFamily);
        try
        {
            return await endpoint.ConnectWithinAsync(remote, expectedId, _context.DialTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (HandshakeException e) when (e.Failure == HandshakeFailure.Timeout)
        {
            throw new PeerUnreachableException(address, $"no answer within the dial timeout ({_context.DialTimeout}).", e);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        UdpEndpoint[] endpoints;
        lock (_gate)
        {
            _disposed = true;
            endpoints = [.. _listening, .. _dialOnly];
            _listening.Clear();
            _dialOnly.Clear();
        }

        foreach (UdpEndpoint endpoint in endpoints)
        {
            await endpoint.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The endpoint this transport dials from for <paramref name="family"/>: the first listen endpoint of that family,
    /// else a dial-only one (made on first use). A router client opens relay channels on it, and a router starts its relay
    /// switch on it, because its socket is the one the router observes (docs/router.md).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The transport was disposed.</exception>
    public UdpEndpoint GetEndpoint(AddressFamily family) => EndpointFor(family);

    /// <summary>Forgets a listen endpoint its listener closed.</summary>
    internal void Forget(UdpEndpoint endpoint)
    {
        lock (_gate)
        {
            _listening.Remove(endpoint);
        }
    }

    private UdpEndpoint EndpointFor(AddressFamily family)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            UdpEndpoint? endpoint = _listening.FirstOrDefault(e => e.LocalEndPoint.AddressFamily == family)
                ?? _dialOnly.FirstOrDefault(e => e.LocalEndPoint.AddressFamily == family);
            if (endpoint is null)
            {
                endpoint = UdpEndpoint.Start(
                    new IPEndPoint(family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0), _context.Key, _context.Options.Udp);
                _dialOnly.Add(endpoint);
            }

            return endpoint;
        }
    }
}
