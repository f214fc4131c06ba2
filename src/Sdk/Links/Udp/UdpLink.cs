using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using PeerKit.Links.Noise;
using PeerKit.Serialization;

namespace PeerKit.Links.Udp;

/// <summary>
/// A link to one peer over a shared UDP socket (<see cref="UdpEndpoint"/>): Noise XX authenticated, every packet
/// encrypted, with real delivery classes on independent lanes, selective acks, congestion control and pacing
/// (see <c>docs/udp.md</c>).
/// </summary>
/// <remarks>
/// <para><b>Delivery.</b> <see cref="Reliability.ReliableOrdered"/> and <see cref="Reliability.ReliableUnordered"/>
/// frames are retransmitted until acknowledged and delivered exactly once (in order for the first);
/// <see cref="Reliability.Unreliable"/> frames are sent once and never delivered twice;
/// <see cref="Reliability.UnreliableSequenced"/> frames older than the newest delivered one are dropped. Each class
/// is its own lane: a loss on one lane never holds up another.</para>
/// <para><b>Back-pressure.</b> A reliable send waits while its lane holds <see cref="UdpLinkOptions.SendQueueLimit"/>
/// bytes. An unreliable send never waits: when its lane is full the frame is dropped and counted in
/// <see cref="UdpLinkStatus.UnreliableDropped"/>; <see cref="TrySend"/> reports it as <c>false</c>.</para>
/// </remarks>
public sealed class UdpLink : IMessageLink
{
    private const int LaneCount = 4;

    /// <summary>Acknowledge at once after this many ack-eliciting packets in order (sooner on a gap or after MaxAckDelay).</summary>
    private const int AckEvery = 8;

    /// <summary>The most bytes of packets sent in one call: under the 65,507-byte UDP limit, in 64 segments at most.</summary>
    private const int MaxBatchBytes = 60 * 1024;

    private readonly UdpEndpoint _endpoint;
    private readonly UdpLinkOptions _options;
    private readonly NodeKey _localKey;
    private readonly Lock _lock = new();

    // Datagrams sealed under _lock wait here, in packet-number order, for their system call, which one thread at a
    // time makes outside _lock (SendQueued): senders, the receive thread and the timer never wait on the link while
    // another thread is in the kernel. Guarded by _outboxLock, which is taken alone or inside _lock.
    private readonly Queue<Outgoing> _outbox = new();
    private readonly Lock _outboxLock = new();
    private bool _outboxSending;
    private readonly LinkInbox _inbox;
    private readonly bool _initiator;
    private readonly ReplayWindow _replay = new();
    private readonly ReliableSendLane[] _reliable = [new(), new()];
    private readonly UnreliableSendLane[] _unreliable = [new((int)Reliability.Unreliable), new((int)Reliability.UnreliableSequenced)];
    private readonly ReliableReceiveLane[] _reliableIn;
    private readonly UnreliableReceiveLane[] _unreliableIn = [new(), new() { Sequenced = true }];
    private readonly Stack<OutMessage> _messagePool = new();
    private readonly Stack<SentPacket> _sentPool = new();
    private readonly SentRing _sent = new();
    private readonly List<(ulong Lo, ulong Hi)> _received = new();
    private readonly RttEstimator _rtt;
    private readonly TaskCompletionSource _established = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly NodeId? _expectedRemoteId;

    private volatile IPEndPoint _remoteEndPoint;
    private SocketAddress _remote;
    private State _state;
    private NoiseHandshake? _handshake;
    private byte[]? _handshakePacket;
    private long _handshakeNext;
    private long _handshakeInterval;
    private long _handshakeDeadline = long.MaxValue;
    private bool _confirmed;
    private NoiseCipherState? _sendCipher;
    private NoiseCipherState? _receiveCipher;

    // Key updates (see docs/udp.md). Sending: the key phase bit in the type byte, the first packet number sealed with
    // the current key, and the packet number from which the next update is due (0 once the interval has passed).
    // Receiving: the peer's current phase, the lowest packet number seen in it, the previous key (for packets of the
    // old phase still on their way) and the next one (derived when the first packet of a new phase arrives).
    private byte _sendPhase;
    private ulong _sendPhaseStart;
    private long _sendPhaseStartedAt;
    private ulong _sendKeyUpdateAt = ulong.MaxValue;
    private long _keyUpdates;
    private byte _receivePhase;
    private ulong _receivePhaseLowest;
    private NoiseCipherState? _receivePrevious;
    private NoiseCipherState? _receiveNext;
    private long _peerKeyUpdates;
    private byte[] _packet = [];
    private byte[]? _batch;
    private int _batchLength;
    private int _batchSegment;
    private int _batchCount;
    private bool _batchClosed;
    private bool _flushAfterBatch;

    // Path validation: a packet from a new address makes it a candidate, challenged with random data; the link
    // moves there when the answer arrives from it.
    private readonly PathChallenge[] _pathChallenges = new PathChallenge[4];
    private SocketAddress? _packetSource;
    private long _pathChallengesSent;
    private long _pathMigrations;

    // Closing: the packet numbers that carried our CLOSE, and whether the peer acknowledged one of them.
    private List<ulong>? _closePackets;
    private TaskCompletionSource? _closeDone;
    private Task? _disposing;
    private InboxClose? _inboxClose;
    private LinkCloseReason _closedReason;
    private Exception? _closedCause;
    private long _closeDeadline;
    private long _closeResendAt;
    private bool _closeAcked;
    private byte[] _plain = [];
    private byte[] _receivePlain = [];
    private int _mtu; // the base size (BASE_PLPMTU): the smaller Mtu of the two sides
    private int _payloadCapacity; // of a packet of the current size, _packetSize
    private int _wholeMax;
    private int _baseWholeMax; // _wholeMax at the base size, which packets never go below
    private int _chunkSize;
    private ulong _nextPn;
    private int _rrLane;
    private int _flushQueued;
    private int _disposed;
    private TaskCompletionSource? _room;
    private TaskCompletionSource? _sendQueuesEmpty;
    private FlushWorkItem? _flushWorkItem;

    // Acknowledgements owed.
    private int _ackPending;
    private bool _ackNow;
    private long _ackDeadline;
    private ulong _largestReceived;
    private long _largestReceivedAt;
    private bool _pingPending;
    private bool _resumePending;
    private volatile bool _receiveStalled;

    // Loss recovery and congestion control.
    private bool _anyAcked;
    private ulong _largestAcked;
    private int _backoff = 1;
    private long _bytesInFlight;

    // Flow control (see UdpLinkOptions.ReceiveWindow), in LinkInbox cost units. Sender side: the peer's latest limit
    // on the cost of reliable frames started, and what was started. Receiver side: the consumed cost last advertised.
    private long _peerCreditLimit;
    private long _startedCost;
    private bool _creditBlocked;
    private long _advertisedConsumed;
    private bool _creditUpdatePending;
    private int _creditUpdateQueued;
    private long _cwnd;
    private long _ssthresh = long.MaxValue;
    private long _recoveryStart;
    private double _tokens;
    private long _tokensAt;
    private long _delivered;
    private long _deliveredTime;
    private double _bandwidth;
    private long _bandwidthAt;

    // Path MTU discovery (RFC 8899 DPLPMTUD; docs/udp.md, "Path MTU discovery"). Sizes are bytes of UDP payload.
    private int _packetSize; // PLPMTU: the largest packet sent now
    private int _maxPacketSize; // the search's ceiling: the smaller of the two sides' MaxMtu
    private int _searchLow; // the largest size confirmed in this search
    private int _searchHigh; // the largest size not yet known to fail
    private int _probeTarget; // the size being searched for; 0 when no search is under way
    private int _probeAttempts; // probes of _probeTarget lost so far
    private int _probeSize; // the size of the probe in flight; 0 when none is
    private ulong _probePn;
    private long _probeSentAt;
    private long _probePingAt;
    private long _probeNotBefore;
    private long _searchAt = long.MaxValue; // when the next search starts (the raise timer)
    private int _suspiciousLosses; // loss events that lost only packets above the base size, since one was acknowledged
    private bool _lostLarge;
    private bool _lostSmall;
    private long _probesSent;
    private long _probesLost;
    private long _blackHoles;

    // Liveness.
    private long _lastReceive;
    private long _lastSend;

    // Counters.
    private long _packetsSent;
    private long _packetsReceived;
    private long _bytesSent;
    private long _bytesReceived;
    private long _packetsLost;
    private long _unreliableDropped;
    private long _droppedInvalid;
    private long _droppedReplayed;
    private long _deferred;
    private long _receiveDropped;
    private long _rateAt;
    private long _rateSentPackets;
    private long _rateReceivedPackets;
    private long _rateSentBytes;
    private long _rateReceivedBytes;
    private long _rateLost;
    private double _packetsSentPerSecond;
    private double _packetsReceivedPerSecond;
    private double _bytesSentPerSecond;
    private double _bytesReceivedPerSecond;
    private double _loss;

    internal UdpLink(UdpEndpoint endpoint, NodeKey localKey, UdpLinkOptions options, uint localCid, SocketAddress remote, bool initiator, NodeId? expectedRemoteId)
    {
        _endpoint = endpoint;
        _localKey = localKey;
        _options = options;
        _initiator = initiator;
        _expectedRemoteId = expectedRemoteId;
        LocalConnectionId = localCid;
        _remote = UdpEndpoint.Clone(remote);
        _remoteEndPoint = UdpEndpoint.ToEndPoint(remote);
        // Bounded by flow control (reliable) and ReceiveQueueCapacity (unreliable).
        _inbox = new LinkInbox(0, OnConsumed, inlineContinuations: options.ReceiveInline);
        _reliableIn = [new ReliableReceiveLane(true, options.ReliableWindow), new ReliableReceiveLane(false, options.ReliableWindow)];
        _rtt = new RttEstimator(UdpClock.Micros(options.InitialRetransmitTimeout), UdpClock.Micros(options.MinRetransmitTimeout), UdpClock.Micros(options.MaxRetransmitTimeout));
        LocalId = localKey.Id;
    }

    private enum State
    {
        Handshaking,
        Established,
        Closed,
    }

    /// <inheritdoc/>
    public NodeId LocalId { get; }

    /// <inheritdoc/>
    /// <remarks>Proven by the handshake: the remote side holds the private key of <see cref="RemoteStaticKey"/>.</remarks>
    public NodeId RemoteId { get; private set; }

    /// <summary>The AEAD sealing this link's packets (the dialer's choice).</summary>
    internal NoiseCipher Cipher => _sendCipher?.Cipher ?? default;

    /// <summary>The endpoint (the socket and its statistics) this link runs on.</summary>
    public UdpEndpoint Endpoint => _endpoint;

    /// <summary>The remote node's static public key (65-byte uncompressed P-256 point), whose SHA-256 is <see cref="RemoteId"/>.</summary>
    public ReadOnlyMemory<byte> RemoteStaticKey { get; private set; }

    /// <summary>The Noise handshake hash: 32 bytes both sides share and that identify this session (channel binding).</summary>
    public ReadOnlyMemory<byte> HandshakeHash { get; private set; }

    /// <inheritdoc/>
    /// <remarks>The peer's current address: it follows the peer when an authenticated packet arrives from a new
    /// address (NAT rebinding).</remarks>
    public EndPoint? RemoteAddress => _remoteEndPoint;

    /// <inheritdoc/>
    /// <remarks><see cref="LinkCapabilities.IsReliableStream"/> is false: the delivery classes are honoured as such.
    /// <see cref="LinkCapabilities.MaxUnreliableFrameSize"/> is what fits one datagram of the base size
    /// (<see cref="Mtu"/>), or <see cref="LinkCapabilities.MaxFrameSize"/> with
    /// <see cref="UdpLinkOptions.FragmentUnreliable"/>. It does not grow with <see cref="PathMtu"/>: a frame promised
    /// to fit one datagram must still fit after the link falls back to the base size.</remarks>
    public LinkCapabilities Capabilities { get; private set; }

    /// <inheritdoc/>
    public Task<LinkCloseReason> Completion => _inbox.Completion;

    /// <summary>
    /// The base packet size, in bytes of UDP payload: the smaller of the two sides' <see cref="UdpLinkOptions.Mtu"/>.
    /// Packets are at most this large until path MTU discovery confirms more (<see cref="PathMtu"/>), and again after
    /// larger packets stop getting through.
    /// </summary>
    public int Mtu => _mtu;

    /// <summary>
    /// The largest packet the link sends now, in bytes of UDP payload: <see cref="Mtu"/> at first, then the largest
    /// size a probe confirmed, up to the smaller of the two sides' <see cref="UdpLinkOptions.MaxMtu"/>.
    /// </summary>
    public int PathMtu => Volatile.Read(ref _packetSize);

    internal uint LocalConnectionId { get; }

    internal uint RemoteConnectionId { get; private set; }

    internal Task HandshakeTask => _established.Task;

    internal bool IsClosed => _state == State.Closed;

    /// <inheritdoc/>
    public ValueTask SendAsync(ReadOnlyMemory<byte> frame, Reliability reliability = Reliability.ReliableOrdered, CancellationToken cancellationToken = default)
    {
        int cls = (int)reliability;
        if ((uint)cls >= LaneCount)
        {
            return ValueTask.FromException(new ArgumentOutOfRangeException(nameof(reliability)));
        }

        int max = cls < 2 ? Capabilities.MaxFrameSize : Capabilities.MaxUnreliableFrameSize;
        if (frame.Length > max)
        {
            return ValueTask.FromException(new FrameTooLargeException(frame.Length, max));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        bool queued;
        bool flushed = false;
        lock (_lock)
        {
            if (_state != State.Established)
            {
                return ValueTask.FromException(ClosedExceptionLocked());
            }

            queued = TryEnqueueLocked(frame.Span, cls);
            if (queued && _sent.Count == 0 && Volatile.Read(ref _flushQueued) == 0)
            {
                // Nothing in flight and no flush pending: an isolated message (a ping, a game tick) leaves now, from
                // this thread. While packets are in flight, sends are left to the scheduled flush, which coalesces.
                FlushLocked(UdpClock.Now);
                flushed = true;
            }
        }

        if (flushed)
        {
            SendQueued();
            return default;
        }

        if (queued || cls >= 2)
        {
            ScheduleFlush();
            return default;
        }

        return SendSlowAsync(frame, cls, cancellationToken);
    }

    /// <summary>
    /// Queues a frame without waiting. Returns false when the frame's reliable lane is full, when an unreliable frame
    /// was dropped because its lane is full (it is also counted in <see cref="UdpLinkStatus.UnreliableDropped"/>), or
    /// when the link is closed.
    /// </summary>
    /// <param name="frame">The frame's bytes (copied before the call returns).</param>
    /// <param name="reliability">The delivery class.</param>
    /// <exception cref="FrameTooLargeException">The frame is larger than the class allows.</exception>
    public bool TrySend(ReadOnlySpan<byte> frame, Reliability reliability = Reliability.ReliableOrdered)
    {
        int cls = (int)reliability;
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)cls, (uint)LaneCount, nameof(reliability));
        int max = cls < 2 ? Capabilities.MaxFrameSize : Capabilities.MaxUnreliableFrameSize;
        if (frame.Length > max)
        {
            throw new FrameTooLargeException(frame.Length, max);
        }

        bool queued;
        lock (_lock)
        {
            if (_state != State.Established)
            {
                return false;
            }

            queued = TryEnqueueLocked(frame, cls);
        }

        if (queued)
        {
            ScheduleFlush();
        }

        return queued;
    }

    /// <inheritdoc/>
    public ValueTask<LinkFrame> ReceiveAsync(CancellationToken cancellationToken = default) => _inbox.ReceiveAsync(cancellationToken);

    /// <inheritdoc/>
    public bool TryReceive(out LinkFrame frame) => _inbox.TryReceive(out frame);

    /// <summary>
    /// The application took a reliable frame (on its own thread). Grants the peer more credit once half the window
    /// was consumed since the last grant, and lets a peer that overran the window resend once the queue drained.
    /// </summary>
    private void OnConsumed()
    {
        long consumed = _inbox.ConsumedCost;
        bool resume = _receiveStalled && _inbox.CountedCostWaiting <= _options.ReceiveWindow / 2;
        bool grant = consumed - Volatile.Read(ref _advertisedConsumed) >= _options.ReceiveWindow / 2;
        if (!resume && (!grant || Interlocked.Exchange(ref _creditUpdateQueued, 1) != 0))
        {
            return;
        }

        lock (_lock)
        {
            if (resume && _receiveStalled)
            {
                _receiveStalled = false;
                _resumePending = true;
            }

            _creditUpdatePending = true;
        }

        ScheduleFlush();
    }

    /// <summary>A snapshot of the link's live state: round trip, loss, rates, congestion window, queues.</summary>
    public UdpLinkStatus GetStatus()
    {
        lock (_lock)
        {
            long now = UdpClock.Now;
            long oldest = long.MaxValue;
            foreach (ReliableSendLane lane in _reliable)
            {
                TrimInflight(lane);
                if (lane.Inflight.Count > 0)
                {
                    oldest = Math.Min(oldest, lane.Inflight.Peek().EnqueuedAt);
                }

                if (lane.Unsent.Count > 0)
                {
                    oldest = Math.Min(oldest, lane.Unsent.Peek().EnqueuedAt);
                }
            }

            foreach (UnreliableSendLane lane in _unreliable)
            {
                oldest = Math.Min(oldest, lane.OldestEnqueuedAt);
            }

            return new UdpLinkStatus
            {
                Rtt = Micros(_rtt.HasSample ? _rtt.Srtt : 0),
                RttVariance = Micros(_rtt.HasSample ? _rtt.RttVar : 0),
                MinRtt = Micros(_rtt.HasSample ? _rtt.MinRtt : 0),
                RetransmitTimeout = Micros(_rtt.Rto * _backoff),
                Loss = _loss,
                SendRate = PacingRate(),
                BandwidthEstimate = _bandwidth,
                CongestionWindow = _cwnd,
                BytesInFlight = _bytesInFlight,
                BytesSentPerSecond = _bytesSentPerSecond,
                BytesReceivedPerSecond = _bytesReceivedPerSecond,
                PacketsSentPerSecond = _packetsSentPerSecond,
                PacketsReceivedPerSecond = _packetsReceivedPerSecond,
                PacketsSent = _packetsSent,
                PacketsReceived = _packetsReceived,
                PacketsLost = _packetsLost,
                QueuedReliableOrdered = _reliable[0].QueuedBytes,
                QueuedReliableUnordered = _reliable[1].QueuedBytes,
                QueuedUnreliable = _unreliable[0].QueuedBytes,
                QueuedUnreliableSequenced = _unreliable[1].QueuedBytes,
                OldestQueuedAge = oldest == long.MaxValue ? TimeSpan.Zero : Micros(Math.Max(0, UdpClock.Coarse - oldest)),
                UnreliableDropped = _unreliableDropped,
                PacketsDroppedInvalid = _droppedInvalid,
                PacketsDroppedReplayed = _droppedReplayed,
                PacketsDeferred = _deferred,
                SendCredit = Math.Max(0, _peerCreditLimit - _startedCost),
                ReceiveWindowUsed = _inbox.CountedCostWaiting,
                UnreliableDroppedOnReceive = _receiveDropped + _unreliableIn[0].IncompleteDropped + _unreliableIn[1].IncompleteDropped,
                PathChallengesSent = _pathChallengesSent,
                PathMigrations = _pathMigrations,
                KeyUpdates = _keyUpdates,
                PeerKeyUpdates = _peerKeyUpdates,
                PathMtu = _packetSize,
                MaxPathMtu = _maxPacketSize,
                PathMtuSearching = _probeTarget != 0,
                PathMtuProbesSent = _probesSent,
                PathMtuProbesLost = _probesLost,
                PathMtuBlackHoles = _blackHoles,
            };
        }
    }

    /// <summary>
    /// Closes the link: waits up to <see cref="UdpLinkOptions.CloseTimeout"/> for reliable frames already sent to be
    /// acknowledged, then tells the peer (which sees <see cref="LinkCloseReason.RemoteClosed"/>), resending the close
    /// every retransmission timeout until the peer acknowledges it, for up to another <see cref="UdpLinkOptions.CloseTimeout"/>,
    /// and discards frames not yet received.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            // A second caller (the endpoint closing its links) waits for the first to finish.
            return new ValueTask(Volatile.Read(ref _disposing) ?? Task.CompletedTask);
        }

        Task disposing = DisposeCoreAsync();
        Volatile.Write(ref _disposing, disposing);
        return new ValueTask(disposing);
    }

    private async Task DisposeCoreAsync()
    {
        long deadline = UdpClock.Now + UdpClock.Micros(_options.CloseTimeout);
        while (UdpClock.Now < deadline)
        {
            lock (_lock)
            {
                if (_state != State.Established || (_reliable[0].QueuedCount == 0 && _reliable[1].QueuedCount == 0))
                {
                    break;
                }
            }

            await Task.Delay(2).ConfigureAwait(false);
        }

        // The close is resent by the endpoint's timer every retransmission timeout (not backed off) until the peer
        // acknowledges it (it answers a CLOSE with an ACK before closing), the peer closes too, or another
        // CloseTimeout runs out (OnTick).
        Task closing = Task.CompletedTask;
        lock (_lock)
        {
            if (_state == State.Established)
            {
                long now = UdpClock.Now;
                _closeDeadline = now + UdpClock.Micros(_options.CloseTimeout);
                _closeDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                closing = _closeDone.Task;
                SendCloseLocked(now);
            }
        }

        SendQueued();

        try
        {
            // Bounded here too: if the endpoint's timer stops (the endpoint is being disposed), nothing else would end it.
            await closing.WaitAsync(_options.CloseTimeout + TimeSpan.FromMilliseconds(100)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        lock (_lock)
        {
            CloseLocked(LinkCloseReason.Requested, null, discardPending: true);
        }

        AfterLock();
    }

    private void SendCloseLocked(long now)
    {
        _closePackets ??= new List<ulong>();
        _closePackets.Add(_nextPn);
        SendControlPacketLocked([UdpWire.FrameClose], _remote);
        _closeResendAt = now + Math.Max(_rtt.Rto, 10_000);
    }

    /// <inheritdoc/>
    public override string ToString() => $"udp link {LocalId:s} → {RemoteId:s} ({RemoteAddress})";

    // ---------------------------------------------------------------- handshake (initiator side)

    internal void StartHandshake(long now, TimeSpan timeout)
    {
        lock (_lock)
        {
            Span<byte> prologue = stackalloc byte[9];
            NoiseCipher cipher = _options.DialCipher ?? NoiseCipherState.Default;
            UdpEndpoint.WritePrologue(prologue, (byte)cipher, LocalConnectionId);
            _handshake = new NoiseHandshake(cipher, initiator: true, _localKey, prologue);
            _handshakePacket = new byte[UdpWire.InitSize];
            _handshakePacket[0] = UdpWire.TypeInit;
            _handshakePacket[1] = UdpWire.Version;
            _handshakePacket[2] = (byte)cipher;
            BinaryPrimitives.WriteUInt32BigEndian(_handshakePacket.AsSpan(3), LocalConnectionId);
            _handshakePacket[7] = 0;
            _handshake.WriteMessage(ReadOnlySpan<byte>.Empty, _handshakePacket.AsSpan(UdpWire.InitHeaderSize));
            _handshakeInterval = UdpClock.Micros(_options.HandshakeRetransmitInterval);
            _handshakeDeadline = now + UdpClock.Micros(timeout);
            SendHandshakePacketLocked(now);
        }
    }

    internal void OnRetry(ReadOnlySpan<byte> datagram, long now)
    {
        lock (_lock)
        {
            if (_state != State.Handshaking || _handshakePacket is null || _handshakePacket[0] != UdpWire.TypeInit)
            {
                return;
            }

            // Echo the cookie: it goes between the header and message 1, which moves by the cookie's size.
            byte[] packet = _handshakePacket;
            if (packet[7] == 0)
            {
                packet.AsSpan(UdpWire.InitHeaderSize, NoiseHandshake.PublicKeySize).CopyTo(packet.AsSpan(UdpWire.InitHeaderSize + UdpWire.CookieSize));
            }

            packet[7] = UdpWire.CookieSize;
            datagram.Slice(5, UdpWire.CookieSize).CopyTo(packet.AsSpan(UdpWire.InitHeaderSize));
            SendHandshakePacketLocked(now);
        }
    }

    /// <returns>False when the response was malformed or failed authentication.</returns>
    internal bool OnResponse(ReadOnlySpan<byte> datagram, SocketAddress source, long now)
    {
        try
        {
            return OnResponseCore(datagram, source, now);
        }
        finally
        {
            AfterLock();
        }
    }

    private bool OnResponseCore(ReadOnlySpan<byte> datagram, SocketAddress source, long now)
    {
        lock (_lock)
        {
            if (_state != State.Handshaking || _handshake is null || _handshakePacket?[0] != UdpWire.TypeInit)
            {
                return true; // a duplicate
            }

            uint remoteCid = BinaryPrimitives.ReadUInt32BigEndian(datagram[5..]);
            Span<byte> payload = stackalloc byte[256];
            int length;
            try
            {
                length = _handshake.ReadMessage(datagram[UdpWire.ResponseHeaderSize..], payload);
                (int remoteMax, int remoteMtu, uint cid, int remoteWindow, int remoteMaxMtu) = UdpEndpoint.ParsePayload(payload[..length]);
                if (cid != remoteCid)
                {
                    throw new HandshakeException(HandshakeFailure.InvalidMessage, "The responder's connection id does not match its handshake payload.");
                }

                byte[] remoteStatic = _handshake.RemoteStaticKey.ToArray();
                NodeId remoteId = NodeId.FromPublicKey(remoteStatic);
                if (_expectedRemoteId is { } expected && expected != remoteId)
                {
                    // Before message 3: the dialer does not reveal its static key to the wrong node.
                    throw new IdentityMismatchException(expected, remoteId);
                }

                Span<byte> ours = stackalloc byte[UdpWire.HandshakePayloadSize];
                UdpEndpoint.WritePayload(ours, _options, LocalConnectionId);
                byte[] finish = new byte[UdpWire.FinishHeaderSize + NoiseHandshake.MessageSize(2, ours.Length)];
                finish[0] = UdpWire.TypeFinish;
                BinaryPrimitives.WriteUInt32BigEndian(finish.AsSpan(1), remoteCid);
                _handshake.WriteMessage(ours, finish.AsSpan(UdpWire.FinishHeaderSize));
                (NoiseCipherState send, NoiseCipherState receive) = _handshake.Split();
                byte[] hash = _handshake.HandshakeHash.ToArray();
                _handshake.Dispose();
                _handshake = null;
                _handshakePacket = finish;
                _handshakeInterval = UdpClock.Micros(_options.HandshakeRetransmitInterval);
                Establish(send, receive, remoteStatic, hash, remoteMax, remoteMtu, remoteMaxMtu, remoteWindow, remoteCid, source, now);
                _confirmed = false;
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

    internal void FailHandshake(Exception e)
    {
        lock (_lock)
        {
            FailHandshakeLocked(e);
        }

        AfterLock();
    }

    /// <summary>The responder saw message 3 again: the dialer missed our packets, so answer with one.</summary>
    internal void OnDuplicateFinish()
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

    /// <summary>Turns a completed handshake into an established link (both roles).</summary>
    internal void Establish(NoiseCipherState send, NoiseCipherState receive, byte[] remoteStatic, byte[] hash, int remoteMaxFrame, int remoteMtu, int remoteMaxMtu, int remoteWindow, uint remoteCid, SocketAddress source, long now)
    {
        _peerCreditLimit = remoteWindow;
        _sendCipher = send;
        _receiveCipher = receive;
        _sendKeyUpdateAt = (ulong)_options.KeyUpdatePackets;
        _sendPhaseStartedAt = now;
        RemoteStaticKey = remoteStatic;
        RemoteId = NodeId.FromPublicKey(remoteStatic);
        HandshakeHash = hash;
        RemoteConnectionId = remoteCid;
        if (!source.Equals(_remote))
        {
            _remote = UdpEndpoint.Clone(source);
            _remoteEndPoint = UdpEndpoint.ToEndPoint(source);
        }

        _mtu = Math.Max(UdpWire.MinMtu, Math.Min(_options.Mtu, remoteMtu));
        _maxPacketSize = Math.Max(_mtu, Math.Min(_options.MaxMtu, remoteMaxMtu));
        SetPacketSizeLocked(_mtu);
        _baseWholeMax = _wholeMax;
        _packet = new byte[_maxPacketSize];
        _plain = new byte[_maxPacketSize - UdpWire.PacketOverhead];
        _receivePlain = new byte[_maxPacketSize]; // the peer never sends more: its ceiling is the same smaller maximum
        int maxFrame = Math.Min(_options.MaxFrameSize, remoteMaxFrame);
        Capabilities = new LinkCapabilities
        {
            IsReliableStream = false,
            IsSecure = true,
            MaxFrameSize = maxFrame,
            MaxUnreliableFrameSize = _options.FragmentUnreliable ? maxFrame : Math.Min(maxFrame, _wholeMax),
        };
        _cwnd = 10L * _mtu;
        _tokensAt = now;
        _deliveredTime = now;
        _lastReceive = now;
        _lastSend = now;
        _rateAt = now;
        _confirmed = true;
        _state = State.Established;
        if (_maxPacketSize > _mtu)
        {
            StartSearchLocked(now); // probes leave once the handshake is confirmed
        }
    }

    internal void SendPing()
    {
        lock (_lock)
        {
            _pingPending = true;
            FlushLocked(UdpClock.Now);
        }

        SendQueued();
    }

    private void SendHandshakePacketLocked(long now)
    {
        _endpoint.SendDatagram(_handshakePacket, _remote);
        _handshakeNext = now + _handshakeInterval;
        _handshakeInterval *= 2;
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

    // ---------------------------------------------------------------- sending

    private bool TryEnqueueLocked(ReadOnlySpan<byte> frame, int cls)
    {
        long now = UdpClock.Coarse; // only for OldestQueuedAge
        if (cls < 2)
        {
            ReliableSendLane lane = _reliable[cls];
            // Each frame counts LinkInbox.FrameCost more than its bytes, so empty frames cannot queue without bound.
            if (lane.QueuedCount > 0 && lane.QueuedBytes + ((lane.QueuedCount + 1L) * LinkInbox.FrameCost) + frame.Length > _options.SendQueueLimit)
            {
                return false;
            }

            OutMessage message = RentMessage();
            message.Init(frame, lane.NextSeq++, cls, _wholeMax, _chunkSize, now);
            lane.Unsent.Enqueue(message);
            lane.QueuedBytes += frame.Length;
            lane.QueuedCount++;
            return true;
        }

        UnreliableSendLane unreliable = _unreliable[cls - 2];
        if (unreliable.Count > 0 && unreliable.QueuedBytes + ((unreliable.Count + 1L) * LinkInbox.FrameCost) + frame.Length > _options.UnreliableQueueLimit)
        {
            _unreliableDropped++;
            return false;
        }

        if (frame.Length <= _baseWholeMax)
        {
            unreliable.Whole.Enqueue(frame, unreliable.NextSeq++, now); // fits whole in any packet the link sends
        }
        else
        {
            OutMessage m = RentMessage();
            m.Init(frame, unreliable.NextSeq++, cls, _wholeMax, _chunkSize, now);
            unreliable.Pending.Enqueue(m);
        }

        unreliable.QueuedBytes += frame.Length;
        return true;
    }

    /// <summary>
    /// Completes once no frame waits in this link's send lanes for its first transmission: every unreliable frame
    /// queued has gone out (or been dropped), and every reliable one has been sent at least once (it may still await
    /// acknowledgement; <see cref="DisposeAsync"/> waits for that). Frames leave without it, as congestion control
    /// and pacing allow; it is for a sender that wants to know a burst has left, for example before sending a
    /// marker on another lane. Frames queued while it waits are waited for too.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting; the frames stay queued.</param>
    /// <exception cref="LinkClosedException">The link closed before its lanes emptied.</exception>
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_state != State.Established)
                {
                    throw ClosedExceptionLocked();
                }

                if (SendLanesEmptyLocked())
                {
                    return;
                }

                _sendQueuesEmpty ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _sendQueuesEmpty.Task;
            }

            ScheduleFlush();
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>No frame waits for its first transmission (reliable frames being resent do not count).</summary>
    private bool SendLanesEmptyLocked() =>
        _reliable[0].Unsent.Count == 0 && _reliable[1].Unsent.Count == 0
        && _unreliable[0].Count == 0 && _unreliable[1].Count == 0;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendSlowAsync(ReadOnlyMemory<byte> frame, int cls, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_state != State.Established)
                {
                    throw ClosedExceptionLocked();
                }

                if (TryEnqueueLocked(frame.Span, cls))
                {
                    break;
                }

                _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _room.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        ScheduleFlush();
    }

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
            QueueBatchLocked(); // packets already sealed leave even if building the next one failed
        }

        if (_sendQueuesEmpty is { } emptied && SendLanesEmptyLocked())
        {
            _sendQueuesEmpty = null;
            emptied.TrySetResult();
        }
    }

    /// <summary>Builds the packets <see cref="FlushLocked"/> sends; they are queued by <see cref="QueueBatchLocked"/>.</summary>
    private void FillPacketsLocked(long now)
    {
        if (_state != State.Established)
        {
            return;
        }

        RefillTokens(now);
        if (_probeTarget != 0 && _probeSize == 0 && _confirmed && now >= _probeNotBefore && _closeDone is null
            && _bytesInFlight < _cwnd && (!_rtt.HasSample || _tokens > 0) && OutboxIdleLocked())
        {
            SendProbeLocked(now); // first, on its own: never part of a batch of smaller packets
        }

        for (int guard = 0; guard < 512; guard++)
        {
            bool canData = _bytesInFlight < _cwnd && (!_rtt.HasSample || _tokens > 0);
            bool wantAck = (_ackPending > 0 && (_ackNow || now >= _ackDeadline)) || (_creditUpdatePending && _received.Count > 0);
            bool hasData = canData && (_pingPending || HasSendable());
            if (!hasData && !wantAck && !_resumePending)
            {
                return;
            }

            Span<byte> payload = _plain.AsSpan(0, _payloadCapacity);
            int pos = 0;
            bool acked = false;
            if ((_ackPending > 0 || _creditUpdatePending) && _received.Count > 0)
            {
                pos += WriteAck(payload, now);
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
                packet = _sentPool.Count > 0 ? _sentPool.Pop() : new SentPacket();
                if (_pingPending)
                {
                    payload[pos++] = UdpWire.FramePing;
                    _pingPending = false;
                    eliciting = true;
                }

                eliciting |= FillLanes(payload, ref pos, packet);
            }

            if (pos == 0)
            {
                ReturnSent(packet);
                return;
            }

            ulong pn = SendPacketLocked(pos);
            if (acked)
            {
                _ackPending = 0;
                _ackNow = false;
            }

            if (eliciting)
            {
                int size = pos + UdpWire.PacketOverhead;
                packet!.Pn = pn;
                packet.SentAt = now;
                packet.Size = size;
                packet.DeliveredAtSend = _delivered;
                packet.DeliveredTimeAtSend = _deliveredTime;
                _sent.Add(packet);
                _bytesInFlight += size;
                packet.InFlightAtSend = _bytesInFlight;
                _tokens -= size;
                _lastSend = now;
            }
            else
            {
                ReturnSent(packet);
            }
        }

        // More to send than one flush does: continue soon.
        ScheduleFlush();
    }

    /// <summary>
    /// Encrypts <c>_plain[..length]</c> into a data packet, which joins the link's batch. Where the transport sends
    /// runs of equal-size datagrams in one call (UDP GSO), a batch holds up to <see cref="UdpEndpoint.MaxSegments"/>
    /// of them; a packet larger than the batch's first, or one after a shorter packet, closes the batch first.
    /// Otherwise a batch is one packet. <see cref="QueueBatchLocked"/> moves a closed batch to the outbox.
    /// </summary>
    private ulong SendPacketLocked(int length)
    {
        ulong pn = _nextPn++;
        int size = length + UdpWire.PacketOverhead;
        int maxSegments = Math.Max(1, _endpoint.MaxSegments);
        if (_batchCount > 0 && (_batchClosed || size > _batchSegment || _batchCount >= maxSegments || _batchLength + size > MaxBatchBytes))
        {
            QueueBatchLocked();
        }

        _batch ??= ArrayPool<byte>.Shared.Rent(maxSegments > 1 ? Math.Max(MaxBatchBytes, _maxPacketSize) : _maxPacketSize);
        if (_batchCount == 0)
        {
            _batchSegment = size;
        }

        SealLocked(pn, _plain.AsSpan(0, length), _batch.AsSpan(_batchLength, size));
        _batchLength += size;
        _batchCount++;
        _batchClosed = size < _batchSegment;
        _packetsSent++;
        _bytesSent += size;
        return pn;
    }

    /// <summary>
    /// A packet came from <paramref name="source"/>, not the link's address: challenge that address (again at most
    /// once per retransmission timeout). The last four addresses challenged are remembered with their data, so an
    /// answer counts only from the address its challenge went to, and copies forwarded from other addresses do not
    /// cancel a genuine move. Until an answer comes back, everything still goes to the old address, so a forwarded
    /// copy of a packet cannot redirect the link.
    /// </summary>
    private void ChallengePathLocked(SocketAddress source, long now)
    {
        int slot = -1;
        int oldest = 0;
        for (int i = 0; i < _pathChallenges.Length; i++)
        {
            if (_pathChallenges[i].Address is { } address && address.Equals(source))
            {
                slot = i;
                break;
            }

            if (_pathChallenges[i].SentAt < _pathChallenges[oldest].SentAt)
            {
                oldest = i;
            }
        }

        ref PathChallenge challenge = ref _pathChallenges[slot < 0 ? oldest : slot];
        if (slot >= 0 && now - challenge.SentAt < Math.Max(_rtt.Rto, 10_000))
        {
            return;
        }

        if (slot < 0)
        {
            challenge = new PathChallenge { Address = UdpEndpoint.Clone(source) };
        }

        Span<byte> frame = stackalloc byte[9];
        frame[0] = UdpWire.FramePathChallenge;
        RandomNumberGenerator.Fill(frame[1..]);
        challenge.Previous = challenge.Data; // an answer to the last challenge may still be on its way
        challenge.Data = BinaryPrimitives.ReadUInt64LittleEndian(frame[1..]);
        challenge.SentAt = now;
        SendControlPacketLocked(frame, challenge.Address!);
        _pathChallengesSent++;
    }

    /// <summary>A PATH_RESPONSE arrived: move the link if it answers a challenge sent to the address it came from.</summary>
    private void OnPathResponseLocked(ulong data, SocketAddress source, long now)
    {
        foreach (PathChallenge challenge in _pathChallenges)
        {
            if (challenge.Address is { } address && address.Equals(source) && (data == challenge.Data || data == challenge.Previous))
            {
                _remote = address;
                _remoteEndPoint = UdpEndpoint.ToEndPoint(address);
                Array.Clear(_pathChallenges);
                _pathMigrations++;
                _ackNow = true; // tell the peer at once, from the new path, what arrived meanwhile
                RestartPathMtuLocked(now, delay: 0); // a new path: its MTU is unknown
                return;
            }
        }
    }

    private void SendPathResponseLocked(ulong data)
    {
        Span<byte> response = stackalloc byte[9];
        response[0] = UdpWire.FramePathResponse;
        BinaryPrimitives.WriteUInt64LittleEndian(response[1..], data);
        SendControlPacketLocked(response, _packetSource!);
    }

    /// <summary>Seals <paramref name="frames"/> into a packet of its own for <paramref name="destination"/>, queued behind
    /// the link's batch (not ack-eliciting, never retransmitted).</summary>
    private void SendControlPacketLocked(ReadOnlySpan<byte> frames, SocketAddress destination)
    {
        QueueBatchLocked();
        ulong pn = _nextPn++;
        int size = frames.Length + UdpWire.PacketOverhead;
        byte[] packet = ArrayPool<byte>.Shared.Rent(size);
        SealLocked(pn, frames, packet.AsSpan(0, size));
        QueueOutgoingLocked(new Outgoing(packet, size, 0, destination));
        _packetsSent++;
        _bytesSent += size;
    }

    /// <summary>Writes a data packet's header (type, the peer's connection id, <paramref name="pn"/>) and seals
    /// <paramref name="frames"/> after it, authenticated with the header.</summary>
    private void SealLocked(ulong pn, ReadOnlySpan<byte> frames, Span<byte> packet)
    {
        if (pn >= _sendKeyUpdateAt)
        {
            UpdateSendKeyLocked(pn);
        }

        packet[0] = (byte)(UdpWire.TypeData | _sendPhase);
        BinaryPrimitives.WriteUInt32BigEndian(packet[1..], RemoteConnectionId);
        BinaryPrimitives.WriteUInt64BigEndian(packet[5..], pn);
        _sendCipher!.EncryptAt(pn, packet[..UdpWire.DataHeaderSize], frames, packet[UdpWire.DataHeaderSize..]);
    }

    /// <summary>
    /// A key update is due: seals packet <paramref name="pn"/> onwards with the next key and the other phase bit,
    /// once the peer has acknowledged a packet sealed with the current key (so it has moved to the current phase and
    /// can tell the next one from the previous one). Until then it asks for that acknowledgement with a PING.
    /// </summary>
    private void UpdateSendKeyLocked(ulong pn)
    {
        if (!_anyAcked || _largestAcked < _sendPhaseStart)
        {
            // Packets in flight will be acknowledged (or resent in new packets, which will be); with none, a PING.
            _pingPending |= _sent.Count == 0;
            return;
        }

        NoiseCipherState old = _sendCipher!;
        _sendCipher = old.Rekey();
        old.Dispose();
        _sendPhase ^= UdpWire.KeyPhaseBit;
        _sendPhaseStart = pn;
        _sendPhaseStartedAt = UdpClock.Now;
        _sendKeyUpdateAt = pn + (ulong)_options.KeyUpdatePackets;
        _keyUpdates++;
    }

    /// <summary>
    /// The key that opens packet <paramref name="pn"/> with key phase <paramref name="phase"/>: the current one for
    /// the current phase; for the other phase the previous key if the packet is older than every packet seen in the
    /// current phase, else the next key (derived once, on the first packet that claims it).
    /// </summary>
    private NoiseCipherState? ReceiveKeyLocked(byte phase, ulong pn)
    {
        if (phase == _receivePhase)
        {
            return _receiveCipher;
        }

        return pn < _receivePhaseLowest ? _receivePrevious : _receiveNext ??= _receiveCipher!.Rekey();
    }

    /// <summary>Packet <paramref name="pn"/> authenticated with <paramref name="key"/>: moves to the peer's next phase
    /// when that was the next key, and keeps the lowest packet number seen in the current phase.</summary>
    private void NoteReceiveKeyLocked(NoiseCipherState key, byte phase, ulong pn)
    {
        if (ReferenceEquals(key, _receiveNext))
        {
            _receivePrevious?.Dispose();
            _receivePrevious = _receiveCipher;
            _receiveCipher = key;
            _receiveNext = null;
            _receivePhase = phase;
            _receivePhaseLowest = pn;
            _peerKeyUpdates++;
        }
        else if (phase == _receivePhase && pn < _receivePhaseLowest)
        {
            _receivePhaseLowest = pn;
        }
    }

    /// <summary>Moves the packets batched by <see cref="SendPacketLocked"/> to the outbox (sent by <see cref="SendQueued"/>).</summary>
    private void QueueBatchLocked()
    {
        if (_batch is not { } batch)
        {
            return;
        }

        if (_batchCount == 0)
        {
            _batch = null; // sealing its first packet failed
            ArrayPool<byte>.Shared.Return(batch);
            return;
        }

        QueueOutgoingLocked(new Outgoing(batch, _batchLength, _batchCount == 1 ? 0 : _batchSegment, _remote));
        _batch = null;
        _batchLength = 0;
        _batchCount = 0;
        _batchClosed = false;
    }

    /// <summary>Queues sealed datagrams behind those already waiting (under <c>_lock</c>, so in packet-number order).</summary>
    private void QueueOutgoingLocked(Outgoing outgoing)
    {
        lock (_outboxLock)
        {
            _outbox.Enqueue(outgoing);
        }
    }

    /// <summary>
    /// Makes the system calls for the datagrams in the outbox, in order; called after releasing <c>_lock</c> by every
    /// thread that may have queued some. One thread sends at a time: a thread that finds another sending leaves its
    /// datagrams to it, since that thread empties the outbox before it stops.
    /// </summary>
    private void SendQueued()
    {
        Outgoing next;
        lock (_outboxLock)
        {
            if (_outboxSending || !_outbox.TryDequeue(out next))
            {
                return;
            }

            _outboxSending = true;
        }

        try
        {
            while (true)
            {
                try
                {
                    if (next.Segment == 0)
                    {
                        _endpoint.SendDatagram(next.Buffer.AsSpan(0, next.Length), next.Destination);
                    }
                    else
                    {
                        _endpoint.SendSegments(next.Buffer.AsSpan(0, next.Length), next.Segment, next.Destination);
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(next.Buffer);
                }

                lock (_outboxLock)
                {
                    if (!_outbox.TryDequeue(out next))
                    {
                        _outboxSending = false;
                        return;
                    }
                }
            }
        }
        catch
        {
            lock (_outboxLock)
            {
                _outboxSending = false;
            }

            throw;
        }
    }

    /// <summary>Whether no datagram waits in the outbox and no thread is sending (a path MTU probe, sent at once, would overtake them).</summary>
    private bool OutboxIdleLocked()
    {
        lock (_outboxLock)
        {
            return !_outboxSending && _outbox.Count == 0;
        }
    }

    /// <summary>Datagrams sealed under the lock, waiting for <see cref="SendQueued"/>: <see cref="Segment"/> is 0 for one
    /// datagram, else the size of each of the equal-size datagrams in <see cref="Buffer"/> (the last may be shorter).</summary>
    private readonly record struct Outgoing(byte[] Buffer, int Length, int Segment, SocketAddress Destination);

    private bool HasSendable()
    {
        foreach (ReliableSendLane lane in _reliable)
        {
            if (lane.Retransmit.Count > 0)
            {
                return true;
            }

            if (lane.Unsent.Count > 0 && lane.Unsent.Peek() is var next && (next.NextChunk > 0 || _startedCost < _peerCreditLimit || _options.IgnoreFlowControl)
                && next.Seq < OldestUnfinished(lane) + (ulong)_options.ReliableWindow)
            {
                return true;
            }
        }

        return _unreliable[0].Count > 0 || _unreliable[1].Count > 0;
    }

    private ulong OldestUnfinished(ReliableSendLane lane)
    {
        TrimInflight(lane);
        return lane.Inflight.Count > 0 ? lane.Inflight.Peek().Seq : lane.Unsent.Count > 0 ? lane.Unsent.Peek().Seq : lane.NextSeq;
    }

    private bool FillLanes(Span<byte> payload, ref int pos, SentPacket packet)
    {
        int start = _rrLane;
        _rrLane = (_rrLane + 1) % LaneCount;
        bool wrote = false;
        for (int k = 0; k < LaneCount && payload.Length - pos > 8; k++)
        {
            int cls = (start + k) % LaneCount;
            wrote |= cls < 2 ? FillReliable(_reliable[cls], payload, ref pos, packet) : FillUnreliable(_unreliable[cls - 2], payload, ref pos);
        }

        return wrote;
    }

    private bool FillReliable(ReliableSendLane lane, Span<byte> payload, ref int pos, SentPacket packet)
    {
        bool wrote = false;
        while (lane.Retransmit.Count > 0)
        {
            ChunkRef chunk = lane.Retransmit.Peek();
            if (!chunk.IsLive)
            {
                lane.Retransmit.Dequeue();
                continue;
            }

            if (ChunkFrameSize(chunk.Message, chunk.Chunk) > payload.Length - pos)
            {
                return wrote;
            }

            pos += WriteChunk(payload[pos..], chunk.Message, chunk.Chunk);
            packet.Chunks.Add(chunk);
            lane.Retransmit.Dequeue();
            wrote = true;
        }

        ulong limit = OldestUnfinished(lane) + (ulong)_options.ReliableWindow;
        while (lane.Unsent.Count > 0)
        {
            OutMessage message = lane.Unsent.Peek();
            if (message.NextChunk == 0 && message.ChunkedFor != _chunkSize && !(message.Whole && message.Length <= _wholeMax))
            {
                message.Rechunk(_wholeMax, _chunkSize); // cut when the packet size was another: cut for this one
            }

            if (message.Seq >= limit || ChunkFrameSize(message, message.NextChunk) > payload.Length - pos)
            {
                return wrote;
            }

            if (message.NextChunk == 0)
            {
                // Flow control: a new frame starts only while the receiver's credit lasts; one started is finished.
                if (_startedCost >= _peerCreditLimit && !_options.IgnoreFlowControl)
                {
                    _creditBlocked = true;
                    return wrote;
                }

                _startedCost += LinkInbox.FrameCost + message.Length;
            }

            pos += WriteChunk(payload[pos..], message, message.NextChunk);
            packet.Chunks.Add(new ChunkRef(message, message.Generation, message.NextChunk));
            wrote = true;
            if (++message.NextChunk == message.ChunkCount)
            {
                lane.Unsent.Dequeue();
                lane.Inflight.Enqueue(message);
            }
        }

        return wrote;
    }

    private bool FillUnreliable(UnreliableSendLane lane, Span<byte> payload, ref int pos)
    {
        bool wrote = false;
        while (lane.Count > 0)
        {
            if (lane.Whole.Count > 0 && (lane.Pending.Count == 0 || lane.Whole.PeekSeq < lane.Pending.Peek().Seq))
            {
                ulong seq = lane.Whole.PeekSeq;
                ReadOnlySpan<byte> frame = lane.Whole.PeekFrame;
                if (WholeFrameSize(seq, frame.Length) > payload.Length - pos)
                {
                    return wrote;
                }

                pos += WriteWhole(payload[pos..], lane.Class, seq, frame);
                lane.QueuedBytes -= frame.Length;
                lane.Whole.Dequeue();
                wrote = true;
                continue;
            }

            OutMessage message = lane.Pending.Peek();
            if (message.NextChunk == 0 && message.ChunkedFor != _chunkSize && !(message.Whole && message.Length <= _wholeMax))
            {
                message.Rechunk(_wholeMax, _chunkSize);
            }

            if (ChunkFrameSize(message, message.NextChunk) > payload.Length - pos)
            {
                return wrote;
            }

            pos += WriteChunk(payload[pos..], message, message.NextChunk);
            wrote = true;
            if (++message.NextChunk == message.ChunkCount)
            {
                lane.Pending.Dequeue();
                lane.QueuedBytes -= message.Length;
                ReturnMessage(message);
            }
        }

        return wrote;
    }

    private static int ChunkFrameSize(OutMessage m, int chunk) => m.Whole
        ? WholeFrameSize(m.Seq, m.Length)
        : 1 + WireSize.Varint64(m.Seq) + WireSize.Varint64((ulong)m.Length) + WireSize.Varint64((ulong)m.ChunkSize) + WireSize.Varint64((ulong)chunk) + m.ChunkLength(chunk);

    /// <summary>The size of a MESSAGE frame carrying a whole frame of <paramref name="length"/> bytes.</summary>
    private static int WholeFrameSize(ulong seq, int length) => 1 + WireSize.Varint64(seq) + WireSize.Varint64((ulong)length) + length;

    /// <summary>Writes a MESSAGE frame (type with the class, sequence number, length, bytes); returns its size.</summary>
    private static int WriteWhole(Span<byte> destination, int cls, ulong seq, ReadOnlySpan<byte> frame)
    {
        int pos = 0;
        destination[pos++] = (byte)(UdpWire.FrameMessage | cls);
        pos += Varint.Write(destination[pos..], seq);
        pos += Varint.Write(destination[pos..], (ulong)frame.Length);
        frame.CopyTo(destination[pos..]);
        return pos + frame.Length;
    }

    private static int WriteChunk(Span<byte> destination, OutMessage m, int chunk)
    {
        if (m.Whole)
        {
            return WriteWhole(destination, m.Class, m.Seq, m.Buffer.AsSpan(0, m.Length));
        }

        int pos = 0;
        destination[pos++] = (byte)(UdpWire.FrameFragment | m.Class);
        pos += Varint.Write(destination[pos..], m.Seq);
        pos += Varint.Write(destination[pos..], (ulong)m.Length);
        pos += Varint.Write(destination[pos..], (ulong)m.ChunkSize);
        pos += Varint.Write(destination[pos..], (ulong)chunk);
        int length = m.ChunkLength(chunk);
        m.Buffer.AsSpan(chunk * m.ChunkSize, length).CopyTo(destination[pos..]);
        return pos + length;
    }

    /// <summary>
    /// ACK frame: largest, ack delay (µs), credit (the cost of reliable frames the peer may have started in all),
    /// first range length, extra range count, then (gap, length) pairs.
    /// </summary>
    private int WriteAck(Span<byte> payload, long now)
    {
        (ulong lo, ulong hi) = _received[0];
        ulong delay = (ulong)Math.Max(0, now - _largestReceivedAt);
        long consumed = _inbox.ConsumedCost;
        ulong credit = (ulong)(consumed + _options.ReceiveWindow);
        Volatile.Write(ref _advertisedConsumed, consumed);
        _creditUpdatePending = false;
        Volatile.Write(ref _creditUpdateQueued, 0);
        int size = 1 + WireSize.Varint64(hi) + WireSize.Varint64(delay) + WireSize.Varint64(credit) + WireSize.Varint64(hi - lo) + 1;
        int extra = 0;
        ulong prevLo = lo;
        for (int i = 1; i < _received.Count && extra < 100; i++)
        {
            (ulong l, ulong h) = _received[i];
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
            (ulong l, ulong h) = _received[i];
            pos += Varint.Write(payload[pos..], prevLo - h - 2);
            pos += Varint.Write(payload[pos..], h - l);
            prevLo = l;
        }

        return pos;
    }

    private void RefillTokens(long now)
    {
        double rate = PacingRate();
        if (rate <= 0)
        {
            return;
        }

        double burst = Math.Max(4.0 * _packetSize, rate * 2 * UdpClock.Micros(_options.TimerResolution) / 1e6);
        _tokens = Math.Min(burst, _tokens + (rate * (now - _tokensAt) / 1e6));
        _tokensAt = now;
    }

    /// <summary>Bytes per second: the congestion window per smoothed RTT, doubled in slow start, 1.25× after.</summary>
    private double PacingRate()
    {
        if (!_rtt.HasSample)
        {
            return 0;
        }

        double gain = _cwnd < _ssthresh ? 2.0 : 1.25;
        return gain * _cwnd * 1e6 / Math.Max(_rtt.Srtt, 100);
    }

    // ---------------------------------------------------------------- receiving

    internal enum PacketVerdict
    {
        Accepted,
        Replayed,
        Invalid,
        NotEstablished,
    }

    internal PacketVerdict OnDataPacket(ReadOnlySpan<byte> datagram, SocketAddress source, long now)
    {
        try
        {
            return OnDataPacketCore(datagram, source, now);
        }
        finally
        {
            AfterLock();
        }
    }

    private PacketVerdict OnDataPacketCore(ReadOnlySpan<byte> datagram, SocketAddress source, long now)
    {
        lock (_lock)
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

            ReadOnlySpan<byte> ciphertext = datagram[UdpWire.DataHeaderSize..];
            byte phase = (byte)(datagram[0] & UdpWire.KeyPhaseBit);
            if (ciphertext.Length < UdpWire.TagSize || ciphertext.Length - UdpWire.TagSize > _receivePlain.Length
                || ReceiveKeyLocked(phase, pn) is not { } key
                || !key.TryDecryptAt(pn, datagram[..UdpWire.DataHeaderSize], ciphertext, _receivePlain))
            {
                _droppedInvalid++;
                return PacketVerdict.Invalid;
            }

            NoteReceiveKeyLocked(key, phase, pn);
            _replay.Mark(pn);
            _packetSource = source;
            if (!source.Equals(_remote))
            {
                // The peer's address changed (NAT rebinding), or someone on the path forwarded a copy of its packet:
                // the link moves only once the peer answers a challenge sent to the new address.
                ChallengePathLocked(source, now);
            }

            _lastReceive = now;
            _packetsReceived++;
            _bytesReceived += datagram.Length;
            if (!_confirmed)
            {
                _confirmed = true;
                _handshakePacket = null;
            }

            // A peer within its flow-control credit never gets reliable frames deferred; one that ignores it gets
            // its packets left unacknowledged until the application catches up. Unreliable frames are dropped when
            // ReceiveQueueCapacity of them wait.
            // Frames reach the application after this run of datagrams, outside the lock (FlushAfterBatch): a
            // receiver waiting for frames is woken once per run and finds all of them, instead of waking for the
            // first frame, finding the queue empty again while the rest are decrypted, and parking once per frame.
            // With ReceiveInline it resumes on this thread, and must not run under the lock.
            _inbox.Hold();
            if (!_flushAfterBatch)
            {
                _flushAfterBatch = true;
                _endpoint.FlushAfterBatch(this);
            }

            bool defer = _inbox.CountedCostWaiting > (long)_options.ReceiveWindow + Capabilities.MaxFrameSize + LinkInbox.FrameCost;
            bool dropUnreliable = _inbox.TalliedWaiting >= _options.ReceiveQueueCapacity;
            ReadOnlySpan<byte> payload = _receivePlain.AsSpan(0, ciphertext.Length - UdpWire.TagSize);
            FrameResult result = ReadFrames(payload, defer, dropUnreliable, now);
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
                RecordReceived(pn);
                if (result.Eliciting)
                {
                    if (_ackPending++ == 0)
                    {
                        _ackDeadline = now + UdpClock.Micros(_options.MaxAckDelay);
                    }

                    if (_ackPending >= AckEvery || pn != _largestReceived || _options.MaxAckDelay == TimeSpan.Zero)
                    {
                        _ackNow = true; // every second packet, and at once on a gap (fast retransmit at the sender)
                    }
                }
            }

            if (result.Close)
            {
                if (!result.DeferredData && _received.Count > 0)
                {
                    // Acknowledge at once: the peer resends its close until it hears this.
                    Span<byte> ack = stackalloc byte[UdpWire.AckBudget];
                    SendControlPacketLocked(ack[..WriteAck(ack, now)], source);
                }

                CloseLocked(LinkCloseReason.RemoteClosed, null, discardPending: false);
                return PacketVerdict.Accepted;
            }

            if (!_flushAfterBatch)
            {
                // Answered once the socket's current run of datagrams has been read (UdpEndpoint.OnBatchEnd).
                _flushAfterBatch = true;
                _endpoint.FlushAfterBatch(this);
            }

            return PacketVerdict.Accepted;
        }
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

    private readonly record struct FrameError(LinkCloseReason Reason, Exception Cause);

    /// <summary>A challenged address, the random data sent there (and the data of the challenge before), and when.</summary>
    private struct PathChallenge
    {
        public SocketAddress? Address;
        public ulong Data;
        public ulong Previous;
        public long SentAt;
    }

    private struct FrameResult
    {
        public bool Eliciting;
        public bool DeferredData;
        public bool Close;
        public FrameError? Error;
    }

    private FrameResult ReadFrames(ReadOnlySpan<byte> p, bool defer, bool dropUnreliable, long now)
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
                if (!ReadAck(p, ref pos, now))
                {
                    result.Error = Malformed("a malformed acknowledgement");
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
                    result.Error = Malformed("a truncated path challenge or response");
                    return result;
                }

                ulong data = BinaryPrimitives.ReadUInt64LittleEndian(p[pos..]);
                pos += 8;
                if (type == UdpWire.FramePathChallenge)
                {
                    SendPathResponseLocked(data); // on the path it came by, whatever the link's current address
                }
                else
                {
                    OnPathResponseLocked(data, _packetSource!, now);
                }
            }
            else if (type == UdpWire.FrameResume)
            {
                // The peer's receive queue drained after it left our packets unacknowledged: resend them now.
                for (ulong pn = _sent.Base; pn < _sent.End && _sent.Count > 0; pn++)
                {
                    if (_sent.Remove(pn) is { } packet)
                    {
                        _bytesInFlight -= packet.Size;
                        foreach (ChunkRef chunk in packet.Chunks)
                        {
                            if (chunk.IsLive)
                            {
                                _reliable[chunk.Message.Class].Retransmit.Enqueue(chunk);
                            }
                        }

                        ReturnSent(packet);
                    }
                }

                _backoff = 1;
            }
            else if ((type & ~3) == UdpWire.FrameMessage)
            {
                int cls = type & 3;
                if (!Varint.TryRead(p, ref pos, out ulong seq) || !Varint.TryRead(p, ref pos, out ulong length) || length > (ulong)(p.Length - pos))
                {
                    result.Error = Malformed("a malformed message frame");
                    return result;
                }

                result.Eliciting = true;
                if (defer && cls < 2)
                {
                    result.DeferredData = true;
                }
                else if (dropUnreliable && cls >= 2)
                {
                    _receiveDropped++;
                }
                else if (ReceiveWhole(cls, seq, p.Slice(pos, (int)length)) is { } error)
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
                    result.Error = Malformed("a malformed fragment frame");
                    return result;
                }

                int length = (int)Math.Min(chunkSize, total - (index * chunkSize));
                if (length > p.Length - pos)
                {
                    result.Error = Malformed("a fragment cut short");
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
                    _receiveDropped++;
                }
                else if (ReceiveFragment(cls, seq, (int)total, (int)chunkSize, (int)index, p.Slice(pos, length)) is { } error)
                {
                    result.Error = error;
                    return result;
                }

                pos += length;
            }
            else
            {
                result.Error = Malformed($"an unknown frame type 0x{type:x2}");
                return result;
            }
        }

        return result;
    }

    private static FrameError Malformed(string what) => new(LinkCloseReason.ProtocolError, new InvalidDataException($"The peer sent {what}."));

    private FrameError? ReceiveWhole(int cls, ulong seq, ReadOnlySpan<byte> data)
    {
        if (data.Length > _options.MaxFrameSize)
        {
            return new FrameError(LinkCloseReason.FrameTooLarge, new FrameTooLargeException(data.Length, _options.MaxFrameSize));
        }

        if (cls < 2)
        {
            ReliableReceiveLane lane = _reliableIn[cls];
            if (!lane.InWindow(seq))
            {
                return Malformed("a reliable frame beyond the reorder window");
            }

            if (!lane.IsDone(seq))
            {
                // Fragments may have come first: the sender cut the frame anew when its path MTU changed.
                if (lane.Partial.Remove(seq, out Reassembly? partial))
                {
                    partial.Release();
                }

                lane.Complete(seq, LinkFrame.Copy(data, _endpoint.Buffers), _inbox);
            }

            return null;
        }

        UnreliableReceiveLane unreliable = _unreliableIn[cls - 2];
        if (unreliable.Sequenced)
        {
            if (unreliable.HasDelivered && seq <= unreliable.Newest)
            {
                return null;
            }

            unreliable.HasDelivered = true;
            unreliable.Newest = seq;
        }

        _inbox.TryEnqueueTallied(LinkFrame.Copy(data, _endpoint.Buffers));
        return null;
    }

    private FrameError? ReceiveFragment(int cls, ulong seq, int total, int chunkSize, int index, ReadOnlySpan<byte> data)
    {
        Dictionary<ulong, Reassembly> partial;
        if (cls < 2)
        {
            ReliableReceiveLane lane = _reliableIn[cls];
            if (!lane.InWindow(seq))
            {
                return Malformed("a reliable fragment beyond the reorder window");
            }

            if (lane.IsDone(seq))
            {
                return null;
            }

            partial = lane.Partial;
        }
        else
        {
            UnreliableReceiveLane unreliable = _unreliableIn[cls - 2];
            if (unreliable.Sequenced && unreliable.HasDelivered && seq <= unreliable.Newest)
            {
                return null;
            }

            partial = unreliable.Partial;
            if (!partial.ContainsKey(seq))
            {
                // Fragments of unreliable frames are never resent: a frame that misses one is dropped whole once
                // newer frames crowd it out.
                while (partial.Count >= UnreliableReceiveLane.MaxPartial)
                {
                    ulong oldest = ulong.MaxValue;
                    foreach (ulong key in partial.Keys)
                    {
                        oldest = Math.Min(oldest, key);
                    }

                    partial.Remove(oldest, out Reassembly? evicted);
                    evicted!.Release();
                    unreliable.IncompleteDropped++;
                }
            }
        }

        if (!partial.TryGetValue(seq, out Reassembly? reassembly))
        {
            reassembly = Reassembly.Create(total);
            partial.Add(seq, reassembly);
        }
        else if (reassembly.Total != total)
        {
            return Malformed("fragments of one frame that disagree on its size");
        }

        // Chunk sizes may differ between fragments of one frame (the sender's path MTU changed): offsets are in bytes.
        if (!reassembly.Add(index * chunkSize, data) || !reassembly.IsComplete)
        {
            return null;
        }

        partial.Remove(seq);
        LinkFrame frame = reassembly.TakeFrame();
        if (cls < 2)
        {
            _reliableIn[cls].Complete(seq, frame, _inbox);
            return null;
        }

        UnreliableReceiveLane lane2 = _unreliableIn[cls - 2];
        if (lane2.Sequenced)
        {
            if (lane2.HasDelivered && seq <= lane2.Newest)
            {
                frame.Dispose();
                return null;
            }

            lane2.HasDelivered = true;
            lane2.Newest = seq;
            // Older partial frames can no longer be delivered.
            foreach (ulong key in lane2.Partial.Keys)
            {
                if (key < seq && lane2.Partial.Remove(key, out Reassembly? stale))
                {
                    stale.Release();
                    lane2.IncompleteDropped++;
                }
            }
        }

        _inbox.TryEnqueueTallied(frame);
        return null;
    }

    private void RecordReceived(ulong pn)
    {
        if (_received.Count == 0 || pn > _largestReceived)
        {
            _largestReceived = pn;
            _largestReceivedAt = UdpClock.Now;
        }

        List<(ulong Lo, ulong Hi)> r = _received;
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
            if (r.Count > 64)
            {
                r.RemoveAt(r.Count - 1);
            }
        }
    }

    /// <summary>Marks the close acknowledged when a range covers a packet that carried it.</summary>
    private void NoteCloseAcked(ulong lo, ulong hi)
    {
        if (_closePackets is { } sent && !_closeAcked)
        {
            foreach (ulong pn in sent)
            {
                if (pn >= lo && pn <= hi)
                {
                    _closeAcked = true;
                    _closeDone?.TrySetResult();
                    return;
                }
            }
        }
    }

    private bool ReadAck(ReadOnlySpan<byte> p, ref int pos, long now)
    {
        if (!Varint.TryRead(p, ref pos, out ulong largest) || !Varint.TryRead(p, ref pos, out ulong delay)
            || !Varint.TryRead(p, ref pos, out ulong credit) || !Varint.TryRead(p, ref pos, out ulong first) || pos >= p.Length
            || credit > long.MaxValue)
        {
            return false;
        }

        if ((long)credit > _peerCreditLimit)
        {
            _peerCreditLimit = (long)credit;
            _creditBlocked = false;
        }

        int extra = p[pos++];
        if (first > largest || largest >= _nextPn)
        {
            return false;
        }

        SentPacket? largestPacket = _sent.Get(largest);
        long largestSentAt = largestPacket?.SentAt ?? 0;
        bool ackedAny = AckRange(largest - first, largest, now);
        ulong lo = largest - first;
        NoteCloseAcked(lo, largest);
        NoteProbeAcked(lo, largest, now);
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
            ackedAny |= AckRange(lo, hi, now);
            NoteCloseAcked(lo, hi);
            NoteProbeAcked(lo, hi, now);
        }

        if (!_anyAcked || largest > _largestAcked)
        {
            _anyAcked = true;
            _largestAcked = largest;
        }

        if (largestPacket is not null && largestSentAt > 0)
        {
            _rtt.AddSample(now - largestSentAt, (long)Math.Min(delay, (ulong)UdpClock.Micros(_options.MaxAckDelay)));
        }

        if (ackedAny)
        {
            _backoff = 1;
            DetectLosses(now);
            bool freed = false;
            foreach (ReliableSendLane lane in _reliable)
            {
                freed |= TrimInflight(lane);
            }
        }

        return true;
    }

    private bool AckRange(ulong lo, ulong hi, long now)
    {
        bool any = false;
        ulong from = Math.Max(lo, _sent.Base);
        ulong to = Math.Min(hi, _sent.End == 0 ? 0 : _sent.End - 1);
        for (ulong pn = from; pn <= to && _sent.Count > 0; pn++)
        {
            SentPacket? packet = _sent.Remove(pn);
            if (packet is not null)
            {
                OnPacketAcked(packet, now);
                any = true;
            }
        }

        return any;
    }

    private void OnPacketAcked(SentPacket packet, long now)
    {
        _bytesInFlight -= packet.Size;
        _delivered += packet.Size;
        _deliveredTime = now;
        long interval = now - packet.DeliveredTimeAtSend;
        if (interval > 0)
        {
            double rate = (_delivered - packet.DeliveredAtSend) * 1e6 / interval;
            long window = Math.Max(10 * (_rtt.HasSample ? _rtt.Srtt : 100_000), 1_000_000);
            if (rate >= _bandwidth || now - _bandwidthAt > window)
            {
                _bandwidth = rate;
                _bandwidthAt = now;
            }
        }

        // NewReno growth, none for packets sent before the last loss response, and none while the application
        // (or the peer's flow control) rather than the window limits sending (RFC 7661): a window never used would
        // otherwise grow without bound and release a burst when traffic picks up.
        if (packet.SentAt > _recoveryStart && packet.InFlightAtSend * 2 >= _cwnd)
        {
            _cwnd += _cwnd < _ssthresh ? packet.Size : Math.Max(1, (long)_packetSize * packet.Size / _cwnd);
        }

        if (packet.Size > _mtu)
        {
            _suspiciousLosses = 0; // a packet above the base size got through: no black hole
        }

        bool roomFreed = false;
        foreach (ChunkRef chunk in packet.Chunks)
        {
            OutMessage m = chunk.Message;
            if (m.Generation != chunk.Generation || m.Done || !m.MarkAcked(chunk.Chunk) || m.AckedChunks != m.ChunkCount)
            {
                continue;
            }

            m.Done = true;
            ReliableSendLane lane = _reliable[m.Class];
            lane.QueuedBytes -= m.Length;
            lane.QueuedCount--;
            m.ReleaseBuffers();
            roomFreed = true;
        }

        if (roomFreed && _room is not null)
        {
            _room.TrySetResult();
            _room = null;
        }

        ReturnSent(packet);
    }

    /// <summary>Declares lost the packets three below the largest acknowledged, or older than 9/8 RTT (RFC 9002 §6.1).</summary>
    private void DetectLosses(long now)
    {
        if (!_anyAcked)
        {
            return;
        }

        long delay = Math.Max(1000, 9 * Math.Max(_rtt.Srtt, _rtt.Latest) / 8);
        ulong end = Math.Min(_largestAcked, _sent.End);
        for (ulong pn = _sent.Base; pn < end && _sent.Count > 0; pn++)
        {
            SentPacket? packet = _sent.Get(pn);
            if (packet is not null && (_largestAcked - pn >= 3 || now - packet.SentAt >= delay))
            {
                _sent.Remove(pn);
                OnPacketLost(packet, now, timeout: false);
            }
        }

        EndLossEventLocked(now);
    }

    private void OnPacketLost(SentPacket packet, long now, bool timeout)
    {
        
        _bytesInFlight -= packet.Size;
        _packetsLost++;
        if (packet.Size > _mtu)
        {
            _lostLarge = true;
        }
        else
        {
            _lostSmall = true;
        }

        foreach (ChunkRef chunk in packet.Chunks)
        {
            if (chunk.IsLive)
            {
                _reliable[chunk.Message.Class].Retransmit.Enqueue(chunk);
            }
        }

        // One response per round trip: only packets sent after the last reduction shrink the window again.
        if (packet.SentAt > _recoveryStart)
        {
            _recoveryStart = now;
            long floor = (long)(_bandwidth * (_rtt.HasSample ? _rtt.MinRtt : 0) / 1e6);
            _cwnd = timeout ? 2L * _packetSize : Math.Max(Math.Max(2L * _packetSize, _cwnd * 7 / 10), floor);
            _ssthresh = Math.Max(2L * _packetSize, timeout ? _cwnd * 2 : _cwnd);
        }

        ReturnSent(packet);
    }

    private bool TrimInflight(ReliableSendLane lane)
    {
        bool any = false;
        while (lane.Inflight.Count > 0 && lane.Inflight.Peek().Done)
        {
            ReturnMessage(lane.Inflight.Dequeue());
            any = true;
        }

        return any;
    }

    // ---------------------------------------------------------------- path MTU discovery (RFC 8899 DPLPMTUD)

    /// <summary>Sets the largest packet the link sends, and with it the room for frames and the size new frames are cut to.</summary>
    private void SetPacketSizeLocked(int size)
    {
        Volatile.Write(ref _packetSize, size);
        _payloadCapacity = size - UdpWire.PacketOverhead;
        _wholeMax = _payloadCapacity - UdpWire.AckBudget - UdpWire.MessageHeaderMax;
        // A multiple of the granule, so the receiver can combine fragments of one frame cut to different sizes.
        _chunkSize = (_payloadCapacity - UdpWire.AckBudget - UdpWire.FragmentHeaderMax) / UdpWire.FragmentGranule * UdpWire.FragmentGranule;
    }

    /// <summary>
    /// Starts a search above the current size. The first probe is the ceiling itself, since most paths carry what
    /// both sides allow (a 1500-byte Ethernet path); when that fails, a binary search between the largest size
    /// confirmed and the largest not known to fail, until they are less than <see cref="UdpWire.SearchGranularity"/> apart.
    /// </summary>
    private void StartSearchLocked(long now)
    {
        _searchAt = long.MaxValue;
        _searchLow = _packetSize;
        _searchHigh = _maxPacketSize;
        _probeAttempts = 0;
        _probeSize = 0;
        _probeTarget = _searchHigh > _searchLow ? _searchHigh : 0;
        _probeNotBefore = now;
    }

    /// <summary>Picks the next size to probe, or ends the search (and arms the raise timer if below the ceiling).</summary>
    private void NextProbeTargetLocked(long now)
    {
        _probeAttempts = 0;
        if (_searchHigh - _searchLow < UdpWire.SearchGranularity)
        {
            _probeTarget = 0;
            _searchAt = _packetSize < _maxPacketSize ? now + UdpClock.Micros(_options.PathMtuSearchInterval) : long.MaxValue;
            return;
        }

        _probeTarget = _searchLow + ((_searchHigh - _searchLow + 1) / 2);
    }

    /// <summary>
    /// Sends a probe of <see cref="_probeTarget"/> bytes: an authenticated data packet holding a PING and padding. It
    /// is not in flight for congestion control or loss recovery, carries nothing that would be resent, and leaves in
    /// a datagram of its own.
    /// </summary>
    private void SendProbeLocked(long now)
    {
        int size = _probeTarget;
        Span<byte> frames = _plain.AsSpan(0, size - UdpWire.PacketOverhead);
        frames[0] = UdpWire.FramePing;
        frames[1..].Clear(); // PADDING
        ulong pn = _nextPn++;
        Span<byte> packet = _packet.AsSpan(0, size);
        SealLocked(pn, frames, packet);
        _probeSize = size;
        _probePn = pn;
        _probeSentAt = now;
        _probePingAt = 0;
        _probesSent++;
        _packetsSent++;
        _bytesSent += size;
        _tokens -= size;
        _lastSend = now;
        switch (_endpoint.SendDatagramChecked(packet, _remote))
        {
            case DatagramSendResult.TooLarge:
                // EMSGSIZE: larger than the interface's MTU (the socket neither fragments nor clamps; docs/udp.md).
                // The probe is lost; the next one waits a retransmission timeout.
                OnProbeLostLocked(now);
                _probeNotBefore = now + _rtt.Rto;
                break;
            case DatagramSendResult.Failed:
                // A full buffer or no route says nothing about the size: the same probe goes again after a
                // retransmission timeout, without counting as one of its tries.
                _probeSize = 0;
                _probeNotBefore = now + _rtt.Rto;
                break;
        }
    }

    private void NoteProbeAcked(ulong lo, ulong hi, long now)
    {
        if (_probeSize == 0 || _probePn < lo || _probePn > hi)
        {
            return;
        }

        int size = _probeSize;
        _probeSize = 0;
        _suspiciousLosses = 0;
        if (size > _packetSize)
        {
            SetPacketSizeLocked(size);
        }

        _searchLow = Math.Max(_searchLow, size);
        NextProbeTargetLocked(now);
    }

    /// <summary>
    /// The probe in flight is older than a retransmission timeout. It is lost once a packet sent after it was
    /// acknowledged, which shows smaller packets get through: a link that hears nothing (an outage) does not
    /// conclude that its packets are too large. On a quiet link a PING asks for that acknowledgement.
    /// </summary>
    private void CheckProbeLocked(long now)
    {
        if (_anyAcked && _largestAcked > _probePn)
        {
            OnProbeLostLocked(now);
        }
        else if (now >= _probePingAt)
        {
            _pingPending = true;
            _probePingAt = now + (_rtt.Rto * _backoff);
        }
    }

    /// <summary>A probe was lost: the same size again, up to <see cref="UdpWire.MaxProbes"/> times, then it is too large.
    /// Not a congestion signal: the window, the loss counters and the retransmission queues are untouched.</summary>
    private void OnProbeLostLocked(long now)
    {
        _probeSize = 0;
        _probesLost++;
        if (++_probeAttempts >= UdpWire.MaxProbes)
        {
            _searchHigh = _probeTarget - 1;
            NextProbeTargetLocked(now);
        }
    }

    /// <summary>
    /// Ends one pass of loss detection (after an acknowledgement, or a retransmission timeout). A pass that lost only
    /// packets above the base size is suspicious; <see cref="UdpWire.BlackHoleLossEvents"/> of them in a row, with no
    /// packet above the base size acknowledged in between, mean the path stopped carrying them: a black hole.
    /// </summary>
    private void EndLossEventLocked(long now)
    {
        bool suspicious = _lostLarge && !_lostSmall;
        _lostLarge = false;
        _lostSmall = false;
        if (!suspicious || _packetSize <= _mtu)
        {
            return;
        }

        if (++_suspiciousLosses >= UdpWire.BlackHoleLossEvents)
        {
            _blackHoles++;
            // Search again later (the path's MTU may have dropped, not vanished): after 1 s, doubling with every black
            // hole up to the raise interval, so a path that keeps failing large packets is not probed all the time.
            long delay = Math.Min(UdpClock.Micros(_options.PathMtuSearchInterval), 1_000_000L << (int)Math.Min(_blackHoles - 1, 20));
            RestartPathMtuLocked(now, delay);
        }
    }

    /// <summary>Goes back to the base size and searches again after <paramref name="delay"/> (µs): after a black hole or
    /// on a new path.</summary>
    private void RestartPathMtuLocked(long now, long delay)
    {
        _suspiciousLosses = 0;
        if (_maxPacketSize <= _mtu)
        {
            return;
        }

        if (_packetSize > _mtu)
        {
            SetPacketSizeLocked(_mtu);
            RecutStartedLocked();
        }

        StartSearchLocked(now);
        _probeNotBefore = now + delay;
    }

    /// <summary>
    /// After the packet size went down: frames partly or wholly sent with chunks that no longer fit a packet are cut
    /// again, and whatever of them is not acknowledged is queued for retransmission in the new cut (frames not started
    /// are cut again when they start). Without this a chunk larger than a packet could never be resent and its lane
    /// would stall.
    /// </summary>
    private void RecutStartedLocked()
    {
        foreach (ReliableSendLane lane in _reliable)
        {
            foreach (OutMessage m in lane.Inflight)
            {
                if (!m.Done && !m.Fits(_wholeMax, _chunkSize))
                {
                    m.Rechunk(_wholeMax, _chunkSize);
                    m.NextChunk = m.ChunkCount;
                    QueueUnacked(lane, m, m.ChunkCount);
                }
            }

            foreach (OutMessage m in lane.Unsent)
            {
                if (m.NextChunk > 0 && !m.Fits(_wholeMax, _chunkSize))
                {
                    long sent = Math.Min((long)m.NextChunk * m.ChunkSize, m.Length);
                    m.Rechunk(_wholeMax, _chunkSize);
                    // The chunks wholly sent before are resent from the queue; the rest continue as new. At least one
                    // counts as started, so the frame's flow-control cost is not counted again.
                    m.NextChunk = (int)Math.Clamp(sent / m.ChunkSize, 1, m.ChunkCount - 1);
                    QueueUnacked(lane, m, m.NextChunk);
                }
            }
        }

        foreach (UnreliableSendLane lane in _unreliable)
        {
            foreach (OutMessage m in lane.Pending)
            {
                if (m.NextChunk > 0 && !m.Fits(_wholeMax, _chunkSize))
                {
                    // Never resent: continue from the first new chunk not wholly sent (a few bytes go twice).
                    long sent = Math.Min((long)m.NextChunk * m.ChunkSize, m.Length);
                    m.Rechunk(_wholeMax, _chunkSize);
                    m.NextChunk = (int)Math.Min(sent / m.ChunkSize, m.ChunkCount - 1);
                }
            }
        }

        static void QueueUnacked(ReliableSendLane lane, OutMessage m, int count)
        {
            for (int chunk = 0; chunk < count; chunk++)
            {
                if (!m.IsAcked(chunk))
                {
                    lane.Retransmit.Enqueue(new ChunkRef(m, m.Generation, chunk));
                }
            }
        }
    }

    // ---------------------------------------------------------------- timers

    internal void OnTick(long now)
    {
        try
        {
            Tick(now);
        }
        finally
        {
            AfterLock();
        }
    }

    private void Tick(long now)
    {
        lock (_lock)
        {
            if (_state == State.Closed)
            {
                return;
            }

            if (_state == State.Handshaking)
            {
                if (now >= _handshakeDeadline)
                {
                    FailHandshakeLocked(new HandshakeException(HandshakeFailure.Timeout, "The handshake did not complete within its timeout."));
                }
                else if (now >= _handshakeNext && _handshakePacket is not null)
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

            if (!_confirmed && _handshakePacket is not null && now >= _handshakeNext)
            {
                SendHandshakePacketLocked(now); // message 3 again, until the responder answers
            }

            // Retransmission timeout: the oldest packet in flight waited longer than RTO (backed off).
            SentPacket? oldest = _sent.Oldest();
            if (oldest is not null && now - oldest.SentAt >= _rtt.Rto * _backoff)
            {
                long threshold = now - (_rtt.Rto * _backoff);
                for (ulong pn = _sent.Base; pn < _sent.End && _sent.Count > 0; pn++)
                {
                    SentPacket? packet = _sent.Get(pn);
                    if (packet is not null && packet.SentAt <= threshold)
                    {
                        _sent.Remove(pn);
                        OnPacketLost(packet, now, timeout: true);
                    }
                }

                EndLossEventLocked(now);
                _backoff = Math.Min(_backoff * 2, 64);
            }
            else
            {
                DetectLosses(now);
            }

            if (now - _sendPhaseStartedAt >= UdpClock.Micros(_options.KeyUpdateInterval))
            {
                _sendKeyUpdateAt = 0; // the next packet sealed updates the key (or asks for the acknowledgement it needs)
                _sendPhaseStartedAt = now;
            }

            if (_probeTarget == 0 && now >= _searchAt)
            {
                StartSearchLocked(now); // the raise timer: the path may carry more now
            }
            else if (_probeSize != 0 && now - _probeSentAt >= _rtt.Rto)
            {
                CheckProbeLocked(now);
            }

            if (now - _lastSend >= UdpClock.Micros(_options.KeepAliveInterval))
            {
                _pingPending = true;
            }
            else if (_creditBlocked && _sent.Count == 0 && now - _lastSend >= _rtt.Rto * _backoff)
            {
                // Out of credit with nothing in flight: the grant may have been lost, so ask for an acknowledgement.
                _pingPending = true;
                _backoff = Math.Min(_backoff * 2, 64);
            }

            if (now - _rateAt >= 1_000_000)
            {
                double seconds = (now - _rateAt) / 1e6;
                _packetsSentPerSecond = (_packetsSent - _rateSentPackets) / seconds;
                _packetsReceivedPerSecond = (_packetsReceived - _rateReceivedPackets) / seconds;
                _bytesSentPerSecond = (_bytesSent - _rateSentBytes) / seconds;
                _bytesReceivedPerSecond = (_bytesReceived - _rateReceivedBytes) / seconds;
                long sent = _packetsSent - _rateSentPackets;
                _loss = sent == 0 ? 0 : Math.Min(1.0, (double)(_packetsLost - _rateLost) / sent);
                _rateAt = now;
                _rateSentPackets = _packetsSent;
                _rateReceivedPackets = _packetsReceived;
                _rateSentBytes = _bytesSent;
                _rateReceivedBytes = _bytesReceived;
                _rateLost = _packetsLost;
                foreach (UnreliableSendLane lane in _unreliable)
                {
                    lane.Whole.Trim(); // a burst's buffer goes back after a quiet second
                }
            }

            FlushLocked(now);
        }
    }

    // ---------------------------------------------------------------- closing and pools

    private void CloseLocked(LinkCloseReason reason, Exception? cause, bool discardPending)
    {
        _closeDone?.TrySetResult();
        if (_state == State.Closed)
        {
            DeferInboxCloseLocked(reason, cause, discardPending);
            return;
        }

        _state = State.Closed;
        _closedReason = reason;
        _closedCause = cause;
        _established.TrySetException(cause ?? new LinkClosedException(reason));
        _ = _established.Task.Exception; // observed
        _handshake?.Dispose();
        _handshake = null;
        _room?.TrySetResult();
        _room = null;
        _sendQueuesEmpty?.TrySetResult(); // FlushAsync finds the link closed
        _sendQueuesEmpty = null;
        foreach (ReliableSendLane lane in _reliable)
        {
            foreach (OutMessage m in lane.Unsent)
            {
                m.ReleaseBuffers();
            }

            foreach (OutMessage m in lane.Inflight)
            {
                m.ReleaseBuffers();
            }

            lane.Unsent.Clear();
            lane.Inflight.Clear();
            lane.Retransmit.Clear();
            lane.QueuedBytes = 0;
            lane.QueuedCount = 0;
        }

        foreach (UnreliableSendLane lane in _unreliable)
        {
            foreach (OutMessage m in lane.Pending)
            {
                m.ReleaseBuffers();
            }

            lane.Pending.Clear();
            lane.Whole.Clear();
            lane.QueuedBytes = 0;
        }

        foreach (ReliableReceiveLane lane in _reliableIn)
        {
            lane.Release();
        }

        foreach (UnreliableReceiveLane lane in _unreliableIn)
        {
            lane.Release();
        }

        _sendCipher?.Dispose();
        _receiveCipher?.Dispose();
        _receivePrevious?.Dispose();
        _receiveNext?.Dispose();
        _endpoint.Remove(this);

        DeferInboxCloseLocked(reason, cause, discardPending);
    }

    /// <summary>The exception for a use of the closed link, with the first close's reason and cause (the inbox, which
    /// also has them, may not be closed yet: that happens once the closing thread releases the lock).</summary>
    private LinkClosedException ClosedExceptionLocked() =>
        _inbox.IsClosed ? _inbox.CreateClosedException() : new LinkClosedException(_closedReason, _closedCause);

    /// <summary>
    /// The inbox is closed by <see cref="CompleteInboxClose"/> once the lock is released. With ReceiveInline, closing
    /// it resumes a waiting receiver on the closing thread, and the application's code must neither find the link
    /// open nor run under the link's lock: the timer thread would wait for the lock, and an endpoint disposed there
    /// waits for the timer thread.
    /// </summary>
    private void DeferInboxCloseLocked(LinkCloseReason reason, Exception? cause, bool discardPending)
    {
        // The frames held for the end of the current run of datagrams go with the close (delivered, or dropped by a
        // local close), so no thread but this one touches the inbox's lists of held frames.
        List<LinkInbox.Entry> held = _inbox.DetachHeld();
        if (_inboxClose is { } earlier)
        {
            earlier.Held.AddRange(held);
            _inboxClose = earlier with { DiscardPending = earlier.DiscardPending || discardPending };
        }
        else
        {
            _inboxClose = new InboxClose(reason, cause, discardPending, held);
        }
    }

    /// <summary>
    /// What must happen after the lock is released, on every way out of it that may have sealed a datagram or closed
    /// the link: the queued datagrams are sent, then the inbox is closed if the link closed.
    /// </summary>
    private void AfterLock()
    {
        SendQueued();
        CompleteInboxClose();
    }

    /// <summary>Closes the inbox after a close under the lock (see <see cref="AfterLock"/>).</summary>
    private void CompleteInboxClose()
    {
        if (Volatile.Read(ref _inboxClose) is not null && Interlocked.Exchange(ref _inboxClose, null) is { } close)
        {
            _inbox.Close(close.Reason, close.Cause, close.DiscardPending, close.Held);
        }
    }

    private sealed record InboxClose(LinkCloseReason Reason, Exception? Cause, bool DiscardPending, List<LinkInbox.Entry> Held);

    private OutMessage RentMessage() => _messagePool.Count > 0 ? _messagePool.Pop() : new OutMessage(_endpoint.Buffers);

    private void ReturnMessage(OutMessage message)
    {
        message.ReleaseBuffers();
        message.Generation++;
        if (_messagePool.Count < 16384)
        {
            _messagePool.Push(message);
        }
    }

    private void ReturnSent(SentPacket? packet)
    {
        if (packet is null)
        {
            return;
        }

        packet.Chunks.Clear();
        if (_sentPool.Count < 1024)
        {
            _sentPool.Push(packet);
        }
    }

    private static TimeSpan Micros(long micros) => TimeSpan.FromTicks(micros * 10);

    /// <summary>A flush queued to the thread pool without allocating (one work item per link, queued at most once at a time).</summary>
    private sealed class FlushWorkItem(UdpLink link) : IThreadPoolWorkItem
    {
        public void Execute() => link.RunScheduledFlush();
    }
}
