using System.Net;
using System.Net.Sockets;
using PeerKit.Links;
using PeerKit.Links.Tcp;

namespace PeerKit.Transports;

/// <summary>
/// The <c>tcp</c> scheme: <see cref="TcpLink"/>s (TCP with a Noise XX handshake). Connecting waits
/// <see cref="PeerTransportContext.DialTimeout"/> for the TCP connection, then
/// <see cref="PeerTransportContext.HandshakeTimeout"/> for the link handshake. Listening uses a
/// <see cref="TcpLinkListener"/>, which runs up to <see cref="PeerTransportContext.MaxPendingHandshakes"/> handshakes at once.
/// </summary>
public sealed class TcpTransport : IPeerTransport
{
    private readonly PeerTransportContext _context;
    private readonly TcpLinkOptions _options;

    /// <summary>Creates the transport for one node.</summary>
    public TcpTransport(PeerTransportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
        TcpLinkOptions user = context.Options.Tcp ?? new TcpLinkOptions();
        _options = new TcpLinkOptions
        {
            MaxFrameSize = user.MaxFrameSize,
            ReceiveQueueCapacity = user.ReceiveQueueCapacity,
            NoDelay = user.NoDelay,
            CloseTimeout = user.CloseTimeout,
            HandshakeTimeout = context.HandshakeTimeout,
            ConnectTimeout = context.DialTimeout,
            MaxPendingHandshakes = context.MaxPendingHandshakes,
        };
    }

    /// <inheritdoc/>
    public string Scheme => NodeAddress.Tcp;

    /// <inheritdoc/>
    public async Task<IPeerListener> ListenAsync(NodeAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        IPEndPoint endPoint = await address.ResolveAsync(cancellationToken).ConfigureAwait(false);
        TcpLinkListener listener = TcpLinkListener.Start(endPoint, _context.Key, _options, Math.Max(128, _context.MaxPendingHandshakes));
        return new TcpPeerListener(listener, address with { Port = listener.LocalEndPoint.Port, Id = null });
    }

    /// <inheritdoc/>
    public async Task<IMessageLink> ConnectAsync(NodeAddress address, NodeId? expectedId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        try
        {
            IPEndPoint endPoint = await address.ResolveAsync(cancellationToken).ConfigureAwait(false);
            return await TcpLink.ConnectAsync(endPoint, _context.Key, expectedId, _options, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e) when (IsUnreachable(e.SocketErrorCode))
        {
            throw new PeerUnreachableException(address, $"nobody answered ({e.SocketErrorCode}).", e);
        }
        catch (TimeoutException e)
        {
            throw new PeerUnreachableException(address, $"no answer within the dial timeout ({_context.DialTimeout}).", e);
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => default;

    private static bool IsUnreachable(SocketError error) => error is SocketError.ConnectionRefused or SocketError.HostUnreachable
        or SocketError.NetworkUnreachable or SocketError.HostNotFound or SocketError.TimedOut or SocketError.HostDown
        or SocketError.NetworkDown or SocketError.AddressNotAvailable or SocketError.TryAgain or SocketError.NoData;
}
