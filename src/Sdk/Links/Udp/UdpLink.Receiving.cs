using System.Buffers.Binary;
using System.Net;
using PeerKit.Memory;

namespace PeerKit.Links.Udp;

/// <content>Receiving: data packets routed frame by frame to the parts, acknowledgements and losses.</content>
public sealed partial class UdpLink : IAccountedLink
{
    /// <inheritdoc/>
    void IAccountedLink.ChargeTo(MemoryAccount account) => _inbox.Account = account;

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
        if (ciphertextLength < UdpWire.TagSize || ciphertextLength - UdpWire.TagSize > _maxPacketSize)
        {
            _droppedInvalid++;
            return PacketVerdict.Invalid;
        }

        // The plaintext is read here and copied out frame by frame: the buffer is the thread's, not the link's.
        byte[] plain = PlaintextScratch.TakeOpen(_maxPacketSize);
        try
        {
            return OnOpenedPacketLocked(datagram, plain, pn, ciphertextLength - UdpWire.TagSize, source, now);
        }
        finally
        {
            PlaintextScratch.ReturnOpen(plain);
        }
    }

    private PacketVerdict OnOpenedPacketLocked(ReadOnlySpan<byte> datagram, byte[] plain, ulong pn, int plainLength, SocketAddress source, long now)
    {
        if (!_protection!.TryOpen(pn, datagram, plain))
        {
            _droppedInvalid++;
            return PacketVerdict.Invalid;
        }

        _replay.Mark(pn);
        _packetSource = source;
        if (source.Equals(_remote))
        {
            _upgrade.OnHeardDirect(now); // what a direct path's death is measured by (Relay: UdpLink.Paths.cs)
        }
        else if (!OnPacketFromOtherPathLocked(source, now))
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
        // packets left unacknowledged until the application catches up. What counts against the window: reliable
        // frames waiting in the inbox, frames held for reordering and the bytes of partial reliable frames. Unreliable
        // frames are dropped when UnreliableReceiveQueueBytes of them wait. When the node's memory budget is spent,
        // both happen whatever the window (reliable data is never dropped: it comes again once acknowledged). The next
        // frame of the ordered lane is taken even then when frames held for reordering wait for it, or it is partly
        // here (ReceiveLanes.IsAwaited), and the application has taken everything else: refusing it would leave them
        // held forever. So what the link holds passes the window by one frame and a packet at most.
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

        long window = (long)_options.ReceiveWindow + Capabilities.MaxFrameSize + LinkInbox.FrameCost;
        bool defer = _inbox.CountedCostWaiting > window;
        bool deferHeld = _inbox.CountedCostWaiting + _receiveLanes.ReliableHeldCost > window;
        bool dropUnreliable = _inbox.TalliedCostWaiting >= _options.UnreliableReceiveQueueBytes;
        if (_inbox.Account is { HasRoom: false } account)
        {
            deferHeld = true;
            dropUnreliable = true;
            account.OnExhausted();
        }

        FrameResult result = ReadFramesLocked(plain.AsSpan(0, plainLength), defer, deferHeld, dropUnreliable, now);
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

    /// <summary>Routes each frame of a packet, as <see cref="FrameReader"/> reads it, to the part it concerns.</summary>
    private FrameResult ReadFramesLocked(ReadOnlySpan<byte> packet, bool defer, bool deferHeld, bool dropUnreliable, long now)
    {
        var result = default(FrameResult);
        var reader = new FrameReader(packet);
        while (reader.More)
        {
            if (!reader.TryRead(out Frame frame, out FrameError malformed))
            {
                result.Error = malformed;
                return result;
            }

            FrameError? error = null;
            switch (frame.Kind)
            {
                case FrameKind.Ack:
                    if (!OnAckLocked(ref frame.Ack, now))
                    {
                        error = FrameError.Malformed("an acknowledgement of a packet never sent");
                    }

                    break;
                case FrameKind.Ping:
                    result.Eliciting = true;
                    break;
                case FrameKind.Close:
                    result.Close = true;
                    break;
                case FrameKind.PathChallenge:
                    SendPathResponseLocked(frame.PathData, now); // on the path it came by, whatever the link's current address
                    break;
                case FrameKind.PathResponse:
                    OnPathResponseLocked(frame.PathData, now);
                    break;
                case FrameKind.Resume:
                    // The peer's receive queue drained after it left our packets unacknowledged: resend them now.
                    _recovery.TakeAll(_lost);
                    foreach (SentPacket lost in _lost)
                    {
                        _packer.OnPacketLost(lost);
                        _recovery.Recycle(lost);
                    }

                    _lost.Clear();
                    break;
                case FrameKind.Message or FrameKind.Fragment:
                    if (frame.Kind == FrameKind.Fragment && frame.Total > _options.MaxFrameSize)
                    {
                        error = new FrameError(LinkCloseReason.FrameTooLarge, new FrameTooLargeException(frame.Total, _options.MaxFrameSize));
                        break;
                    }

                    result.Eliciting = true;
                    if (frame.Class < 2 && (defer || (deferHeld && !(_inbox.CountedCostWaiting == 0 && _receiveLanes.IsAwaited(frame.Class, frame.Seq)))))
                    {
                        result.DeferredData = true;
                    }
                    else if (dropUnreliable && frame.Class >= 2)
                    {
                        _receiveLanes.CountDropped();
                    }
                    else
                    {
                        error = frame.Kind == FrameKind.Message
                            ? _receiveLanes.ReceiveWhole(frame.Class, frame.Seq, frame.Data)
                            : _receiveLanes.ReceiveFragment(frame.Class, frame.Seq, (int)frame.Total, frame.ChunkSize, frame.Index, frame.Data);
                    }

                    break;
            }

            if (error is not null)
            {
                result.Error = error;
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

    /// <summary>A PATH_RESPONSE: the link moves when it answers a challenge sent to the address it came from.</summary>
    private void OnPathResponseLocked(ulong data, long now)
    {
        if (_paths.OnResponse(data, _packetSource!) is not { } address)
        {
            return;
        }

        SetRemoteLocked(address);
        OnMovedLocked(address, now);
        _received.AckNow(); // tell the peer at once, from the new path, what arrived meanwhile
        if (_pmtu!.Restart(now, delay: 0)) // a new path: its MTU is unknown
        {
            OnPacketSizeDownLocked();
        }
    }

    /// <summary>
    /// An ACK frame: the peer's credit goes to flow control, each range to loss recovery and what it acknowledged to
    /// the parts that care; then losses are detected.
    /// </summary>
    /// <returns>False when it acknowledges a packet never sent.</returns>
    private bool OnAckLocked(ref AckFrame ack, long now)
    {
        _credit.OnPeerLimit((long)ack.Credit);
        if (ack.Largest >= _nextPn)
        {
            return false;
        }

        long largestSentAt = _recovery.Get(ack.Largest)?.SentAt ?? 0;
        bool ackedAny = false;
        while (ack.TryNextRange(out ulong lo, out ulong hi))
        {
            ackedAny |= OnAckRangeLocked(lo, hi, now);
        }

        _recovery.OnAckFrame(ack.Largest, largestSentAt, (long)Math.Min(ack.Delay, (ulong)UdpClock.Micros(_options.MaxAckDelay)), ackedAny, now);
        if (ackedAny)
        {
            _upgrade.OnAcknowledged(now);
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
