namespace PeerKit.Links.Udp;

/// <summary>
/// A congestion controller: how many bytes a link may have in flight. <see cref="NewReno"/> is the one in use; another
/// algorithm (CUBIC, BBR) is another implementation. Owned by one link and used under its lock; it takes the time
/// as a parameter and never calls back. Times in microseconds, sizes in bytes of UDP payload.
/// </summary>
internal interface ICongestionControl
{
    /// <summary>The congestion window: bytes that may be in flight.</summary>
    long Window { get; }

    /// <summary>The slow-start threshold (<see cref="long.MaxValue"/> before the first loss).</summary>
    long SlowStartThreshold { get; }

    /// <summary>Whether the window is still growing exponentially.</summary>
    bool InSlowStart { get; }

    /// <summary>Whether another packet may leave with <paramref name="bytesInFlight"/> in flight.</summary>
    bool CanSend(long bytesInFlight);

    /// <summary>A packet of <paramref name="size"/> bytes sent at <paramref name="sentAt"/>, with
    /// <paramref name="inFlightAtSend"/> bytes in flight then (itself included), was acknowledged.</summary>
    /// <param name="sentAt">When it was sent.</param>
    /// <param name="size">Its size.</param>
    /// <param name="inFlightAtSend">Bytes in flight when it was sent.</param>
    /// <param name="maxDatagramSize">The largest packet the link sends now.</param>
    void OnPacketAcked(long sentAt, int size, long inFlightAtSend, int maxDatagramSize);

    /// <summary>
    /// A packet sent at <paramref name="sentAt"/> was lost: by the retransmission timeout when
    /// <paramref name="timeout"/>, else by acknowledgements of later packets.
    /// </summary>
    /// <param name="sentAt">When it was sent.</param>
    /// <param name="now">The time.</param>
    /// <param name="timeout">Lost by the retransmission timeout.</param>
    /// <param name="floor">A window the reduction does not go below (the bandwidth-delay product measured), 0 for none.</param>
    /// <param name="maxDatagramSize">The largest packet the link sends now.</param>
    void OnPacketLost(long sentAt, long now, bool timeout, long floor, int maxDatagramSize);
}
