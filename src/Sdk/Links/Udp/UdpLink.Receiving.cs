using System.Buffers.Binary;
using System.Net;
using PeerKit.Serialization;

namespace PeerKit.Links.Udp;

/// <content>Receiving: data packets routed frame by frame to the parts, acknowledgements and losses.</content>
public sealed partial class UdpLink
{
    internal PacketVerdict OnDataPacket(ReadOnlySpan<byte> datagram, SocketAddress source, long now)
    {
        try
        {
            lock (_lock)
            {
                return OnDataPacketLocked(datagram, source, now);
            }
        }
        finally
        {
            AfterLock();
        }
    }

    private PacketVerdict OnDataPacketLocked(ReadOnlySpan<byte> datagram, SocketAddress source, long now)
    {
        if (_state != State.Established)
        {
            return PacketVerdict.NotEstablished;
        }

        ulong pn = BinaryPrimitives.ReadUInt64BigEndian(datagram[5..]);
        if (!_replay.IsFresh(pn))
        {
            _droppedReplayed++;
            return PacketVerdict.Replayed;
        }

        int ciphertextLength = datagram.Length - UdpWire.DataHeaderSize;
        if (ciphertextLength < UdpWire.TagSize || ciphertextLength - UdpWire.TagSize > _receivePlain.Length
            || !_protection!.TryOpen(pn, datagram, _receivePlain))
        {
            _droppedInvalid++;
            return PacketVerdict.Invalid;
        }

        _replay.Mark(pn);
        _packetSource = source;
        if (!source.Equals(_remote))
        {
            // The peer's address changed (NAT rebinding), or someone on the path forwarded a copy of its packet:
            // the link moves only once the peer answers a challenge sent to the new address.
            Span<byte> challenge = stackalloc byte[PathValidator.FrameSize];
            if (_paths.TryChallenge(source, now, Math.Max(_recovery.Rtt.Rto, 10_000), challenge, out SocketAddress destination))
            {
                SendControlPacketLocked(challenge, destination, now);
            }
        }

        _lastReceive = now;
        _traffic.OnReceived(datagram.Length);
        if (!_confirmed)
        {
            _confirmed = true;
            _handshake?.Dispose();
            _handshake = null;
        }

        // A peer within its flow-control credit never gets reliable frames deferred; one that ignores it gets its
        // packets left unacknowledged until the application catches up. Unreliable frames are dropped when
        // ReceiveQueueCapacity of them wait.
        // Frames reach the application after this run of datagrams, outside the lock (FlushAfterBatch): a receiver
        // waiting for frames is woken once per run and finds all of them, instead of waking for the first frame,
        // finding the queue empty again while the rest are decrypted, and parking once per frame. With
        // ReceiveInline it resumes on this thread, and must not run under the lock.
        _inbox.Hold();
        if (!_flushAfterBatch)
        {
            // Answered once the socket's current run of datagrams has been read (UdpEndpoint.OnBatchEnd).
            _flushAfterBatch = true;
            _endpoint.FlushAfterBatch(this);
        }

        bool defer = _inbox.CountedCostWaiting > (long)_options.ReceiveWindow + Capabilities.MaxFrameSize + LinkInbox.FrameCost;
        bool dropUnreliable = _inbox.TalliedWaiting >= _options.ReceiveQueueCapacity;
        FrameResult result = ReadFramesLocked(_receivePlain.AsSpan(0, ciphertextLength - UdpWire.TagSize), defer, dropUnreliable, now);
        _packetSource = null; // the transport reuses it after this call
        if (result.Error is { } error)
        {
            CloseLocked(error.Reason, error.Cause, discardPending: false);
            return PacketVerdict.Accepted;
        }

        if (result.DeferredData)
        {
            _deferred++;
            _receiveStalled = true;
        }
        else
        {
            _received.OnPacket(pn, result.Eliciting, UdpClock.Now); // the ack delay counts from now, as the packet is recorded
        }

        if (result.Close)
        {
            if (!result.DeferredData && _received.Any)
            {
                // Acknowledge at once: the peer resends its close until it hears this.
                Span<byte> ack = stackalloc byte[UdpWire.AckBudget];
                SendControlPacketLocked(ack[..WriteAckLocked(ack, now)], source, now);
            }

            CloseLocked(LinkCloseReason.RemoteClosed, null, discardPending: false);
        }

        return PacketVerdict.Accepted;
    }

    /// <summary>The deferred flush of a received run of datagrams (receive thread, after the run).</summary>
    internal void FlushAfterBatch()
    {
        bool deliver = false;
        try
        {
            lock (_lock)
            {
                _flushAfterBatch = false;
                try
                {
                    FlushLocked(UdpClock.Now);
                }
                finally
                {
                    deliver = _inbox.TakeHeld();
                }
            }
        }
        finally
        {
            if (deliver)
            {
                // Even when the flush threw: frames left aside would otherwise come after the next run's frames.
                _inbox.DeliverHeld(); // with ReceiveInline, waiting receivers resume here, on the receive thread
            }

            AfterLock();
        }
    }

    /// <summary>Routes each frame of a packet to the part it concerns.</summary>
    private FrameResult ReadFramesLocked(ReadOnlySpan<byte> p, bool defer, bool dropUnreliable, long now)
    {
        var result = default(FrameResult);
        int pos = 0;
        while (pos < p.Length)
        {
            byte type = p[pos++];
            if (type == UdpWire.FramePadding)
            {
                int more = p[pos..].IndexOfAnyExcept(UdpWire.FramePadding);
                pos = more < 0 ? p.Length : pos + more;
            }
            else if (type == UdpWire.FrameAck)
            {
                if (!ReadAckLocked(p, ref pos, now))
                {
                    result.Error = FrameError.Malformed("a malformed acknowledgement");
                    return result;
                }
            }
            else if (type == UdpWire.FramePing)
            {
                result.Eliciting = true;
            }
            else if (type == UdpWire.FrameClose)
            {
                result.Close = true;
            }
            else if (type is UdpWire.FramePathChallenge or UdpWire.FramePathResponse)
            {
                if (p.Length - pos < 8)
                {
                    result.Error = FrameError.Malformed("a truncated path challenge or response");
                    return result;
                }

                ulong data = BinaryPrimitives.ReadUInt64LittleEndian(p[pos..]);
                pos += 8;
                if (type == UdpWire.FramePathChallenge)
                {
                    SendPathResponseLocked(data, now); // on the path it came by, whatever the link's current address
                }
                else if (_paths.OnResponse(data, _packetSource!) is { } address)
                {
                    _remote = address;
                    _remoteEndPoint = UdpEndpoint.ToEndPoint(address);
                    _received.AckNow(); // tell the peer at once, from the new path, what arrived meanwhile
                    if (_pmtu!.Restart(now, delay: 0)) // a new path: its MTU is unknown
                    {
                        OnPacketSizeDownLocked();
                    }
                }
            }
            else if (type == UdpWire.FrameResume)
            {
                // The peer's receive queue drained after it left our packets unacknowledged: resend them now.
                _recovery.TakeAll(_lost);
                foreach (SentPacket packet in _lost)
                {
                    _packer.OnPacketLost(packet);
                    _recovery.Recycle(packet);
                }

                _lost.Clear();
            }
            else if ((type & ~3) == UdpWire.FrameMessage)
            {
                int cls = type & 3;
                if (!Varint.TryRead(p, ref pos, out ulong seq) || !Varint.TryRead(p, ref pos, out ulong length) || length > (ulong)(p.Length - pos))
                {
                    result.Error = FrameError.Malformed("a malformed message frame");
                    return result;
                }

                result.Eliciting = true;
                if (defer && cls < 2)
                {
                    result.DeferredData = true;
                }
                else if (dropUnreliable && cls >= 2)
                {
                    _receiveLanes.CountDropped();
                }
                else if (_receiveLanes.ReceiveWhole(cls, seq, p.Slice(pos, (int)length)) is { } error)
                {
                    result.Error = error;
                    return result;
                }

                pos += (int)length;
            }
            else if ((type & ~3) == UdpWire.FrameFragment)
            {
                int cls = type & 3;
                if (!Varint.TryRead(p, ref pos, out ulong seq) || !Varint.TryRead(p, ref pos, out ulong total)
                    || !Varint.TryRead(p, ref pos, out ulong chunkSize) || !Varint.TryRead(p, ref pos, out ulong index)
                    || chunkSize == 0 || chunkSize > UdpWire.MaxMtu || chunkSize % UdpWire.FragmentGranule != 0
                    || total == 0 || total > int.MaxValue || index >= (total + chunkSize - 1) / chunkSize)
                {
                    result.Error = FrameError.Malformed("a malformed fragment frame");
                    return result;
                }

                int length = (int)Math.Min(chunkSize, total - (index * chunkSize));
                if (length > p.Length - pos)
                {
                    result.Error = FrameError.Malformed("a fragment cut short");
                    return result;
                }

                if ((long)total > _options.MaxFrameSize)
                {
                    result.Error = new FrameError(LinkCloseReason.FrameTooLarge, new FrameTooLargeException((long)total, _options.MaxFrameSize));
                    return result;
                }

                result.Eliciting = true;
                if (defer && cls < 2)
                {
                    result.DeferredData = true;
                }
                else if (dropUnreliable && cls >= 2)
                {
                    _receiveLanes.CountDropped();
                }
                else if (_receiveLanes.ReceiveFragment(cls, seq, (int)total, (int)chunkSize, (int)index, p.Slice(pos, length)) is { } error)
                {
                    result.Error = error;
                    return result;
                }

                pos += length;
            }
            else
            {
                result.Error = FrameError.Malformed($"an unknown frame type 0x{type:x2}");
                return result;
            }
        }

        return result;
    }

    private void SendPathResponseLocked(ulong data, long now)
    {
        Span<byte> response = stackalloc byte[PathValidator.FrameSize];
        PathValidator.WriteResponse(response, data);
        SendControlPacketLocked(response, _packetSource!, now);
    }

    /// <summary>
    /// An ACK frame: largest, ack delay (µs), credit, first range length, extra range count, then (gap, length) pairs
    /// (written by <see cref="ReceivedPackets.WriteAck"/>). Each range goes to loss recovery, and what it acknowledged
    /// to the parts that care.
    /// </summary>
    private bool ReadAckLocked(ReadOnlySpan<byte> p, ref int pos, long now)
    {
        if (!Varint.TryRead(p, ref pos, out ulong largest) || !Varint.TryRead(p, ref pos, out ulong delay)
            || !Varint.TryRead(p, ref pos, out ulong credit) || !Varint.TryRead(p, ref pos, out ulong first) || pos >= p.Length
            || credit > long.MaxValue)
        {
            return false;
        }

        _credit.OnPeerLimit((long)credit);
        int extra = p[pos++];
        if (first > largest || largest >= _nextPn)
        {
            return false;
        }

        long largestSentAt = _recovery.Get(largest)?.SentAt ?? 0;
        ulong lo = largest - first;
        bool ackedAny = OnAckRangeLocked(lo, largest, now);
        for (int i = 0; i < extra; i++)
        {
            if (!Varint.TryRead(p, ref pos, out ulong gap) || !Varint.TryRead(p, ref pos, out ulong length) || lo < gap + 2)
            {
                return false;
            }

            ulong hi = lo - gap - 2;
            if (length > hi)
            {
                return false;
            }

            lo = hi - length;
            ackedAny |= OnAckRangeLocked(lo, hi, now);
        }

        _recovery.OnAckFrame(largest, largestSentAt, (long)Math.Min(delay, (ulong)UdpClock.Micros(_options.MaxAckDelay)), ackedAny, now);
        if (ackedAny)
        {
            _recovery.DetectLosses(now, _lost);
            OnLossesLocked(now, timeout: false);
            _packer.TrimFinished();
        }

        return true;
    }

    private bool OnAckRangeLocked(ulong lo, ulong hi, long now)
    {
        _recovery.OnAckRange(lo, hi, _acked);
        bool any = _acked.Count > 0;
        bool roomFreed = false;
        RttEstimator rtt = _recovery.Rtt;
        foreach (SentPacket packet in _acked)
        {
            _delivery.OnPacketAcked(packet, now, rtt.HasSample ? rtt.Srtt : 100_000);
            _congestion.OnPacketAcked(packet.SentAt, packet.Size, packet.InFlightAtSend, _pmtu!.PacketSize);
            _pmtu.OnPacketAcked(packet.Size);
            roomFreed |= _packer.OnPacketAcked(packet);
            _recovery.Recycle(packet);
        }

        _acked.Clear();
        if (roomFreed && _room is not null)
        {
            _room.TrySetResult();
            _room = null;
        }

        if (_closePackets is { } closes && !_closeAcked)
        {
            foreach (ulong pn in closes)
            {
                if (pn >= lo && pn <= hi)
                {
                    _closeAcked = true;
                    _closeDone?.TrySetResult();
                    break;
                }
            }
        }

        if (_pmtu!.OnAckRange(lo, hi, now))
        {
            _packer.SetPacketSize(_pmtu.PacketSize);
        }

        return any;
    }

    /// <summary>The packets loss recovery declared lost: their chunks go again, congestion control and path MTU discovery hear of it.</summary>
    private void OnLossesLocked(long now, bool timeout)
    {
        RttEstimator rtt = _recovery.Rtt;
        long floor = _delivery.BytesPer(rtt.HasSample ? rtt.MinRtt : 0);
        foreach (SentPacket packet in _lost)
        {
            _pmtu!.OnPacketLost(packet.Size);
            _packer.OnPacketLost(packet);
            _congestion.OnPacketLost(packet.SentAt, now, timeout, floor, _pmtu.PacketSize);
            _recovery.Recycle(packet);
        }

        _lost.Clear();
        if (_pmtu!.EndLossEvent(now))
        {
            OnPacketSizeDownLocked();
        }
    }

    /// <summary>The packet size went down (a black hole, or a new path): frames are cut for the base size again.</summary>
    private void OnPacketSizeDownLocked()
    {
        _packer.SetPacketSize(_pmtu!.PacketSize);
        _packer.RecutStarted();
    }
}
