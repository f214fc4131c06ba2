namespace PeerKit.Links.Udp;

/// <summary>
/// A token bucket in bytes: a binding's allowance of <see cref="RelayLimits.MaxBytesPerSecond"/> with a burst of
/// <see cref="RelayLimits.BurstBytes"/>. Used by one thread (the router's receive thread); times in microseconds.
/// </summary>
internal struct RelayRate
{
    private long _tokens;
    private long _updated;

    /// <summary>A full bucket at <paramref name="now"/>.</summary>
    public RelayRate(long burst, long now)
    {
        _tokens = burst;
        _updated = now;
    }

    /// <summary>Takes <paramref name="bytes"/> if the bucket holds them at <paramref name="now"/>; false (nothing taken) if not.</summary>
    public bool TryTake(int bytes, long now, long bytesPerSecond, long burst)
    {
        long elapsed = now - _updated;
        if (elapsed > 0)
        {
            // Past the time a full refill takes, the bucket is full: no product that could overflow.
            double refill = elapsed * (bytesPerSecond / 1_000_000.0);
            _tokens = refill >= burst ? burst : Math.Min(burst, _tokens + (long)refill);
            _updated = now;
        }

        if (_tokens < bytes)
        {
            return false;
        }

        _tokens -= bytes;
        return true;
    }
}
