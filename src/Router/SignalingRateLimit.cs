namespace PeerKit.Routing;

/// <summary>
/// A token bucket for one session's control messages: <c>rate</c> messages a second on average, bursts up to
/// <c>burst</c>. It takes the time as a parameter and holds no reference to the router.
/// </summary>
internal sealed class SignalingRateLimit
{
    private readonly double _rate;
    private readonly double _burst;
    private double _tokens;
    private long _lastTicks;

    public SignalingRateLimit(double rate, int burst, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(burst);
        _rate = rate;
        _burst = burst;
        _tokens = burst;
        _lastTicks = now.UtcTicks;
    }

    /// <summary>Takes one token if there is one; <c>false</c> means the message is over the rate.</summary>
    public bool TryTake(DateTimeOffset now)
    {
        long ticks = now.UtcTicks;
        if (ticks > _lastTicks)
        {
            _tokens = Math.Min(_burst, _tokens + (ticks - _lastTicks) / (double)TimeSpan.TicksPerSecond * _rate);
            _lastTicks = ticks;
        }

        if (_tokens >= 1)
        {
            _tokens -= 1;
            return true;
        }

        return false;
    }
}
