namespace PeerKit.Links.Udp;

/// <summary>
/// What a <see cref="RelaySwitch"/> allows each binding (a relayed session between two clients) and in total. Every
/// relayed byte counts: the relay header and the encrypted packet, in both directions.
/// </summary>
public sealed record RelayLimits
{
    private readonly long _maxBytesPerSecond = 8L << 20;
    private readonly long _burstBytes = 1L << 20;
    private readonly long _maxBytesPerBinding = 1L << 30;
    private readonly int _maxBindings = 65_536;

    /// <summary>
    /// The rate one binding may relay, both directions together (bytes per second, a token bucket of
    /// <see cref="BurstBytes"/>). Datagrams above it are dropped and counted, and the binding reports
    /// <see cref="RelayStatus.RateLimited"/>. Default 8 MiB/s.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public long MaxBytesPerSecond { get => _maxBytesPerSecond; init => _maxBytesPerSecond = Positive(value); }

    /// <summary>How many bytes a binding may relay at once above its rate, after a quiet spell. Default 1 MiB.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 65,536 (one datagram must always fit).</exception>
    public long BurstBytes
    {
        get => _burstBytes;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 65_536);
            _burstBytes = value;
        }
    }

    /// <summary>
    /// The most bytes one binding relays in its life; then it reports <see cref="RelayStatus.ResourceLimitExceeded"/>
    /// and forwards nothing more (its links fall back to, or stay on, a direct path, or close). Default 1 GiB.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public long MaxBytesPerBinding { get => _maxBytesPerBinding; init => _maxBytesPerBinding = Positive(value); }

    /// <summary>
    /// The most bindings the switch holds at once; <see cref="RelaySwitch.Bind"/> refuses more with
    /// <see cref="RelayStatus.ResourceLimitExceeded"/>. A binding holds about 300 bytes. Default 65,536.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int MaxBindings
    {
        get => _maxBindings;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _maxBindings = value;
        }
    }

    private static long Positive(long value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, 0);
        return value;
    }
}
