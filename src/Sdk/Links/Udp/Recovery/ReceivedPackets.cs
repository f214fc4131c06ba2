using PeerKit.Serialization;

namespace PeerKit.Links.Udp;

/// <summary>
/// The packets received, as ranges of packet numbers (newest first, at most <see cref="MaxRanges"/>), and the
/// acknowledgement owed for them: at once after <see cref="AckEvery"/> ack-eliciting packets, when one arrives below the
/// largest received (so the sender sees the gap it filled and retransmits fast), or when asked; else within the maximum ack delay. Writes the ACK frame. Owned by one link and
/// used under its lock; times in microseconds.
/// </summary>
internal sealed class ReceivedPackets
{
    /// <summary>Acknowledge at once after this many ack-eliciting packets in order.</summary>
    public const int AckEvery = 8;

    /// <summary>Ranges remembered; the oldest go first.</summary>
    public const int MaxRanges = 64;

    private readonly List<(ulong Lo, ulong Hi)> _ranges = new();
    private readonly long _maxAckDelay;
    private ulong _largest;
    private long _largestAt;
    private int _ackPending;
    private bool _ackNow;
    private long _ackDeadline;

    /// <param name="maxAckDelay">The longest an acknowledgement waits, µs (0: at once).</param>
    public ReceivedPackets(long maxAckDelay) => _maxAckDelay = maxAckDelay;

    /// <summary>Whether any packet was received (an ACK frame can be written).</summary>
    public bool Any => _ranges.Count > 0;

    /// <summary>Ack-eliciting packets not yet acknowledged.</summary>
    public int Pending => _ackPending;

    /// <summary>The ranges received, newest first.</summary>
    public IReadOnlyList<(ulong Lo, ulong Hi)> Ranges => _ranges;

    /// <summary>Whether the acknowledgement owed is due now.</summary>
    public bool AckDue(long now) => _ackPending > 0 && (_ackNow || now >= _ackDeadline);

    /// <summary>Packet <paramref name="pn"/> arrived (authenticated, its frames taken).</summary>
    public void OnPacket(ulong pn, bool eliciting, long now)
    {
        bool first = _ranges.Count == 0;
        if (first || pn > _largest)
        {
            _largest = pn;
            _largestAt = now;
        }

        Record(pn);
        if (!eliciting)
        {
            return;
        }

        if (_ackPending++ == 0)
        {
            _ackDeadline = now + _maxAckDelay;
        }

        if (_ackPending >= AckEvery || pn != _largest || _maxAckDelay == 0)
        {
            _ackNow = true;
        }
    }

    /// <summary>Makes the acknowledgement owed due at once (after a move to a new path).</summary>
    public void AckNow() => _ackNow = true;

    /// <summary>An ACK frame left: nothing is owed.</summary>
    public void OnAckSent()
    {
        _ackPending = 0;
        _ackNow = false;
    }

    /// <summary>
    /// Writes an ACK frame: largest, ack delay (µs), <paramref name="credit"/> (the cost of reliable frames the peer may
    /// have started in all), first range length, extra range count, then (gap, length) pairs, within
    /// <see cref="UdpWire.AckBudget"/> bytes. Needs <see cref="Any"/>.
    /// </summary>
    /// <returns>The frame's size.</returns>
    public int WriteAck(Span<byte> payload, long now, ulong credit)
    {
        (ulong lo, ulong hi) = _ranges[0];
        ulong delay = (ulong)Math.Max(0, now - _largestAt);
        int size = 1 + WireSize.Varint64(hi) + WireSize.Varint64(delay) + WireSize.Varint64(credit) + WireSize.Varint64(hi - lo) + 1;
        int extra = 0;
        ulong prevLo = lo;
        for (int i = 1; i < _ranges.Count && extra < 100; i++)
        {
            (ulong l, ulong h) = _ranges[i];
            int more = WireSize.Varint64(prevLo - h - 2) + WireSize.Varint64(h - l);
            if (size + more > UdpWire.AckBudget)
            {
                break;
            }

            size += more;
            extra++;
            prevLo = l;
        }

        int pos = 0;
        payload[pos++] = UdpWire.FrameAck;
        pos += Varint.Write(payload[pos..], hi);
        pos += Varint.Write(payload[pos..], delay);
        pos += Varint.Write(payload[pos..], credit);
        pos += Varint.Write(payload[pos..], hi - lo);
        payload[pos++] = (byte)extra;
        prevLo = lo;
        for (int i = 1; i <= extra; i++)
        {
            (ulong l, ulong h) = _ranges[i];
            pos += Varint.Write(payload[pos..], prevLo - h - 2);
            pos += Varint.Write(payload[pos..], h - l);
            prevLo = l;
        }

        return pos;
    }

    private void Record(ulong pn)
    {
        List<(ulong Lo, ulong Hi)> r = _ranges;
        for (int i = 0; i < r.Count; i++)
        {
            (ulong lo, ulong hi) = r[i];
            if (pn > hi)
            {
                if (pn == hi + 1)
                {
                    if (i > 0 && r[i - 1].Lo == pn + 1)
                    {
                        r[i - 1] = (lo, r[i - 1].Hi);
                        r.RemoveAt(i);
                    }
                    else
                    {
                        r[i] = (lo, pn);
                    }
                }
                else
                {
                    r.Insert(i, (pn, pn));
                }

                Trim();
                return;
            }

            if (pn >= lo)
            {
                return;
            }

            if (pn == lo - 1)
            {
                if (i + 1 < r.Count && r[i + 1].Hi == pn - 1)
                {
                    r[i] = (r[i + 1].Lo, hi);
                    r.RemoveAt(i + 1);
                }
                else
                {
                    r[i] = (pn, hi);
                }

                return;
            }
        }

        r.Add((pn, pn));
        Trim();

        void Trim()
        {
            if (r.Count > MaxRanges)
            {
                r.RemoveAt(r.Count - 1);
            }
        }
    }
}
