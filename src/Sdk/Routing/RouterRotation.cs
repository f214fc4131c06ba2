namespace PeerKit.Routing;

/// <summary>
/// The routers a client may attach to, in the order given, and which to try next: after a failure (the router went
/// away or did not answer), the next one in the list that has not failed within the hold time, or else the one that
/// failed longest ago. A success clears the router's failure. Pure state: time comes as a parameter, tested alone.
/// </summary>
internal sealed class RouterRotation
{
    private readonly NodeAddress[] _routers;
    private readonly long[] _failedAt;
    private readonly long _holdMs;
    private int _current;

    /// <param name="routers">The routers, at least one.</param>
    /// <param name="hold">How long a router that failed is passed over while another has not failed.</param>
    public RouterRotation(IReadOnlyList<NodeAddress> routers, TimeSpan hold)
    {
        ArgumentNullException.ThrowIfNull(routers);
        if (routers.Count == 0)
        {
            throw new ArgumentException("At least one router is needed.", nameof(routers));
        }

        _routers = [.. routers];
        _failedAt = new long[_routers.Length];
        Array.Fill(_failedAt, long.MinValue);
        _holdMs = (long)hold.TotalMilliseconds;
    }

    /// <summary>The router the client uses (or tries) now.</summary>
    public NodeAddress Current => _routers[_current];

    /// <summary>How many routers the list has.</summary>
    public int Count => _routers.Length;

    /// <summary>The current router failed at <paramref name="nowMs"/>; returns the router to try next.</summary>
    public NodeAddress Failed(long nowMs)
    {
        _failedAt[_current] = nowMs;
        int best = -1;
        for (int step = 1; step <= _routers.Length; step++)
        {
            int i = (_current + step) % _routers.Length;
            if (_failedAt[i] == long.MinValue || nowMs - _failedAt[i] >= _holdMs)
            {
                best = i;
                break;
            }
        }

        if (best < 0)
        {
            // Every router failed within the hold: the one that failed longest ago (the next in order on a tie).
            best = (_current + 1) % _routers.Length;
            for (int step = 1; step <= _routers.Length; step++)
            {
                int i = (_current + step) % _routers.Length;
                if (_failedAt[i] < _failedAt[best])
                {
                    best = i;
                }
            }
        }

        _current = best;
        return Current;
    }

    /// <summary>The current router answered: its failure is forgotten.</summary>
    public void Attached() => _failedAt[_current] = long.MinValue;
}
