using PeerKit.Links.Streams;

namespace PeerKit.Links.Tcp;

/// <summary>Options of <see cref="TcpLink"/> and <see cref="TcpLinkListener"/>.</summary>
public sealed class TcpLinkOptions : StreamLinkOptions
{
    private readonly TimeSpan _firstMessageTimeout = TimeSpan.FromSeconds(1);
    private readonly int _maxUnauthenticated = 1024;
    private readonly int _maxUnauthenticatedPerAddress = 256;

    /// <summary>
    /// How long an accepted connection may stay silent before its first handshake message arrives; a connection
    /// still silent then is closed and counted (<see cref="TcpLinkListener.SilentCount"/>). Silent connections hold no
    /// handshake slot (<see cref="StreamLinkOptions.MaxPendingHandshakes"/>), only a place among <see cref="MaxUnauthenticatedConnections"/>,
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

    /// <summary>Disable Nagle's algorithm (send small frames at once). Default true.</summary>
    public bool NoDelay { get; init; } = true;
}
