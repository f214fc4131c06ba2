namespace PeerKit.Links.Udp;

/// <summary>
/// A token bucket in bytes: a binding's allowance of <see cref="RelayLimits.MaxBytesPerSecond"/> with a burst of
/// <see cref="RelayLimits.BurstBytes"/>. Used by one thread (the router's receive thread); times in microseconds.
/// The bucket counts in millionths of a byte (a byte per second for a microsecond), so a refill smaller than a byte is
/// kept, not rounded away: at low rates with datagrams microseconds apart the bucket still refills at the rate.
/// </summary>
internal struct RelayRate
{
    private const long Scale = 1_000_000;
    private long _credit;
    private long _updated;

    /// <summary>A full bucket at <paramref name="now"/>.</summary>
    public RelayRate(long burst, long now)
    {
        _credit = burst * Scale;
        _updated = now;
    }

    /// <summary>Takes <paramref name="bytes"/> if the bucket holds them at <paramref name="now"/>; false (nothing taken) if not.</summary>
    public bool TryTake(int bytes, long now, long bytesPerSecond, long burst)
    {
        long elapsed = now - _updated;
        if (elapsed > 0)
        {
            // Past the time a full refill takes, the bucket is full: no product that could overflow.
            long full = burst * Scale;
            _credit = elapsed * (double)bytesPerSecond >= full ? full : Math.Min(full, _credit + (elapsed * bytesPerSecond));
            _updated = now;
        }

        long cost = bytes * Scale;
        if (_credit < cost)
        {
            return false;
        }

        _credit -= cost;
        return true;
    }
}
