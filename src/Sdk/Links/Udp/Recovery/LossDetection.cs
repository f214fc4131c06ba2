namespace PeerKit.Links.Udp;

/// <summary>
/// Sent-packet tracking, acknowledgement processing and loss detection (RFC 9002 in spirit): the ack-eliciting
/// packets in flight and their bytes, the round-trip estimate, the largest packet acknowledged, the retransmission
/// timeout and its back-off. It decides which packets were acknowledged or lost and hands them back in a list;
/// what they carried is the caller's business. Owned by one link and used under its lock; times in microseconds.
/// </summary>
internal sealed class LossDetection
{
    /// <summary>Packets this far below the largest acknowledged are lost (fast retransmit).</summary>
    public const int PacketThreshold = 3;

    /// <summary>The largest factor the retransmission timeout backs off by.</summary>
    public const int MaxBackoff = 64;

    /// <summary>Packet records an idle link keeps for reuse (<see cref="TrimIdle"/>).</summary>
    public const int PoolKeep = 4;

    private readonly SentRing _sent = new();
    private readonly Stack<SentPacket> _pool = new();
    private int _poolLow; // the fewest records the pool held since the last TrimIdle

    public LossDetection(RttEstimator rtt) => Rtt = rtt;

    /// <summary>The round-trip estimate, fed by acknowledgements of the largest packet of each ACK frame.</summary>
    public RttEstimator Rtt { get; }

    /// <summary>The factor the retransmission timeout is multiplied by: doubled by each timeout, reset by progress.</summary>
    public int Backoff { get; private set; } = 1;

    /// <summary>The retransmission timeout, backed off.</summary>
    public long BackedOffRto => Rtt.Rto * Backoff;

    /// <summary>The largest packet number acknowledged, once any was.</summary>
    public ulong? LargestAcked { get; private set; }

    /// <summary>Bytes of ack-eliciting packets in flight.</summary>
    public long BytesInFlight { get; private set; }

    /// <summary>Ack-eliciting packets in flight.</summary>
    public int InFlightCount => _sent.Count;

    /// <summary>Packets declared lost so far.</summary>
    public long PacketsLost { get; private set; }

    /// <summary>A packet in flight (for its send time).</summary>
    public SentPacket? Get(ulong pn) => _sent.Get(pn);

    /// <summary>Tracks an ack-eliciting packet just sent (its number, size and time set).</summary>
    public void OnPacketSent(SentPacket packet)
    {
        _sent.Add(packet);
        BytesInFlight += packet.Size;
        packet.InFlightAtSend = BytesInFlight;
    }

    /// <summary>Moves the packets in flight numbered <paramref name="lo"/>..<paramref name="hi"/> to <paramref name="acked"/>.</summary>
    public void OnAckRange(ulong lo, ulong hi, List<SentPacket> acked)
    {
        ulong from = Math.Max(lo, _sent.Base);
        ulong to = Math.Min(hi, _sent.End == 0 ? 0 : _sent.End - 1);
        for (ulong pn = from; pn <= to && _sent.Count > 0; pn++)
        {
            if (_sent.Remove(pn) is { } packet)
            {
                BytesInFlight -= packet.Size;
                acked.Add(packet);
            }
        }
    }

    /// <summary>
    /// Ends an ACK frame: <paramref name="largest"/> becomes the largest acknowledged if it is; an RTT sample is
    /// taken when that packet was in flight (<paramref name="largestSentAt"/> above zero); progress resets the back-off.
    /// </summary>
    public void OnAckFrame(ulong largest, long largestSentAt, long ackDelay, bool newlyAcked, long now)
    {
        if (LargestAcked is not { } previous || largest > previous)
        {
            LargestAcked = largest;
        }

        if (largestSentAt > 0)
        {
            Rtt.AddSample(now - largestSentAt, ackDelay);
        }

        if (newlyAcked)
        {
            Backoff = 1;
        }
    }

    /// <summary>
    /// Declares lost the packets <see cref="PacketThreshold"/> below the largest acknowledged, or sent more than 9/8
    /// of an RTT before <paramref name="now"/> (RFC 9002 §6.1), and moves them to <paramref name="lost"/>.
    /// </summary>
    public void DetectLosses(long now, List<SentPacket> lost)
    {
        if (LargestAcked is not { } largest)
        {
            return;
        }

        long delay = Math.Max(1000, 9 * Math.Max(Rtt.Srtt, Rtt.Latest) / 8);
        ulong end = Math.Min(largest, _sent.End);
        for (ulong pn = _sent.Base; pn < end && _sent.Count > 0; pn++)
        {
            SentPacket? packet = _sent.Get(pn);
            if (packet is not null && (largest - pn >= PacketThreshold || now - packet.SentAt >= delay))
            {
                Lose(pn, lost);
            }
        }
    }

    /// <summary>
    /// The retransmission timeout: when the oldest packet in flight waited longer than the backed-off RTO, every
    /// packet that old is lost (moved to <paramref name="lost"/>) and the timeout doubles.
    /// </summary>
    /// <returns>Whether the timeout fired.</returns>
    public bool OnTimeout(long now, List<SentPacket> lost)
    {
        SentPacket? oldest = _sent.Oldest();
        if (oldest is null || now - oldest.SentAt < BackedOffRto)
        {
            return false;
        }

        long threshold = now - BackedOffRto;
        for (ulong pn = _sent.Base; pn < _sent.End && _sent.Count > 0; pn++)
        {
            SentPacket? packet = _sent.Get(pn);
            if (packet is not null && packet.SentAt <= threshold)
            {
                Lose(pn, lost);
            }
        }

        BackOff();
        return true;
    }

    /// <summary>Doubles the retransmission timeout (up to <see cref="MaxBackoff"/> times the RTO).</summary>
    public void BackOff() => Backoff = Math.Min(Backoff * 2, MaxBackoff);

    /// <summary>
    /// The peer asks for everything unacknowledged again (it left our packets unacknowledged while its queue was full):
    /// every packet in flight leaves the books, not counted lost, and goes to <paramref name="resend"/>.
    /// </summary>
    public void TakeAll(List<SentPacket> resend)
    {
        for (ulong pn = _sent.Base; pn < _sent.End && _sent.Count > 0; pn++)
        {
            if (_sent.Remove(pn) is { } packet)
            {
                BytesInFlight -= packet.Size;
                resend.Add(packet);
            }
        }

        Backoff = 1;
    }

    /// <summary>A packet record to fill (pooled).</summary>
    public SentPacket Rent()
    {
        if (_pool.Count == 0)
        {
            _poolLow = 0;
            return new SentPacket();
        }

        SentPacket packet = _pool.Pop();
        _poolLow = Math.Min(_poolLow, _pool.Count);
        return packet;
    }

    /// <summary>Records pooled for reuse (for tests).</summary>
    internal int PooledCount => _pool.Count;

    /// <summary>
    /// Gives back what a burst left (the link's timer, once a second): after a quiet period (the pool lent at most
    /// <see cref="PoolKeep"/> records in it), the records past <see cref="PoolKeep"/>; and the ring of packets in
    /// flight after a period that never needed more than its first size.
    /// </summary>
    public void TrimIdle()
    {
        // Only after a quiet period (the pool never lent more than PoolKeep records in it): a link that is busy keeps
        // what it uses, so its steady state allocates nothing.
        int surplus = _pool.Count - _poolLow <= PoolKeep ? _pool.Count - PoolKeep : 0;
        if (surplus > 0)
        {
            for (int i = 0; i < surplus; i++)
            {
                _pool.Pop();
            }

            _pool.TrimExcess();
        }

        _poolLow = _pool.Count;
        _sent.Trim();
    }

    /// <summary>Returns a packet record the caller is done with (acknowledged, lost, or never sent).</summary>
    public void Recycle(SentPacket? packet)
    {
        if (packet is null)
        {
            return;
        }

        packet.Chunks.Clear();
        if (_pool.Count < 1024)
        {
            _pool.Push(packet);
        }
    }

    private void Lose(ulong pn, List<SentPacket> lost)
    {
        SentPacket packet = _sent.Remove(pn)!;
        BytesInFlight -= packet.Size;
        PacketsLost++;
        lost.Add(packet);
    }
}
