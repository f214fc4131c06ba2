using PeerKit.Links.Streams;

namespace PeerKit.Links.WebSockets;

/// <summary>Options of <see cref="WebSocketLink"/> and <see cref="WebSocketLinkAcceptor"/>.</summary>
public sealed class WebSocketLinkOptions : StreamLinkOptions
{
    private readonly TimeSpan _keepAliveInterval = TimeSpan.FromSeconds(30);

    /// <summary>The path a WebSocket address without one uses: <c>/peerkit</c>.</summary>
    public const string DefaultPath = "/peerkit";

    /// <summary>
    /// How often the WebSocket sends a ping (a client's, or the server's when it accepts), so proxies that close idle
    /// connections keep this one; <see cref="TimeSpan.Zero"/> for none. Default 30 s.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative.</exception>
    public TimeSpan KeepAliveInterval
    {
        get => _keepAliveInterval;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            _keepAliveInterval = value;
        }
    }
}
