namespace PeerKit.Routing;

/// <summary>
/// The delays between attempts to reach the router again: exponential from a minimum to a maximum, with full jitter
/// (a random delay between half the step and the step), so clients of a restarted router do not all return at once.
/// It takes its random numbers as a parameter and is tested alone.
/// </summary>
internal sealed class RouterReconnectBackoff
{
    private readonly TimeSpan _min;
    private readonly TimeSpan _max;
    private int _attempt;

    public RouterReconnectBackoff(TimeSpan min, TimeSpan max)
    {
        _min = min;
        _max = max < min ? min : max;
    }

    /// <summary>The delay before the next attempt; <paramref name="random01"/> is a uniform number in [0, 1).</summary>
    public TimeSpan Next(double random01)
    {
        double step = Math.Min(_max.TotalMilliseconds, _min.TotalMilliseconds * Math.Pow(2, Math.Min(_attempt, 30)));
        _attempt++;
        return TimeSpan.FromMilliseconds(step / 2 + (step / 2 * Math.Clamp(random01, 0, 1)));
    }

    /// <summary>Starts again from the minimum (the router answered).</summary>
    public void Reset() => _attempt = 0;
}
