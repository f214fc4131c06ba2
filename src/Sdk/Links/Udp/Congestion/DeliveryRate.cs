namespace PeerKit.Links.Udp;

/// <summary>
/// The delivery rate (bytes acknowledged per second between a packet's send and its acknowledgement, as in BBR's
/// rate samples): the largest sample of the last ten round trips (at least a second) estimates the path's
/// bandwidth. Owned by one link and used under its lock; times in microseconds.
/// </summary>
internal sealed class DeliveryRate
{
    private long _delivered;
    private long _deliveredTime;
    private long _bandwidthAt;

    /// <param name="now">The link's start.</param>
    public DeliveryRate(long now) => _deliveredTime = now;

    /// <summary>The bandwidth estimate, in bytes per second (0 before the first sample).</summary>
    public double Bandwidth { get; private set; }

    /// <summary>Stamps a packet about to leave with what was delivered so far.</summary>
    public void OnPacketSent(SentPacket packet)
    {
        packet.DeliveredAtSend = _delivered;
        packet.DeliveredTimeAtSend = _deliveredTime;
    }

    /// <summary>A packet was acknowledged: takes a rate sample; <paramref name="srtt"/> sizes the window a maximum is kept.</summary>
    public void OnPacketAcked(SentPacket packet, long now, long srtt)
    {
        _delivered += packet.Size;
        _deliveredTime = now;
        long interval = now - packet.DeliveredTimeAtSend;
        if (interval > 0)
        {
            double rate = (_delivered - packet.DeliveredAtSend) * 1e6 / interval;
            long window = Math.Max(10 * srtt, 1_000_000);
            if (rate >= Bandwidth || now - _bandwidthAt > window)
            {
                Bandwidth = rate;
                _bandwidthAt = now;
            }
        }
    }

    /// <summary>The bandwidth-delay product in bytes for a round trip of <paramref name="rtt"/> µs.</summary>
    public long BytesPer(long rtt) => (long)(Bandwidth * rtt / 1e6);
}
