using System.Globalization;
using System.Net;

namespace PeerKit;

/// <summary>
/// Where a node can be reached: a transport scheme, a host and a port, and optionally the node id expected there
/// (like an enode URL). Text form: <c>tcp://host:port</c>, <c>udp://host:port</c>, <c>inproc://name:port</c>,
/// <c>ws://host:port/path</c> or <c>wss://host/path</c> (WebSocket; the path defaults to <c>/peerkit</c>, the port to
/// 80 for ws and 443 for wss) or
/// <c>tcp://&lt;64 hex digits&gt;@host:port</c>; IPv6 hosts in brackets. The scheme picks the transport
/// (<see cref="PeerNodeOptions.Transports"/>).
/// </summary>
/// <param name="Scheme">The transport: <c>tcp</c>, <c>udp</c>, <c>inproc</c>, or a scheme registered in <see cref="PeerNodeOptions.Transports"/>.</param>
/// <param name="Host">An IP address or a host name.</param>
/// <param name="Port">The port; 0 in a listen address lets the system choose.</param>
/// <param name="Id">The node id expected at the address, checked by the link handshake; <c>null</c> to accept any.</param>
public sealed record NodeAddress(string Scheme, string Host, int Port, NodeId? Id = null)
{
    /// <summary>The TCP scheme: the Noise XX encrypted TCP link.</summary>
    public const string Tcp = "tcp";

    /// <summary>The UDP scheme: PeerKit's encrypted datagram link with delivery classes (docs/udp.md).</summary>
    public const string Udp = "udp";

    /// <summary>The WebSocket scheme: the TCP link's handshake and frames in binary WebSocket messages (networks that block UDP, HTTP proxies; docs/router.md).</summary>
    public const string WebSocket = "ws";

    /// <summary>The WebSocket scheme over TLS (a client dialing a TLS-terminating proxy in front of a <c>ws://</c> listener).</summary>
    public const string SecureWebSocket = "wss";

    /// <summary>The in-process scheme: <see cref="Links.MemoryLink"/> pairs between nodes of one process (<see cref="Transports.InProcessTransport"/>).</summary>
    public const string InProcess = "inproc";

    /// <summary>
    /// The path of a WebSocket address (<c>/peerkit</c> in <c>ws://host:7331/peerkit</c>), starting with <c>/</c>; null
    /// when the address has none (a WebSocket address then means <see cref="Links.WebSockets.WebSocketLinkOptions.DefaultPath"/>).
    /// Only <c>ws</c> and <c>wss</c> addresses have one.
    /// </summary>
    public string? Path { get; init; }

    /// <summary>Whether the scheme is <see cref="WebSocket"/> or <see cref="SecureWebSocket"/>.</summary>
    public bool IsWebSocket => Scheme is WebSocket or SecureWebSocket;

    /// <summary>A TCP address for <paramref name="endPoint"/>.</summary>
    public static NodeAddress ForTcp(IPEndPoint endPoint, NodeId? id = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return new NodeAddress(Tcp, endPoint.Address.ToString(), endPoint.Port, id);
    }

    /// <summary>Parses the text form.</summary>
    /// <exception cref="FormatException">The text is not a node address.</exception>
    public static NodeAddress Parse(string text) =>
        TryParse(text, out NodeAddress? address) ? address : throw new FormatException($"\"{text}\" is not a node address (tcp://[id@]host:port, ws://[id@]host:port/path).");

    /// <summary>Parses the text form.</summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out NodeAddress? address)
    {
        address = null;
        if (text is null)
        {
            return false;
        }

        int schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            return false;
        }

        string scheme = text[..schemeEnd].ToLowerInvariant();
        string rest = text[(schemeEnd + 3)..];
        string? path = null;
        int slash = rest.IndexOf('/');
        if (slash >= 0)
        {
            path = rest[slash..];
            rest = rest[..slash];
            if (scheme is not (WebSocket or SecureWebSocket) || path.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '?' or '#'))
            {
                return false;
            }
        }

        NodeId? id = null;
        int at = rest.IndexOf('@');
        if (at >= 0)
        {
            if (!NodeId.TryParse(rest[..at], out NodeId parsed))
            {
                return false;
            }

            id = parsed;
            rest = rest[(at + 1)..];
        }

        int colon = rest.LastIndexOf(':');
        int port;
        string host;
        if ((colon < 0 || rest.EndsWith(']')) && scheme is WebSocket or SecureWebSocket)
        {
            // A WebSocket address may leave the port out, as a URL does: 80 for ws, 443 for wss.
            port = scheme == WebSocket ? 80 : 443;
            host = rest;
        }
        else if (colon <= 0 || !int.TryParse(rest.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535)
        {
            return false;
        }
        else
        {
            host = rest[..colon];
        }

        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (host.Length == 0 || (host.Contains(':') && !IPAddress.TryParse(host, out _)))
        {
            return false;
        }

        address = new NodeAddress(scheme, host, port, id) { Path = path };
        return true;
    }

    /// <summary>A <c>udp://</c> address for <paramref name="endPoint"/> (an IPv4-mapped IPv6 address written as IPv4).</summary>
    public static NodeAddress ForUdp(IPEndPoint endPoint, NodeId? id = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        IPAddress address = endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address;
        return new NodeAddress(Udp, address.ToString(), endPoint.Port, id);
    }

    /// <summary>The IP end point when the host is an IP address (no name to resolve).</summary>
    public bool TryGetIPEndPoint([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPEndPoint? endPoint)
    {
        endPoint = IPAddress.TryParse(Host, out IPAddress? ip) ? new IPEndPoint(ip, Port) : null;
        return endPoint is not null;
    }

    /// <summary>The WebSocket URI of a <c>ws</c> or <c>wss</c> address (its path, or <see cref="Links.WebSockets.WebSocketLinkOptions.DefaultPath"/>).</summary>
    /// <exception cref="InvalidOperationException">The address is not a WebSocket address.</exception>
    public Uri ToWebSocketUri()
    {
        if (!IsWebSocket)
        {
            throw new InvalidOperationException($"{this} is not a WebSocket address.");
        }

        string host = Host.Contains(':') ? $"[{Host}]" : Host;
        return new Uri($"{Scheme}://{host}:{Port}{Path ?? Links.WebSockets.WebSocketLinkOptions.DefaultPath}");
    }

    /// <summary>Resolves the host to an IP end point.</summary>
    /// <exception cref="System.Net.Sockets.SocketException">The host name does not resolve.</exception>
    public async Task<IPEndPoint> ResolveAsync(CancellationToken cancellationToken = default)
    {
        if (IPAddress.TryParse(Host, out IPAddress? ip))
        {
            return new IPEndPoint(ip, Port);
        }

        IPAddress[] addresses = await Dns.GetHostAddressesAsync(Host, cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0)
        {
            throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound);
        }

        return new IPEndPoint(addresses[0], Port);
    }

    /// <summary>The text form.</summary>
    public override string ToString()
    {
        string host = Host.Contains(':') ? $"[{Host}]" : Host;
        return Id is { } id ? $"{Scheme}://{id}@{host}:{Port}{Path}" : $"{Scheme}://{host}:{Port}{Path}";
    }
}
