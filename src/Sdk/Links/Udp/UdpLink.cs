using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Runtime.CompilerServices;
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
/// <remarks>
/// The link is the coordinator of its parts (docs/udp.md, "Files"): it holds the face, the state, the lock and the
/// routing of packets and ticks; each mechanism is a part it owns and uses under its lock, which takes the time as a
/// parameter and returns decisions: <see cref="UdpHandshake"/>, <see cref="PacketProtection"/>,
/// <see cref="PacketPacker"/>, <see cref="LossDetection"/>, <see cref="ReceivedPackets"/>,
/// <see cref="ICongestionControl"/>, <see cref="Pacer"/>, <see cref="DeliveryRate"/>, <see cref="FlowCredit"/>,
/// <see cref="PathValidator"/>, <see cref="PathMtuDiscovery"/>, <see cref="ReceiveLanes"/> and <see cref="Outbox"/>.
/// </remarks>
public sealed class UdpLink : IMessageLink
{
    private readonly UdpEndpoint _endpoint;
    private readonly UdpLinkOptions _options;
    private readonly NodeKey _localKey;
    private readonly Lock _lock = new();
    private readonly Outbox _outbox = new();
    private readonly LinkInbox _inbox;
    private readonly ReplayWindow _replay = new();
    private readonly PacketPacker _packer;
    private readonly ReceiveLanes _receiveLanes;
    private readonly LossDetection _recovery;
    private readonly ReceivedPackets _received;
    private readonly FlowCredit _credit;
    private readonly PathValidator _paths = new();
    private readonly TrafficMeter _traffic = new();
    private readonly List<SentPacket> _acked = new();
    private readonly List<SentPacket> _lost = new();
    private readonly TaskCompletionSource _established = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly NodeId? _expectedRemoteId;

    // Set by Establish; used only once the link is established.
    private PacketProtection? _protection;
    private ICongestionControl _congestion = null!;
    private Pacer _pacer = null!;
    private DeliveryRate _delivery = null!;
    private PathMtuDiscovery? _pmtu;

    private volatile IPEndPoint _remoteEndPoint;
    private SocketAddress _remote;
    private SocketAddress? _packetSource; // the source of the packet being read, valid during OnDataPacket
    private State _state;
    private UdpHandshake? _handshake; // the initiator's, until the responder confirms message 3
    private bool _confirmed;
    private byte[] _probe = [];
    private byte[] _plain = [];
    private byte[] _receivePlain = [];
    private ulong _nextPn;
    private bool _flushAfterBatch;
    private int _flushQueued;
    private int _disposed;
    private TaskCompletionSource? _room;
    private TaskCompletionSource? _sendQueuesEmpty;
    private FlushWorkItem? _flushWorkItem;
    private bool _pingPending;
    private bool _resumePending;
    private volatile bool _receiveStalled;
    private long _lastReceive;
    private long _lastSend;
    private long _droppedInvalid;
    private long _droppedReplayed;
    private long _deferred;

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

    internal UdpLink(UdpEndpoint endpoint, NodeKey localKey, UdpLinkOptions options, uint localCid, SocketAddress remote, NodeId? expectedRemoteId)
    {
        _endpoint = endpoint;
        _localKey = localKey;
        _options = options;
        _expectedRemoteId = expectedRemoteId;
        LocalConnectionId = localCid;
        _remote = UdpEndpoint.Clone(remote);
        _remoteEndPoint = UdpEndpoint.ToEndPoint(remote);
        // Bounded by flow control (reliable) and ReceiveQueueCapacity (unreliable).
        _inbox = new LinkInbox(0, OnConsumed, inlineContinuations: options.ReceiveInline);
        _packer = new PacketPacker(endpoint.Buffers, options);
        _receiveLanes = new ReceiveLanes(_inbox, endpoint.Buffers, options.ReliableWindow, options.MaxFrameSize);
        _recovery = new LossDetection(new RttEstimator(UdpClock.Micros(options.InitialRetransmitTimeout), UdpClock.Micros(options.MinRetransmitTimeout), UdpClock.Micros(options.MaxRetransmitTimeout)));
        _received = new ReceivedPackets(UdpClock.Micros(options.MaxAckDelay));
        _credit = new FlowCredit(options.ReceiveWindow, 0, options.IgnoreFlowControl);
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
    internal NoiseCipher Cipher => _protection?.Cipher ?? default;

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
    public int Mtu => Volatile.Read(ref _pmtu)?.BaseSize ?? 0;

    /// <summary>
    /// The largest packet the link sends now, in bytes of UDP payload: <see cref="Mtu"/> at first, then the largest
    /// size a probe confirmed, up to the smaller of the two sides' <see cref="UdpLinkOptions.MaxMtu"/>.
    /// </summary>
    public int PathMtu => Volatile.Read(ref _pmtu)?.PacketSize ?? 0;

    internal uint LocalConnectionId { get; }

    internal uint RemoteConnectionId { get; private set; }

    internal Task HandshakeTask => _established.Task;

    internal bool IsClosed => _state == State.Closed;

    /// <inheritdoc/>
    public ValueTask SendAsync(ReadOnlyMemory<byte> frame, Reliability reliability = Reliability.ReliableOrdered, CancellationToken cancellationToken = default)
        => Send(frame, reliability, owned: null, cancellationToken);

    /// <summary>A reliable frame is kept in the caller's pooled buffer, where it was encoded, instead of a copy.</summary>
    ValueTask IMessageLink.SendPooledAsync(byte[] buffer, int length, Reliability reliability, CancellationToken cancellationToken)
        => Send(buffer.AsMemory(0, length), reliability, buffer, cancellationToken);

    /// <param name="frame">The frame.</param>
    /// <param name="reliability">Its delivery class.</param>
    /// <param name="owned">The pooled array <paramref name="frame"/> is in, handed over: returned to the pool on every
    /// path that does not queue it.</param>
    /// <param name="cancellationToken">Cancels waiting for room.</param>
    private ValueTask Send(ReadOnlyMemory<byte> frame, Reliability reliability, byte[]? owned, CancellationToken cancellationToken)
    {
        int cls = (int)reliability;
        Exception? refused = null;
        if ((uint)cls >= PacketPacker.LaneCount)
        {
            refused = new ArgumentOutOfRangeException(nameof(reliability));
        }
        else if (frame.Length > (cls < 2 ? Capabilities.MaxFrameSize : Capabilities.MaxUnreliableFrameSize))
        {
            refused = new FrameTooLargeException(frame.Length, cls < 2 ? Capabilities.MaxFrameSize : Capabilities.MaxUnreliableFrameSize);
        }
        else if (cancellationToken.IsCancellationRequested)
        {
            refused = new OperationCanceledException(cancellationToken);
        }

        if (refused is not null)
        {
            ReturnOwned(owned);
            return refused is OperationCanceledException ? ValueTask.FromCanceled(cancellationToken) : ValueTask.FromException(refused);
        }

        bool queued;
        bool flushed = false;
        lock (_lock)
        {
            if (_state != State.Established)
            {
                ReturnOwned(owned);
                return ValueTask.FromException(ClosedExceptionLocked());
            }

            queued = _packer.TryEnqueue(frame.Span, cls, UdpClock.Coarse, owned);
            if (queued && _recovery.InFlightCount == 0 && Volatile.Read(ref _flushQueued) == 0)
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
            if (!queued)
            {
                ReturnOwned(owned); // an unreliable frame dropped for a full lane
            }

            ScheduleFlush();
            return default;
        }

        return SendSlowAsync(frame, cls, owned, cancellationToken);
    }

    private static void ReturnOwned(byte[]? owned)
    {
        if (owned is not null)
        {
            ArrayPool<byte>.Shared.Return(owned);
        }
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
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)cls, (uint)PacketPacker.LaneCount, nameof(reliability));
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

            queued = _packer.TryEnqueue(frame, cls, UdpClock.Coarse);
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

                if (_packer.LanesEmpty)
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

    /// <summary>A snapshot of the link's live state: round trip, loss, rates, congestion window, queues.</summary>
    public UdpLinkStatus GetStatus()
    {
        lock (_lock)
        {
            long oldest = _packer.OldestEnqueuedAt();
            RttEstimator rtt = _recovery.Rtt;
            return new UdpLinkStatus
            {
                Rtt = Micros(rtt.HasSample ? rtt.Srtt : 0),
                RttVariance = Micros(rtt.HasSample ? rtt.RttVar : 0),
                MinRtt = Micros(rtt.HasSample ? rtt.MinRtt : 0),
                RetransmitTimeout = Micros(_recovery.BackedOffRto),
                Loss = _traffic.Loss,
                SendRate = PacingRate(),
                BandwidthEstimate = _delivery?.Bandwidth ?? 0,
                CongestionWindow = _congestion?.Window ?? 0,
                BytesInFlight = _recovery.BytesInFlight,
                BytesSentPerSecond = _traffic.BytesSentPerSecond,
                BytesReceivedPerSecond = _traffic.BytesReceivedPerSecond,
                PacketsSentPerSecond = _traffic.PacketsSentPerSecond,
                PacketsReceivedPerSecond = _traffic.PacketsReceivedPerSecond,
                PacketsSent = _traffic.PacketsSent,
                PacketsReceived = _traffic.PacketsReceived,
                PacketsLost = _recovery.PacketsLost,
                QueuedReliableOrdered = _packer.QueuedBytes(Reliability.ReliableOrdered),
                QueuedReliableUnordered = _packer.QueuedBytes(Reliability.ReliableUnordered),
                QueuedUnreliable = _packer.QueuedBytes(Reliability.Unreliable),
                QueuedUnreliableSequenced = _packer.QueuedBytes(Reliability.UnreliableSequenced),
                OldestQueuedAge = oldest == long.MaxValue ? TimeSpan.Zero : Micros(Math.Max(0, UdpClock.Coarse - oldest)),
                UnreliableDropped = _packer.UnreliableDropped,
                PacketsDroppedInvalid = _droppedInvalid,
                PacketsDroppedReplayed = _droppedReplayed,
                PacketsDeferred = _deferred,
                SendCredit = _credit.Available,
                ReceiveWindowUsed = _inbox.CountedCostWaiting,
                UnreliableDroppedOnReceive = _receiveLanes.Dropped,
                PathChallengesSent = _paths.ChallengesSent,
                PathMigrations = _paths.Migrations,
                KeyUpdates = _protection?.KeyUpdates ?? 0,
                PeerKeyUpdates = _protection?.PeerKeyUpdates ?? 0,
                PathMtu = _pmtu?.PacketSize ?? 0,
                MaxPathMtu = _pmtu?.MaxSize ?? 0,
                PathMtuSearching = _pmtu?.Searching ?? false,
                PathMtuProbesSent = _pmtu?.ProbesSent ?? 0,
                PathMtuProbesLost = _pmtu?.ProbesLost ?? 0,
                PathMtuBlackHoles = _pmtu?.BlackHoles ?? 0,
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

    /// <inheritdoc/>
    public override string ToString() => $"udp link {LocalId:s} → {RemoteId:s} ({RemoteAddress})";

    private async Task DisposeCoreAsync()
    {
        long deadline = UdpClock.Now + UdpClock.Micros(_options.CloseTimeout);
        while (UdpClock.Now < deadline)
        {
            lock (_lock)
            {
                if (_state != State.Established || _packer.ReliableQueuedCount == 0)
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

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendSlowAsync(ReadOnlyMemory<byte> frame, int cls, byte[]? owned, CancellationToken cancellationToken)
    {
        try
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

                    if (_packer.TryEnqueue(frame.Span, cls, UdpClock.Coarse, owned))
                    {
                        owned = null; // the link's now
                        break;
                    }

                    _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    wait = _room.Task;
                }

                await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ReturnOwned(owned);
        }

        ScheduleFlush();
    }

    /// <summary>
    /// The application took a reliable frame (on its own thread). Grants the peer more credit once half the window
    /// was consumed since the last grant, and lets a peer that overran the window resend once the queue drained.
    /// </summary>
    private void OnConsumed()
    {
        bool resume = _receiveStalled && _inbox.CountedCostWaiting <= _options.ReceiveWindow / 2;
        if (!resume && (!_credit.ShouldGrant(_inbox.ConsumedCost) || !_credit.TryQueueGrant()))
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

            _credit.GrantPending = true;
        }

        ScheduleFlush();
    }

    // ---------------------------------------------------------------- handshake (UdpHandshake holds both roles)

    internal void StartHandshake(long now)
    {
        lock (_lock)
        {
            _handshake = UdpHandshake.Initiate(_localKey, _options, LocalConnectionId, now);
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

                try
                {
                    Establish(handshake.ReadResponse(datagram, _options, LocalConnectionId, _expectedRemoteId), source, now);
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
        _probe = new byte[maxPacketSize];
        _plain = new byte[maxPacketSize - UdpWire.PacketOverhead];
        _receivePlain = new byte[maxPacketSize]; // the peer never sends more: its ceiling is the same smaller maximum
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

    // ---------------------------------------------------------------- sending

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

        for (int guard = 0; guard < 512; guard++)
        {
            bool canData = CanSendDataLocked();
            bool wantAck = _received.AckDue(now) || (_credit.GrantPending && _received.Any);
            bool hasData = canData && (_pingPending || _packer.HasSendable(_credit));
            if (!hasData && !wantAck && !_resumePending)
            {
                return;
            }

            Span<byte> payload = _plain.AsSpan(0, _packer.PayloadCapacity);
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

            ulong pn = SendPacketLocked(pos, now);
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

    /// <summary>Seals <c>_plain[..length]</c> into a data packet in the outbox's batch.</summary>
    private ulong SendPacketLocked(int length, long now)
    {
        ulong pn = _nextPn++;
        int size = length + UdpWire.PacketOverhead;
        Span<byte> packet = _outbox.Reserve(size, _endpoint.MaxSegments, _pmtu!.MaxSize, _remote);
        SealLocked(pn, _plain.AsSpan(0, length), packet, now);
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
        Span<byte> frames = _plain.AsSpan(0, size - UdpWire.PacketOverhead);
        frames[0] = UdpWire.FramePing;
        frames[1..].Clear(); // PADDING
        ulong pn = _nextPn++;
        Span<byte> packet = _probe.AsSpan(0, size);
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

    // ---------------------------------------------------------------- receiving

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
            _received.OnPacket(pn, result.Eliciting, now);
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

    // ---------------------------------------------------------------- timers

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
                FailHandshakeLocked(new HandshakeException(HandshakeFailure.Timeout, $"The handshake did not complete within {_options.HandshakeTimeout}."));
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
            _packer.TrimIdle(); // a burst's buffer goes back after a quiet second
        }

        FlushLocked(now);
    }

    // ---------------------------------------------------------------- closing

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
        _packer.Release();
        _receiveLanes.Release();
        _protection?.Dispose();
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

    private static TimeSpan Micros(long micros) => TimeSpan.FromTicks(micros * 10);

    /// <summary>A flush queued to the thread pool without allocating (one work item per link, queued at most once at a time).</summary>
    private sealed class FlushWorkItem(UdpLink link) : IThreadPoolWorkItem
    {
        public void Execute() => link.RunScheduledFlush();
    }
}
