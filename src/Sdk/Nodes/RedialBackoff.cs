namespace PeerKit;

/// <summary>
/// When to redial a static peer: right away the first time, then after a delay that starts at the minimum and
/// doubles after each failure up to the maximum; a session that came up resets it. Times are given, never read.
/// </summary>
internal sealed class RedialBackoff
{
    private readonly TimeSpan _minDelay;
    private readonly TimeSpan _maxDelay;
    private TimeSpan _delay;

    public RedialBackoff(TimeSpan minDelay, TimeSpan maxDelay)
    {
        _minDelay = minDelay;
        _maxDelay = maxDelay;
        _delay = minDelay;
    }

    /// <summary>The delay the next failure waits.</summary>
    public TimeSpan NextDelay => _delay;

    /// <summary>A dial failed (or a session ended) at <paramref name="now"/>: returns when to dial again, and backs off.</summary>
    public DateTimeOffset Failed(DateTimeOffset now)
    {
        DateTimeOffset due = now + _delay;
        _delay = TimeSpan.FromTicks(Math.Min(_delay.Ticks * 2, _maxDelay.Ticks));
        return due;
    }

    /// <summary>A session came up: the next failure waits the minimum again.</summary>
    public void Connected() => _delay = _minDelay;
}
