using System.Net;

namespace PeerKit.Links.Udp;

/// <content>The initiator's side of the handshake (UdpHandshake holds both roles) and establishing the link.</content>
public sealed partial class UdpLink
{
    internal void StartHandshake(long now, TimeSpan timeout)
    {
        lock (_lock)
        {
            _handshake = UdpHandshake.Initiate(_localKey, _options, LocalConnectionId, now, timeout);
            SendHandshakePacketLocked(now);
        }
    }

    internal void OnRetry(ReadOnlySpan<byte> datagram, long now)
    {
        lock (_lock)
        {
            if (_state == State.Handshaking && _handshake is { AwaitsResponse: true } handshake)
            {
                handshake.EchoCookie(datagram);
                SendHandshakePacketLocked(now);
            }
        }
    }

    /// <returns>False when the response was malformed or failed authentication.</returns>
    internal bool OnResponse(ReadOnlySpan<byte> datagram, SocketAddress source, long now)
    {
        try
        {
            lock (_lock)
            {
                if (_state != State.Handshaking || _handshake is not { AwaitsResponse: true } handshake)
                {
                    return true; // a duplicate
                }

                // Answers count only from the address dialed (issue 13, finding 5).
                if (!source.Equals(_remote))
                {
                    return false;
                }

                // Rejecting throws nothing (issue 13, finding 9).
                UdpSession? session = handshake.TryReadResponse(datagram, _options, LocalConnectionId, _expectedRemoteId, out HandshakeException? failure);
                if (session is null)
                {
                    if (failure is not null)
                    {
                        FailHandshakeLocked(failure); // authenticated, but wrong: the handshake ends
                    }

                    return false; // forged or damaged: it changed nothing, and the real response may still come
                }

                try
                {
                    Establish(session, source, now);
                    _confirmed = false; // message 3 goes until the responder answers
                    SendHandshakePacketLocked(now);
                }
                catch (HandshakeException e)
                {
                    FailHandshakeLocked(e);
                    return false;
                }

                _established.TrySetResult();
                return true;
            }
        }
        finally
        {
            AfterLock();
        }
    }

    internal void FailHandshake(Exception e)
    {
        lock (_lock)
        {
            FailHandshakeLocked(e);
        }

        AfterLock();
    }

    /// <summary>The responder saw message 3 again: the dialer missed our packets, so answer with one.</summary>
    internal void OnDuplicateFinish() => SendPing();

    /// <summary>Turns a completed handshake into an established link (both roles): the parts that need the session's
    /// keys and sizes start here.</summary>
    internal void Establish(UdpSession session, SocketAddress source, long now)
    {
        HandshakeParameters remote = session.Remote;
        _credit.OnPeerLimit(remote.Window);
        _protection = new PacketProtection(session.Send, session.Receive, _options.KeyUpdatePackets, UdpClock.Micros(_options.KeyUpdateInterval), now);
        RemoteStaticKey = session.RemoteStaticKey;
        RemoteId = NodeId.FromPublicKey(session.RemoteStaticKey);
        HandshakeHash = session.HandshakeHash;
        RemoteConnectionId = session.RemoteConnectionId;
        if (!source.Equals(_remote))
        {
            _remote = UdpEndpoint.Clone(source);
            _remoteEndPoint = UdpEndpoint.ToEndPoint(source);
        }

        int mtu = Math.Max(UdpWire.MinMtu, Math.Min(_options.Mtu, remote.Mtu));
        int maxPacketSize = Math.Max(mtu, Math.Min(_options.MaxMtu, remote.MaxMtu));
        _packer.SetBaseSize(mtu);
        _maxPacketSize = maxPacketSize; // the peer never sends more: its ceiling is the same smaller maximum
        int maxFrame = Math.Min(_options.MaxFrameSize, remote.MaxFrame);
        Capabilities = new LinkCapabilities
        {
            IsReliableStream = false,
            IsSecure = true,
            MaxFrameSize = maxFrame,
            MaxUnreliableFrameSize = _options.FragmentUnreliable ? maxFrame : Math.Min(maxFrame, _packer.WholeMax),
        };
        _congestion = new NewReno(10L * mtu);
        _pacer = new Pacer(UdpClock.Micros(_options.TimerResolution), now);
        _delivery = new DeliveryRate(now);
        _traffic.Start(now);
        _lastReceive = now;
        _lastSend = now;
        _confirmed = true;
        // Probes leave once the handshake is confirmed.
        Volatile.Write(ref _pmtu, new PathMtuDiscovery(mtu, maxPacketSize, UdpClock.Micros(_options.PathMtuSearchInterval), now));
        _state = State.Established;
    }

    internal void SendPing()
    {
        lock (_lock)
        {
            if (_state == State.Established)
            {
                _pingPending = true;
                FlushLocked(UdpClock.Now);
            }
        }

        SendQueued();
    }

    private void SendHandshakePacketLocked(long now)
    {
        _endpoint.SendDatagram(_handshake!.Packet, _remote);
        _handshake.OnSent(now);
    }

    private void FailHandshakeLocked(Exception e)
    {
        if (_state == State.Closed)
        {
            return;
        }

        _established.TrySetException(e);
        CloseLocked(LinkCloseReason.ProtocolError, e, discardPending: true);
    }
}
