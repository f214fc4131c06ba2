namespace PeerKit.Links.Udp;

/// <content>The endpoint's timer: handshake resends, close, idle timeout, retransmission timeout, key and path MTU timers, keepalive.</content>
public sealed partial class UdpLink
{
    internal void OnTick(long now)
    {
        try
        {
            lock (_lock)
            {
                TickLocked(now);
            }
        }
        finally
        {
            AfterLock();
        }
    }

    private void TickLocked(long now)
    {
        if (_state == State.Closed)
        {
            return;
        }

        if (_state == State.Handshaking)
        {
            if (_handshake is { } handshake && now >= handshake.Deadline)
            {
                FailHandshakeLocked(new HandshakeException(HandshakeFailure.Timeout, "The handshake did not complete within its timeout."));
            }
            else if (_handshake?.Due(now) == true)
            {
                SendHandshakePacketLocked(now);
            }

            return;
        }

        if (_closeDone is { } closing)
        {
            if (_closeAcked || now >= _closeDeadline)
            {
                closing.TrySetResult();
            }
            else if (now >= _closeResendAt)
            {
                SendCloseLocked(now);
            }
        }

        if (now - _lastReceive >= UdpClock.Micros(_options.IdleTimeout))
        {
            CloseLocked(LinkCloseReason.Timeout, new TimeoutException($"Nothing arrived from the peer for {_options.IdleTimeout}."), discardPending: false);
            return;
        }

        if (!_confirmed && _handshake?.Due(now) == true)
        {
            SendHandshakePacketLocked(now); // message 3 again, until the responder answers
        }

        // Retransmission timeout: the oldest packet in flight waited longer than RTO (backed off).
        bool timeout = _recovery.OnTimeout(now, _lost);
        if (!timeout)
        {
            _recovery.DetectLosses(now, _lost);
        }

        OnLossesLocked(now, timeout);
        TickPathsLocked(now); // hole-punching probes, the direct path's death (UdpLink.Paths.cs)
        _protection!.OnTick(now); // the next packet sealed updates the key once its interval has passed
        if (_pmtu!.OnTick(now, _recovery.LargestAcked, _recovery.Rtt.Rto, _recovery.BackedOffRto))
        {
            _pingPending = true; // the probe's fate waits for an acknowledgement of a later packet
        }

        if (now - _lastSend >= UdpClock.Micros(_options.KeepAliveInterval))
        {
            _pingPending = true;
        }
        else if (_credit.Blocked && _recovery.InFlightCount == 0 && now - _lastSend >= _recovery.BackedOffRto)
        {
            // Out of credit with nothing in flight: the grant may have been lost, so ask for an acknowledgement.
            _pingPending = true;
            _recovery.BackOff();
        }

        if (_traffic.Tick(now, _recovery.PacketsLost))
        {
            // What a burst left goes back after a quiet second (docs/udp.md, "Memory"): an idle link holds no large array.
            _packer.TrimIdle();
            _recovery.TrimIdle();
            _inbox.TrimIdle();
        }

        FlushLocked(now);
    }
}
