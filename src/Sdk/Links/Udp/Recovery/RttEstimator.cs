namespace PeerKit.Links.Udp;

/// <summary>The RFC 6298 round-trip estimator: SRTT, RTTVAR and RTO, all in microseconds.</summary>
internal sealed class RttEstimator
{
    private readonly long _minRto;
    private readonly long _maxRto;

    public RttEstimator(long initialRto, long minRto, long maxRto)
    {
        _minRto = minRto;
        _maxRto = maxRto;
        Rto = Math.Clamp(initialRto, minRto, maxRto);
    }

    public bool HasSample { get; private set; }

    public long Srtt { get; private set; }

    public long RttVar { get; private set; }

    public long MinRtt { get; private set; } = long.MaxValue;

    public long Latest { get; private set; }

    public long Rto { get; private set; }

    public void AddSample(long rtt, long ackDelay)
    {
        rtt = Math.Max(rtt, 1);
        MinRtt = Math.Min(MinRtt, rtt);
        // Subtract the peer's ack delay unless that would take the sample below the smallest seen (RFC 9002 §5.3).
        if (rtt - ackDelay >= MinRtt)
        {
            rtt -= ackDelay;
        }

        Latest = rtt;
        if (!HasSample)
        {
            HasSample = true;
            Srtt = rtt;
            RttVar = rtt / 2;
        }
        else
        {
            RttVar = (3 * RttVar + Math.Abs(Srtt - rtt)) / 4;
            Srtt = (7 * Srtt + rtt) / 8;
        }

        // RTO = SRTT + max(G, 4·RTTVAR), with G one millisecond of timer granularity.
        Rto = Math.Clamp(Srtt + Math.Max(1000, 4 * RttVar), _minRto, _maxRto);
    }
}
