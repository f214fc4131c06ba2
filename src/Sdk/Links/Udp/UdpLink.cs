using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using PeerKit.Links.Noise;

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
public sealed partial class UdpLink : IMessageLink
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
    private int _maxPacketSize; // the largest packet either side sends (set by Establish)
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
        _receiveLanes = new ReceiveLanes(_inbox, endpoint.Buffers, options.ReliableWindow, options.MaxFrameSize, (2L * options.ReceiveWindow) + (2L * options.MaxFrameSize));
        _recovery = new LossDetection(new RttEstimator(UdpClock.Micros(options.InitialRetransmitTimeout), UdpClock.Micros(options.MinRetransmitTimeout), UdpClock.Micros(options.MaxRetransmitTimeout)));
        _received = new ReceivedPackets(UdpClock.Micros(options.MaxAckDelay));
        _credit = new FlowCredit(options.ReceiveWindow, 0, options.IgnoreFlowControl);
        _upgrade = new PathUpgrade(UdpClock.Micros(options.DirectProbeInterval), UdpClock.Micros(options.DirectProbeTimeout), UdpClock.Micros(options.DirectPathRetryInterval), UdpClock.Micros(options.DirectPathTimeout));
        InitRelayPath(_remote);
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
                ActivePath = OnRelay ? LinkPath.Relay : LinkPath.Direct,
                DirectProbesSent = _upgrade.ProbesSent,
                PathFallbacks = _upgrade.Fallbacks,
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

    // ---------------------------------------------------------------- closing (sending, receiving, the handshake and timers are in UdpLink.*.cs)

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
        ClosePathsLocked();
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
        ReleaseRelayChannel();
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
