using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;

namespace PeerKit.Links.Udp;

/// <content>Sending: flushes, packet building, sealing, probes, the outbox.</content>
public sealed partial class UdpLink
{
    private void ScheduleFlush()
    {
        if (Interlocked.Exchange(ref _flushQueued, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_flushWorkItem ??= new FlushWorkItem(this), preferLocal: false);
        }
    }

    private void RunScheduledFlush()
    {
        Volatile.Write(ref _flushQueued, 0);
        lock (_lock)
        {
            FlushLocked(UdpClock.Now);
        }

        SendQueued();
    }

    /// <summary>Sends what congestion control, pacing and the lanes allow, and any acknowledgement owed.</summary>
    private void FlushLocked(long now)
    {
        try
        {
            FillPacketsLocked(now);
        }
        finally
        {
            _outbox.CloseBatch(_remote); // packets already sealed leave even if building the next one failed
        }

        if (_sendQueuesEmpty is { } emptied && _packer.LanesEmpty)
        {
            _sendQueuesEmpty = null;
            emptied.TrySetResult();
        }
    }

    /// <summary>Builds the packets <see cref="FlushLocked"/> sends, into the outbox's batch.</summary>
    private void FillPacketsLocked(long now)
    {
        if (_state != State.Established)
        {
            return;
        }

        _pacer.Refill(now, PacingRate(), _pmtu!.PacketSize);
        if (_pmtu.ProbeDue(now) is var probe and not 0 && _confirmed && _closeDone is null && CanSendDataLocked() && _outbox.IsIdle)
        {
            SendProbeLocked(probe, now); // first, on its own: never part of a batch of smaller packets
        }

        // The frames are built in the thread's buffer, not the link's, and sealed into the outbox's batch at once.
        byte[] plain = PlaintextScratch.TakeSeal(_maxPacketSize);
        try
        {
            FillDataPacketsLocked(plain, now);
        }
        finally
        {
            PlaintextScratch.ReturnSeal(plain);
        }
    }

    private void FillDataPacketsLocked(byte[] plain, long now)
    {
        for (int guard = 0; guard < 512; guard++)
        {
            bool canData = CanSendDataLocked();
            bool wantAck = _received.AckDue(now) || (_credit.GrantPending && _received.Any);
            bool hasData = canData && (_pingPending || _packer.HasSendable(_credit));
            if (!hasData && !wantAck && !_resumePending)
            {
                return;
            }

            Span<byte> payload = plain.AsSpan(0, _packer.PayloadCapacity);
            int pos = 0;
            bool acked = false;
            if ((_received.Pending > 0 || _credit.GrantPending) && _received.Any)
            {
                pos += WriteAckLocked(payload, now);
                acked = true;
            }

            SentPacket? packet = null;
            bool eliciting = false;
            if (_resumePending)
            {
                payload[pos++] = UdpWire.FrameResume;
                _resumePending = false;
            }

            if (canData)
            {
                packet = _recovery.Rent();
                if (_pingPending)
                {
                    payload[pos++] = UdpWire.FramePing;
                    _pingPending = false;
                    eliciting = true;
                }

                eliciting |= _packer.Fill(payload, ref pos, packet, _credit);
            }

            if (pos == 0)
            {
                _recovery.Recycle(packet);
                return;
            }

            ulong pn = SendPacketLocked(payload[..pos], now);
            if (acked)
            {
                _received.OnAckSent();
            }

            if (eliciting)
            {
                int size = pos + UdpWire.PacketOverhead;
                packet!.Pn = pn;
                packet.SentAt = now;
                packet.Size = size;
                _delivery.OnPacketSent(packet);
                _recovery.OnPacketSent(packet);
                _pacer.OnSent(size);
                _lastSend = now;
            }
            else
            {
                _recovery.Recycle(packet);
            }
        }

        // More to send than one flush does: continue soon.
        ScheduleFlush();
    }

    private bool CanSendDataLocked() => _congestion.CanSend(_recovery.BytesInFlight) && _pacer.CanSend(_recovery.Rtt.HasSample);

    private double PacingRate() => _congestion is null ? 0 : Pacer.Rate(_congestion.Window, _congestion.InSlowStart, _recovery.Rtt.Srtt, _recovery.Rtt.HasSample);

    /// <summary>Writes the ACK frame owed, with the flow-control credit granted now.</summary>
    private int WriteAckLocked(Span<byte> payload, long now) => _received.WriteAck(payload, now, _credit.Advertise(_inbox.ConsumedCost));

    /// <summary>Seals <paramref name="frames"/> into a data packet in the outbox's batch.</summary>
    private ulong SendPacketLocked(ReadOnlySpan<byte> frames, long now)
    {
        ulong pn = _nextPn++;
        int size = frames.Length + UdpWire.PacketOverhead;
        Span<byte> packet = _outbox.Reserve(size, _endpoint.MaxSegments, _pmtu!.MaxSize, _remote);
        SealLocked(pn, frames, packet, now);
        _outbox.Commit(size);
        _traffic.OnSent(size);
        return pn;
    }

    /// <summary>Seals <paramref name="frames"/> into a packet of its own for <paramref name="destination"/>, queued behind
    /// the link's batch (not ack-eliciting, never retransmitted).</summary>
    private void SendControlPacketLocked(ReadOnlySpan<byte> frames, SocketAddress destination, long now)
    {
        _outbox.CloseBatch(_remote);
        ulong pn = _nextPn++;
        int size = frames.Length + UdpWire.PacketOverhead;
        byte[] packet = ArrayPool<byte>.Shared.Rent(size);
        SealLocked(pn, frames, packet.AsSpan(0, size), now);
        _outbox.Enqueue(new OutboxEntry(packet, size, 0, destination));
        _traffic.OnSent(size);
    }

    private void SealLocked(ulong pn, ReadOnlySpan<byte> frames, Span<byte> packet, long now)
    {
        if (_protection!.Seal(pn, RemoteConnectionId, frames, packet, _recovery.LargestAcked, now))
        {
            // A key update waits for an acknowledgement of the current key: packets in flight will get one (or be
            // resent in new packets, which will); with none, a PING asks.
            _pingPending |= _recovery.InFlightCount == 0;
        }
    }

    /// <summary>
    /// Sends a path MTU probe of <paramref name="size"/> bytes: a PING and padding, not in flight for congestion
    /// control or loss recovery, carrying nothing that would be resent, in a datagram of its own sent at once.
    /// </summary>
    private void SendProbeLocked(int size, long now)
    {
        // Rare (a few per search, a search every PathMtuSearchInterval): the two buffers are rented for it.
        byte[] plain = ArrayPool<byte>.Shared.Rent(size);
        byte[] sealedPacket = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            Span<byte> frames = plain.AsSpan(0, size - UdpWire.PacketOverhead);
            frames[0] = UdpWire.FramePing;
            frames[1..].Clear(); // PADDING
            ulong pn = _nextPn++;
            Span<byte> packet = sealedPacket.AsSpan(0, size);
            SealLocked(pn, frames, packet, now);
            _pmtu!.OnProbeSent(size, pn, now);
            _traffic.OnSent(size);
            _pacer.OnSent(size);
            _lastSend = now;
            switch (_endpoint.SendDatagramChecked(packet, _remote))
            {
                case DatagramSendResult.TooLarge:
                    // EMSGSIZE: larger than the interface's MTU (the socket neither fragments nor clamps; docs/udp.md).
                    _pmtu.OnProbeTooLarge(now, _recovery.Rtt.Rto);
                    break;
                case DatagramSendResult.Failed:
                    _pmtu.OnProbeNotSent(now, _recovery.Rtt.Rto);
                    break;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(plain);
            ArrayPool<byte>.Shared.Return(sealedPacket);
        }
    }

    private void SendCloseLocked(long now)
    {
        _closePackets ??= new List<ulong>();
        _closePackets.Add(_nextPn);
        SendControlPacketLocked([UdpWire.FrameClose], _remote, now);
        _closeResendAt = now + Math.Max(_recovery.Rtt.Rto, 10_000);
    }

    /// <summary>Makes the system calls for the outbox's datagrams; called after releasing the lock by every thread
    /// that may have queued some.</summary>
    private void SendQueued() => _outbox.Drain(_endpoint.Transport);
}
