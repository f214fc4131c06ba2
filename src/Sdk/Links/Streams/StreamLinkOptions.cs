namespace PeerKit.Links.Streams;

/// <summary>
/// Options shared by the links that carry PeerKit's framed, Noise-encrypted byte stream (<see cref="StreamLink"/>):
/// <see cref="Tcp.TcpLinkOptions"/> and <see cref="WebSockets.WebSocketLinkOptions"/>.
/// </summary>
public abstract class StreamLinkOptions : LinkOptions
{
    private readonly TimeSpan _handshakeTimeout = TimeSpan.FromSeconds(5);
    private readonly TimeSpan _connectTimeout = TimeSpan.FromSeconds(15);
    private readonly TimeSpan _closeTimeout = TimeSpan.FromSeconds(1);
    private readonly int _maxPendingHandshakes = 50;
    private readonly long _receiveQueueBytes = DefaultReceiveQueueBytes;

    /// <summary>Creates the options with their defaults.</summary>
    private protected StreamLinkOptions()
    {
    }

    /// <summary>The default <see cref="ReceiveQueueBytes"/>: 4 MiB.</summary>
    public const long DefaultReceiveQueueBytes = 4 * 1024 * 1024;

    /// <summary>
    /// How many bytes of received frames (each counted as its length plus 64) may wait for the application before the
    /// link stops reading its connection; one frame may pass it, so a link holds at most this plus one
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
    /// How long a handshake may take, per connection, before it fails with <see cref="HandshakeFailure.Timeout"/>
    /// and the connection is closed. Default 5 s (go-ethereum's handshake timeout).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan HandshakeTimeout { get => _handshakeTimeout; init => _handshakeTimeout = Positive(value); }

    /// <summary>How long connecting waits for the connection (TCP, or the WebSocket upgrade), before the handshake. Default 15 s.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan ConnectTimeout { get => _connectTimeout; init => _connectTimeout = Positive(value); }

    /// <summary>
    /// How long disposing a link waits for the remote side to finish closing after this side's close (a TCP FIN, a
    /// WebSocket close frame), so frames already sent are delivered rather than reset. Default 1 s.
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

    /// <summary>
    /// A listener's limit on connections running the handshake at once; a connection beyond it waits for a slot (TCP,
    /// up to <see cref="HandshakeTimeout"/>) or is refused (WebSocket, with HTTP 503). One address holds at most half
    /// the slots. The accept queue of authenticated links the application has not taken holds as many. Default 50
    /// (go-ethereum's MaxPendingPeers).
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

    /// <summary>Checks that <paramref name="value"/> is positive.</summary>
    private protected static TimeSpan Positive(TimeSpan value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
        return value;
    }
}
