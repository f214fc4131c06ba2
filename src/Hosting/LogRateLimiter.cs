namespace PeerKit.Hosting;

/// <summary>
/// A fixed-window limit on log entries: at most <c>limit</c> per window; the entries refused are counted and
/// handed to the next one allowed, so a flood becomes one line saying how much was left out. Takes the time as a
/// parameter; not thread-safe on its own (callers lock).
/// </summary>
internal sealed class LogRateLimiter
{
    private readonly int _limit;
    private readonly TimeSpan _window;
    private TimeSpan _windowStart = TimeSpan.MinValue;
    private int _used;
    private long _suppressed;

    public LogRateLimiter(int limit, TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        _limit = limit;
        _window = window;
    }

    /// <summary>Entries refused so far in total.</summary>
    public long TotalSuppressed { get; private set; }

    /// <summary>
    /// Whether an entry may be written at <paramref name="now"/>; when it may, <paramref name="suppressedBefore"/> is the
    /// number refused since the last one written.
    /// </summary>
    public bool TryAcquire(TimeSpan now, out long suppressedBefore)
    {
        if (_windowStart == TimeSpan.MinValue || now - _windowStart >= _window || now < _windowStart)
        {
            _windowStart = now;
            _used = 0;
        }

        if (_used < _limit)
        {
            _used++;
            suppressedBefore = _suppressed;
            _suppressed = 0;
            return true;
        }

        _suppressed++;
        TotalSuppressed++;
        suppressedBefore = 0;
        return false;
    }
}
