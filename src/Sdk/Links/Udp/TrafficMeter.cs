namespace PeerKit.Links.Udp;

/// <summary>
/// A link's packet and byte counts in each direction, and their rates over the last full second (with the share of
/// packets lost). Owned by one link and used under its lock; times in microseconds.
/// </summary>
internal sealed class TrafficMeter
{
    private long _rateAt;
    private long _rateSentPackets;
    private long _rateReceivedPackets;
    private long _rateSentBytes;
    private long _rateReceivedBytes;
    private long _rateLost;

    public long PacketsSent { get; private set; }

    public long PacketsReceived { get; private set; }

    public long BytesSent { get; private set; }

    public long BytesReceived { get; private set; }

    public double PacketsSentPerSecond { get; private set; }

    public double PacketsReceivedPerSecond { get; private set; }

    public double BytesSentPerSecond { get; private set; }

    public double BytesReceivedPerSecond { get; private set; }

    /// <summary>Packets lost per packet sent, over the last second measured.</summary>
    public double Loss { get; private set; }

    /// <summary>Starts the first second at <paramref name="now"/>.</summary>
    public void Start(long now) => _rateAt = now;

    public void OnSent(int size)
    {
        PacketsSent++;
        BytesSent += size;
    }

    public void OnReceived(int size)
    {
        PacketsReceived++;
        BytesReceived += size;
    }

    /// <summary>Once a second has passed since the last, computes the rates (with <paramref name="packetsLost"/> in all so far).</summary>
    /// <returns>Whether a second was measured.</returns>
    public bool Tick(long now, long packetsLost)
    {
        if (now - _rateAt < 1_000_000)
        {
            return false;
        }

        double seconds = (now - _rateAt) / 1e6;
        PacketsSentPerSecond = (PacketsSent - _rateSentPackets) / seconds;
        PacketsReceivedPerSecond = (PacketsReceived - _rateReceivedPackets) / seconds;
        BytesSentPerSecond = (BytesSent - _rateSentBytes) / seconds;
        BytesReceivedPerSecond = (BytesReceived - _rateReceivedBytes) / seconds;
        long sent = PacketsSent - _rateSentPackets;
        Loss = sent == 0 ? 0 : Math.Min(1.0, (double)(packetsLost - _rateLost) / sent);
        _rateAt = now;
        _rateSentPackets = PacketsSent;
        _rateReceivedPackets = PacketsReceived;
        _rateSentBytes = BytesSent;
        _rateReceivedBytes = BytesReceived;
        _rateLost = packetsLost;
        return true;
    }
}
