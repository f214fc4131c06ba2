namespace PeerKit.Links.Tcp;

/// <summary>Options of <see cref="TcpLink"/> and <see cref="TcpLinkListener"/>.</summary>
public sealed class TcpLinkOptions : LinkOptions
{
    private readonly TimeSpan _handshakeTimeout = TimeSpan.FromSeconds(5);
    private readonly TimeSpan _connectTimeout = TimeSpan.FromSeconds(15);
    private readonly TimeSpan _closeTimeout = TimeSpan.FromSeconds(1);
    private readonly int _maxPendingHandshakes = 50;

    /// <summary>
    /// How long a handshake may take, per connection, before it fails with <see cref="HandshakeFailure.Timeout"/>
    /// and the connection is closed. Default 5 s (go-ethereum's handshake timeout).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan HandshakeTimeout { get => _handshakeTimeout; init => _handshakeTimeout = Positive(value); }

    /// <summary>How long <see cref="TcpLink.ConnectAsync"/> waits for the TCP connection, before the handshake. Default 15 s.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan ConnectTimeout { get => _connectTimeout; init => _connectTimeout = Positive(value); }

    /// <summary>
    /// How long disposing a link waits for the remote side to finish the TCP close after this side's FIN, so frames
    /// already sent are delivered rather than reset. Default 1 s.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative.</exception>
    public TimeSpan CloseTimeout
    {
        get => _closeTimeout;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            _closeTimeout = value;
        }
    }

    /// <summary>Disable Nagle's algorithm (send small frames at once). Default true.</summary>
    public bool NoDelay { get; init; } = true;

    /// <summary>
    /// The listener's limit on connections in the handshake or waiting in its accept queue; beyond it, it stops
    /// accepting (connections wait in the operating system's backlog). Default 50 (go-ethereum's MaxPendingPeers).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int MaxPendingHandshakes
    {
        get => _maxPendingHandshakes;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _maxPendingHandshakes = value;
        }
    }

    private static TimeSpan Positive(TimeSpan value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
        return value;
    }
}
