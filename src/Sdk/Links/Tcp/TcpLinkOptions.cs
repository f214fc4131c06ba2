namespace PeerKit.Links.Tcp;

/// <summary>Options of <see cref="TcpLink"/> and <see cref="TcpLinkListener"/>.</summary>
public sealed class TcpLinkOptions : LinkOptions
{
    private readonly TimeSpan _handshakeTimeout = TimeSpan.FromSeconds(5);
    private readonly TimeSpan _connectTimeout = TimeSpan.FromSeconds(15);
    private readonly TimeSpan _closeTimeout = TimeSpan.FromSeconds(1);
    private readonly int _maxPendingHandshakes = 50;
    private readonly long _receiveQueueBytes = DefaultReceiveQueueBytes;
    private readonly TimeSpan _firstMessageTimeout = TimeSpan.FromSeconds(1);
    private readonly int _maxUnauthenticated = 1024;
    private readonly int _maxUnauthenticatedPerAddress = 256;

    /// <summary>The default <see cref="ReceiveQueueBytes"/>: 4 MiB.</summary>
    public const long DefaultReceiveQueueBytes = 4 * 1024 * 1024;

    /// <summary>
    /// How many bytes of received frames (each counted as its length plus 64) may wait for the application before the
    /// link stops reading the socket; one frame may pass it, so a link holds at most this plus one
    /// <see cref="LinkOptions.MaxFrameSize"/>. Default 4 MiB (<see cref="DefaultReceiveQueueBytes"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public long ReceiveQueueBytes
    {
        get => _receiveQueueBytes;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _receiveQueueBytes = value;
        }
    }

    /// <summary>
    /// How long an accepted connection may stay silent before its first handshake message arrives; a connection
    /// still silent then is closed and counted (<see cref="TcpLinkListener.SilentCount"/>). Silent connections hold no
    /// handshake slot (<see cref="MaxPendingHandshakes"/>), only a place among <see cref="MaxUnauthenticatedConnections"/>,
    /// for at most this long. Default 1 s.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan FirstMessageTimeout { get => _firstMessageTimeout; init => _firstMessageTimeout = Positive(value); }

    /// <summary>
    /// Accepted connections not yet authenticated (silent, or in the handshake) at which the listener refuses every
    /// newcomer; from half of it, it refuses newcomers at random with a probability rising linearly to 1 (OpenSSH's
    /// <c>MaxStartups 512:100:1024</c>). Refusing closes the socket at once, throws nothing and is counted
    /// (<see cref="TcpLinkListener.RefusedCount"/>). Default 1024.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int MaxUnauthenticatedConnections
    {
        get => _maxUnauthenticated;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _maxUnauthenticated = value;
        }
    }

    /// <summary>
    /// Accepted connections not yet authenticated that one IP address may hold; beyond it, its newcomers are refused
    /// and counted (OpenSSH's <c>PerSourceMaxStartups</c>). Default 256.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int MaxUnauthenticatedPerAddress
    {
        get => _maxUnauthenticatedPerAddress;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _maxUnauthenticatedPerAddress = value;
        }
    }

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
    /// The listener's limit on connections running the handshake at once (after their first byte came); a connection
    /// beyond it waits for a slot, up to <see cref="HandshakeTimeout"/>. One address holds at most half the slots, and a freed
    /// slot goes to the waiting connection whose address holds the fewest, so stalled handshakes from one address never
    /// keep another address's peers waiting. The accept queue of authenticated links the
    /// application has not taken holds as many. Default 50 (go-ethereum's MaxPendingPeers).
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
