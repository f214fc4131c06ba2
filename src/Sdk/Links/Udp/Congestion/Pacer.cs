namespace PeerKit.Links.Udp;

/// <summary>
/// Pacing: a token bucket filled at the pacing rate (the congestion window per smoothed RTT, doubled in slow start,
/// 1.25× after), holding at most two timer periods of it (at least four packets), so the window is spread over the
/// round trip instead of leaving in one burst. No pacing before the first RTT sample. Owned by one link and used
/// under its lock; times in microseconds.
/// </summary>
internal sealed class Pacer
{
    private readonly long _timerResolution;
    private double _tokens;
    private long _tokensAt;

    /// <param name="timerResolution">The link timer's period, µs.</param>
    /// <param name="now">The link's start.</param>
    public Pacer(long timerResolution, long now)
    {
        _timerResolution = timerResolution;
        _tokensAt = now;
    }

    /// <summary>Bytes that may leave now (may be negative after a large packet).</summary>
    public double Tokens => _tokens;

    /// <summary>The pacing rate, bytes per second, for a window, a slow-start state and a smoothed RTT (0: not paced).</summary>
    public static double Rate(long window, bool slowStart, long srtt, bool hasSample) =>
        hasSample ? (slowStart ? 2.0 : 1.25) * window * 1e6 / Math.Max(srtt, 100) : 0;

    /// <summary>Adds the tokens earned since the last refill at <paramref name="rate"/> bytes per second.</summary>
    /// <param name="now">The time.</param>
    /// <param name="rate">Bytes per second.</param>
    /// <param name="maxDatagramSize">The largest packet the link sends now (the bucket holds at least four).</param>
    public void Refill(long now, double rate, int maxDatagramSize)
    {
        if (rate <= 0)
        {
            return;
        }

        double burst = Math.Max(4.0 * maxDatagramSize, rate * 2 * _timerResolution / 1e6);
        _tokens = Math.Min(burst, _tokens + (rate * (now - _tokensAt) / 1e6));
        _tokensAt = now;
    }

    /// <summary>Whether a packet may leave: always before the first RTT sample, else while tokens remain.</summary>
    public bool CanSend(bool hasRttSample) => !hasRttSample || _tokens > 0;

    /// <summary>A packet of <paramref name="size"/> bytes left.</summary>
    public void OnSent(int size) => _tokens -= size;
}
