using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading.Channels;
using PeerKit.Links.Noise;

namespace PeerKit.Links.Udp;

/// <summary>
/// One UDP socket serving many <see cref="UdpLink"/>s: it accepts links from peers (<see cref="AcceptAsync"/>) and
/// dials peers (<see cref="ConnectAsync"/>) from the same socket. Packets carry a connection id, so a link survives
/// the peer's address changing (NAT rebinding).
/// </summary>
/// <remarks>
/// <para><b>Handshake.</b> Noise XX over datagrams, retransmitted by the dialer until answered. When more than
/// <see cref="UdpLinkOptions.CookieThreshold"/> incoming handshakes are in progress, the endpoint keeps no state for
/// a new initiation: it answers with a stateless cookie (an HMAC of the initiator's address and the time) that the
/// initiator must echo, so forged initiations from spoofed addresses cost an HMAC, not memory. Incoming handshakes
/// in progress never exceed <see cref="UdpLinkOptions.MaxPendingHandshakes"/>.</para>
/// <para><b>Bad input.</b> Garbage, short, tampered, replayed datagrams and datagrams for unknown connections are
/// dropped and counted (<see cref="GetStatistics"/>); they never throw.</para>
/// </remarks>
public sealed partial class UdpEndpoint : IAsyncDisposable
{
    private static readonly IPEndPoint s_v4 = new(IPAddress.Any, 0);
    private static readonly IPEndPoint s_v6 = new(IPAddress.IPv6Any, 0);

    private readonly IDatagramTransport _transport; // the relay layer over the socket (Relay/RelayTransport.cs)
    private readonly NodeKey _localKey;
    private readonly UdpLinkOptions _options;
    private readonly ConcurrentDictionary<uint, UdpLink> _links = new();
    private readonly Lock _linkListLock = new();
    private UdpLink[] _linkList = []; // the links the timer visits, replaced (not changed) under _linkListLock
    private readonly Dictionary<uint, PendingHandshake> _pending = new();
    private readonly Dictionary<(uint, SocketAddress), PendingHandshake> _pendingByInitiator = new();
    private readonly Dictionary<SocketAddress, int> _pendingBySource = new();
    private readonly object _handshakeLock = new();
    private readonly Channel<UdpLink> _accepted;
    private readonly byte[] _cookieSecret = RandomNumberGenerator.GetBytes(32);
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _timerLoop;
    private readonly List<UdpLink> _batchFlush = new();
    private int _disposed;
    private int _peakPending;
    private long _datagramsReceived;
    private long _droppedMalformed;
    private long _droppedUnknown;
    private long _droppedInvalid;
    private long _droppedReplayed;
    private long _handshakesRefused;
    private long _handshakesFailed;
    private long _cookiesSent;
    private long _receiveBatches;

    private UdpEndpoint(IDatagramTransport transport, NodeKey localKey, UdpLinkOptions options)
    {
        _relay = new RelayTransport(transport);
        _transport = _relay;
        _localKey = localKey;
        _options = options;
        LocalEndPoint = transport.LocalEndPoint;
        _accepted = Channel.CreateBounded<UdpLink>(new BoundedChannelOptions(options.MaxPendingHandshakes) { FullMode = BoundedChannelFullMode.Wait });
        _transport.Start(OnDatagram, OnBatchEnd);
        _timerLoop = new Thread(TimerLoop) { IsBackground = true, Name = $"PeerKit UDP timer {LocalEndPoint}" };
        _timerLoop.Start();
    }

    /// <summary>The address the socket is bound to; the real port when it was started on port 0.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>This node's identity, which every link proves to its peer.</summary>
    public NodeId LocalId => _localKey.Id;

    /// <summary>
    /// Buffers for queued, in-flight and received frames of this endpoint's links: up to 4,096 of each size, or 4 MiB
    /// of the small sizes (65,536 of 64 bytes), so a burst of small frames waiting for the application allocates once.
    /// The timer trims what went unused for <see cref="PoolTrimInterval"/>, down to <see cref="PoolKeep"/> of each size.
    /// </summary>
    internal FramePool Buffers { get; } = new(4096, bytesPerSize: 4 << 20);

    /// <summary>How often the timer trims <see cref="Buffers"/> (microseconds).</summary>
    internal const long PoolTrimInterval = 10_000_000;

    /// <summary>Buffers of each size a trim keeps.</summary>
    internal const int PoolKeep = 256;

    /// <summary>Binds a UDP socket to <paramref name="localEndPoint"/> (port 0: the system picks one) and starts serving.</summary>
    /// <param name="localEndPoint">The address and port to bind.</param>
    /// <param name="localKey">This node's key; the endpoint and its links do not dispose it.</param>
    /// <param name="options">Options for the endpoint and every link; <c>null</c> for the defaults.</param>
    /// <exception cref="SocketException">The address cannot be bound.</exception>
    public static UdpEndpoint Start(IPEndPoint localEndPoint, NodeKey localKey, UdpLinkOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        ArgumentNullException.ThrowIfNull(localKey);
        var transport = new SocketDatagramTransport(localEndPoint, options?.ReceiveBusyPoll ?? TimeSpan.Zero);
        try
        {
            return new UdpEndpoint(transport, localKey, options ?? new UdpLinkOptions());
        }
        catch
        {
            transport.Dispose();
            throw;
        }
    }

    /// <summary>Starts an endpoint over any datagram transport (tests use an in-memory network).</summary>
    internal static UdpEndpoint Start(IDatagramTransport transport, NodeKey localKey, UdpLinkOptions? options = null)
        => new(transport, localKey, options ?? new UdpLinkOptions());

    /// <summary>Waits for the next link a peer established with this endpoint (already authenticated).</summary>
    /// <exception cref="ObjectDisposedException">The endpoint was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<UdpLink> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (await _accepted.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_accepted.Reader.TryRead(out UdpLink? link))
            {
                return link;
            }
        }

        throw new ObjectDisposedException(nameof(UdpEndpoint));
    }

    /// <summary>Dials <paramref name="remoteEndPoint"/> from this endpoint's socket and runs the handshake as the initiator.</summary>
    /// <param name="remoteEndPoint">The peer endpoint's address.</param>
    /// <param name="expectedRemoteId">The node expected there, or <c>null</c> to accept any node. On a mismatch the
    /// handshake stops before this side reveals its static key.</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    /// <exception cref="IdentityMismatchException">The remote node is not <paramref name="expectedRemoteId"/>.</exception>
    /// <exception cref="HandshakeException">The handshake failed or timed out (<see cref="UdpLinkOptions.HandshakeTimeout"/>).</exception>
    /// <exception cref="ObjectDisposedException">The endpoint was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<UdpLink> ConnectAsync(IPEndPoint remoteEndPoint, NodeId? expectedRemoteId = null, CancellationToken cancellationToken = default) =>
        ConnectWithinAsync(remoteEndPoint, expectedRemoteId, _options.HandshakeTimeout, cancellationToken);

    /// <summary>Dials <paramref name="remoteEndPoint"/> as <see cref="ConnectAsync(IPEndPoint, NodeId?, CancellationToken)"/> does, giving up after <paramref name="timeout"/> instead of <see cref="UdpLinkOptions.HandshakeTimeout"/>.</summary>
    /// <param name="remoteEndPoint">The peer endpoint's address.</param>
    /// <param name="expectedRemoteId">The node expected there, or <c>null</c> to accept any node.</param>
    /// <param name="timeout">How long to wait for the handshake (the dialer's handshake completes with the peer's first reply).</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    /// <exception cref="IdentityMismatchException">The remote node is not <paramref name="expectedRemoteId"/>.</exception>
    /// <exception cref="HandshakeException">The handshake failed or timed out (<see cref="HandshakeFailure.Timeout"/>).</exception>
    /// <exception cref="ObjectDisposedException">The endpoint was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    internal async Task<UdpLink> ConnectWithinAsync(IPEndPoint remoteEndPoint, NodeId? expectedRemoteId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (LocalEndPoint.AddressFamily == AddressFamily.InterNetworkV6 && remoteEndPoint.AddressFamily == AddressFamily.InterNetwork)
        {
            remoteEndPoint = new IPEndPoint(remoteEndPoint.Address.MapToIPv6(), remoteEndPoint.Port);
        }

        UdpLink link;
        lock (_handshakeLock)
        {
            uint cid = AllocateConnectionId();
            link = new UdpLink(this, _localKey, _options, cid, remoteEndPoint.Serialize(), expectedRemoteId);
            AddLink(cid, link);
        }

        link.StartHandshake(UdpClock.Now, timeout);
        try
        {
            await link.HandshakeTask.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _handshakesFailed);
            link.FailHandshake(e is OperationCanceledException ? new HandshakeException(HandshakeFailure.ConnectionClosed, "The handshake was cancelled.") : e);
            throw;
        }

        return link;
    }

    /// <summary>The endpoint's counters: datagrams received and dropped (by cause), handshakes, cookies.</summary>
    public UdpEndpointStatistics GetStatistics()
    {
        int pending;
        lock (_handshakeLock)
        {
            pending = _pending.Count;
        }

        return new UdpEndpointStatistics
        {
            DatagramsReceived = Interlocked.Read(ref _datagramsReceived),
            DroppedMalformed = Interlocked.Read(ref _droppedMalformed),
            DroppedUnknownConnection = Interlocked.Read(ref _droppedUnknown),
            DroppedInvalid = Interlocked.Read(ref _droppedInvalid),
            DroppedReplayed = Interlocked.Read(ref _droppedReplayed),
            HandshakesRefused = Interlocked.Read(ref _handshakesRefused),
            HandshakesFailed = Interlocked.Read(ref _handshakesFailed),
            CookiesSent = Interlocked.Read(ref _cookiesSent),
            PendingHandshakes = pending,
            PeakPendingHandshakes = Volatile.Read(ref _peakPending),
            Links = _links.Count,
            ReceiveBatches = Interlocked.Read(ref _receiveBatches),
            SegmentationOffload = _transport.MaxSegments > 1,
            BatchedSends = _transport.SegmentedSends,
        };
    }

    /// <summary>Closes every link (as <see cref="UdpLink.DisposeAsync"/> does), abandons handshakes and closes the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _accepted.Writer.TryComplete();
        var closing = new List<Task>();
        foreach (UdpLink link in _links.Values)
        {
            closing.Add(link.DisposeAsync().AsTask());
        }

        while (_accepted.Reader.TryRead(out UdpLink? link))
        {
            closing.Add(link.DisposeAsync().AsTask());
        }

        await Task.WhenAll(closing).ConfigureAwait(false);
        _stop.Cancel();
        if (_timerLoop != Thread.CurrentThread)
        {
            _timerLoop.Join();
        }
        lock (_handshakeLock)
        {
            foreach (PendingHandshake p in _pending.Values)
            {
                DisposeHandshake(p);
            }

            _pending.Clear();
            _pendingByInitiator.Clear();
            _pendingBySource.Clear();
        }

        _transport.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() => $"udp endpoint {LocalId:s} ({LocalEndPoint})";

    // ---------------------------------------------------------------- helpers shared with links

    /// <returns>False when the datagram could not be sent (a full buffer, or EMSGSIZE: larger than the interface's MTU).</returns>
    internal bool SendDatagram(ReadOnlySpan<byte> datagram, SocketAddress destination) => _transport.Send(datagram, destination);

    /// <summary>Sends one datagram and says whether the interface refused its size (path MTU probes).</summary>
    internal DatagramSendResult SendDatagramChecked(ReadOnlySpan<byte> datagram, SocketAddress destination) => _transport.SendChecked(datagram, destination);

    /// <summary>The socket (or, in tests, the simulated network) under this endpoint.</summary>
    internal IDatagramTransport Transport => _transport;

    /// <summary>How many datagrams a link may pass to <see cref="SendSegments"/> at once (1: the transport cannot batch).</summary>
    internal int MaxSegments => _transport.MaxSegments;

    /// <summary>Sends equal-size datagrams (the last may be shorter) in one call where the transport can.</summary>
    internal void SendSegments(ReadOnlySpan<byte> buffer, int segmentSize, SocketAddress destination)
        => _transport.SendSegments(buffer, segmentSize, destination);

    /// <summary>
    /// Called by a link, on the receive thread and under its lock, when a received packet leaves something to send:
    /// the link is flushed once after the run of datagrams the socket handed over together, so a burst of packets
    /// is answered by one acknowledgement instead of one per packet.
    /// </summary>
    internal void FlushAfterBatch(UdpLink link) => _batchFlush.Add(link);

    internal void Remove(UdpLink link)
    {
        lock (_linkListLock)
        {
            if (_links.TryRemove(new KeyValuePair<uint, UdpLink>(link.LocalConnectionId, link)))
            {
                _linkList = [.. _linkList.Where(l => l != link)];
            }
        }
    }

    /// <summary>Registers a link under its connection id, and for the timer (which walks an array: no enumerator per tick).</summary>
    private void AddLink(uint cid, UdpLink link)
    {
        lock (_linkListLock)
        {
            _links[cid] = link;
            _linkList = [.. _linkList, link];
        }
    }

    internal static SocketAddress Clone(SocketAddress address)
    {
        var copy = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span[..address.Size].CopyTo(copy.Buffer.Span);
        return copy;
    }

    internal static IPEndPoint ToEndPoint(SocketAddress address)
        => (IPEndPoint)(address.Family == AddressFamily.InterNetworkV6 ? s_v6 : s_v4).Create(address);

    // ---------------------------------------------------------------- receiving

    private void OnBatchEnd()
    {
        Interlocked.Increment(ref _receiveBatches);
        List<UdpLink> links = _batchFlush;
        for (int i = 0; i < links.Count; i++)
        {
            try
            {
                links[i].FlushAfterBatch();
            }
            catch (Exception)
            {
                // A link that fails to send is closed by its own timers; the endpoint keeps serving.
            }
        }

        links.Clear();
    }

    private void OnDatagram(ReadOnlySpan<byte> datagram, SocketAddress source)
    {
        Interlocked.Increment(ref _datagramsReceived);
        try
        {
            if (datagram.Length < 5)
            {
                Interlocked.Increment(ref _droppedMalformed);
                return;
            }

            long now = UdpClock.Now;
            byte type = datagram[0];
            switch (type)
            {
                case UdpWire.TypeData:
                case UdpWire.TypeData | UdpWire.KeyPhaseBit:
                    OnData(datagram, source, now);
                    break;
                case UdpWire.TypeInit:
                    OnInit(datagram, source, now);
                    break;
                case UdpWire.TypeResponse:
                    OnResponse(datagram, source, now);
                    break;
                case UdpWire.TypeFinish:
                    OnFinish(datagram, source, now);
                    break;
                case UdpWire.TypeRetry:
                    if (datagram.Length != UdpWire.RetrySize)
                    {
                        Interlocked.Increment(ref _droppedMalformed);
                    }
                    else if (_links.TryGetValue(BinaryPrimitives.ReadUInt32BigEndian(datagram[1..]), out UdpLink? dialing))
                    {
                        dialing.OnRetry(datagram, now);
                    }
                    else
                    {
                        Interlocked.Increment(ref _droppedUnknown);
                    }

                    break;
                default:
                    Interlocked.Increment(ref _droppedMalformed);
                    break;
            }
        }
        catch (Exception)
        {
            // Whatever a datagram does, the endpoint keeps serving.
            Interlocked.Increment(ref _droppedMalformed);
        }
    }

    private void OnData(ReadOnlySpan<byte> datagram, SocketAddress source, long now)
    {
        if (datagram.Length < UdpWire.PacketOverhead)
        {
            Interlocked.Increment(ref _droppedMalformed);
            return;
        }

        if (!_links.TryGetValue(BinaryPrimitives.ReadUInt32BigEndian(datagram[1..]), out UdpLink? link))
        {
            Interlocked.Increment(ref _droppedUnknown);
            return;
        }

        switch (link.OnDataPacket(datagram, source, now))
        {
            case PacketVerdict.Invalid:
                Interlocked.Increment(ref _droppedInvalid);
                break;
            case PacketVerdict.Replayed:
                Interlocked.Increment(ref _droppedReplayed);
                break;
            case PacketVerdict.NotEstablished:
                Interlocked.Increment(ref _droppedUnknown);
                break;
        }
    }

    private void OnResponse(ReadOnlySpan<byte> datagram, SocketAddress source, long now)
    {
        if (datagram.Length < UdpWire.ResponseHeaderSize + NoiseHandshake.MessageSize(1, 0))
        {
            Interlocked.Increment(ref _droppedMalformed);
            return;
        }

        if (!_links.TryGetValue(BinaryPrimitives.ReadUInt32BigEndian(datagram[1..]), out UdpLink? link))
        {
            Interlocked.Increment(ref _droppedUnknown);
            return;
        }

        if (!link.OnResponse(datagram, source, now))
        {
            Interlocked.Increment(ref _handshakesFailed);
        }
    }

    private void OnInit(ReadOnlySpan<byte> datagram, SocketAddress source, long now)
    {
        int cookieLength = datagram.Length >= UdpWire.InitSize ? datagram[7] : -1;
        if (datagram.Length < UdpWire.InitSize || datagram[1] != UdpWire.Version || (cookieLength != 0 && cookieLength != UdpWire.CookieSize)
            || !NoiseCipherState.IsSupported((NoiseCipher)datagram[2]))
        {
            Interlocked.Increment(ref _droppedMalformed);
            return;
        }

        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        uint initiatorCid = BinaryPrimitives.ReadUInt32BigEndian(datagram[3..]);
        ReadOnlySpan<byte> cookie = datagram.Slice(UdpWire.InitHeaderSize, cookieLength);
        ReadOnlySpan<byte> message = datagram.Slice(UdpWire.InitHeaderSize + cookieLength, NoiseHandshake.PublicKeySize);
        byte[] reply;
        lock (_handshakeLock)
        {
            if (_pendingByInitiator.TryGetValue((initiatorCid, source), out PendingHandshake? existing))
            {
                reply = existing.Handshake.Packet; // our response was lost: send it again
            }
            else if (_pending.Count >= _options.CookieThreshold && !CookieIsValid(cookie, source, initiatorCid, now))
            {
                // Under load: keep nothing, answer with a cookie bound to the initiator's address.
                if (cookieLength != 0)
                {
                    Interlocked.Increment(ref _handshakesRefused);
                }

                Span<byte> retry = stackalloc byte[UdpWire.RetrySize];
                retry[0] = UdpWire.TypeRetry;
                BinaryPrimitives.WriteUInt32BigEndian(retry[1..], initiatorCid);
                ComputeCookie(source, initiatorCid, now / CookieBucket, retry[5..]);
                Interlocked.Increment(ref _cookiesSent);
                _transport.Send(retry, source);
                return;
            }
            else if (_pending.Count >= _options.MaxPendingHandshakes
                || (_pendingBySource.TryGetValue(source, out int fromSource) && fromSource >= _options.MaxPendingHandshakesPerSource))
            {
                Interlocked.Increment(ref _handshakesRefused);
                return;
            }
            else
            {
                UdpHandshake handshake;
                uint cid = AllocateConnectionId();
                try
                {
                    handshake = UdpHandshake.Respond((NoiseCipher)datagram[2], initiatorCid, message, _localKey, _options, cid, now);
                }
                catch (HandshakeException)
                {
                    Interlocked.Increment(ref _droppedMalformed);
                    return;
                }

                var pending = new PendingHandshake(handshake, cid, initiatorCid, Clone(source), handshake.Deadline);
                _pending.Add(cid, pending);
                _pendingByInitiator.Add((initiatorCid, pending.Address), pending);
                _pendingBySource[pending.Address] = _pendingBySource.GetValueOrDefault(pending.Address) + 1;
                if (_pending.Count > _peakPending)
                {
                    Volatile.Write(ref _peakPending, _pending.Count);
                }

                reply = handshake.Packet;
            }
        }

        _transport.Send(reply, source);
    }

    /// <summary>The smallest well-formed Finish: header, then message 3 with the handshake payload.</summary>
    private static readonly int MinFinishSize = UdpWire.FinishHeaderSize + NoiseHandshake.MessageSize(2, UdpWire.HandshakePayloadSize);

    private void OnFinish(ReadOnlySpan<byte> datagram, SocketAddress source, long now)
    {
        uint cid = BinaryPrimitives.ReadUInt32BigEndian(datagram[1..]);
        PendingHandshake? pending;
        lock (_handshakeLock)
        {
            _pending.TryGetValue(cid, out pending);
        }

        if (pending is null)
        {
            // A repeated Finish is answered with a ping only when it is a whole one (issue 13, finding 8): the ping is
            // smaller than it, so a forged 5-byte "Finish" naming a known connection makes the node send nothing.
            if (datagram.Length < MinFinishSize)
            {
                Interlocked.Increment(ref _droppedMalformed);
            }
            else if (_links.TryGetValue(cid, out UdpLink? established))
            {
                established.OnDuplicateFinish();
            }
            else
            {
                Interlocked.Increment(ref _droppedUnknown);
            }

            return;
        }

        // Issue 13, finding 5: a FINISH from another address, or one that fails authentication, changes nothing; the
        // pending handshake stays for the initiator's real message 3. Only an authenticated one removes it.
        if (!source.Equals(pending.Address))
        {
            Interlocked.Increment(ref _handshakesFailed);
            return;
        }

        UdpLink? link = null;
        UdpSession? session = null;
        bool authenticated;
        lock (pending)
        {
            if (pending.Handshake.RemoteAuthenticated)
            {
                return; // another thread finished it
            }

            try
            {
                session = pending.Handshake.ReadFinish(datagram, pending.InitiatorCid);
            }
            catch (Exception e) when (e is HandshakeException or ArgumentException or InvalidOperationException)
            {
                // InvalidOperationException: the handshake expired and was disposed meanwhile.
                Interlocked.Increment(ref _handshakesFailed);
            }

            authenticated = pending.Handshake.RemoteAuthenticated;
        }

        if (!authenticated)
        {
            return; // changed nothing
        }

        RemovePending(cid, pending);
        if (session is null)
        {
            return;
        }

        try
        {
            link = new UdpLink(this, _localKey, _options, cid, source, expectedRemoteId: null);
            link.Establish(session, source, now);
        }
        catch (Exception e) when (e is HandshakeException or ArgumentException)
        {
            Interlocked.Increment(ref _handshakesFailed);
            return;
        }

        AddLink(cid, link);
        link.SendPing(); // lets the dialer know message 3 arrived
        if (Volatile.Read(ref _disposed) != 0 || !_accepted.Writer.TryWrite(link))
        {
            Interlocked.Increment(ref _handshakesRefused);
            _ = link.DisposeAsync().AsTask();
        }
    }

    private void RemovePending(uint cid, PendingHandshake pending)
    {
        lock (_handshakeLock)
        {
            if (_pending.TryGetValue(cid, out PendingHandshake? current) && ReferenceEquals(current, pending))
            {
                _pending.Remove(cid);
                _pendingByInitiator.Remove((pending.InitiatorCid, pending.Address));
                ForgetSource(pending.Address);
            }
        }

        DisposeHandshake(pending);
    }

    /// <summary>One fewer pending handshake from <paramref name="source"/> (under the handshake lock).</summary>
    private void ForgetSource(SocketAddress source)
    {
        if (_pendingBySource.TryGetValue(source, out int count))
        {
            if (count <= 1)
            {
                _pendingBySource.Remove(source);
            }
            else
            {
                _pendingBySource[source] = count - 1;
            }
        }
    }

    /// <summary>Disposes a pending handshake under its lock, so a FINISH being read on another thread sees it whole or disposed.</summary>
    private static void DisposeHandshake(PendingHandshake pending)
    {
        lock (pending)
        {
            pending.Handshake.Dispose();
        }
    }

    // ---------------------------------------------------------------- cookies, ids, timers

    private static readonly long CookieBucket = 2_000_000; // µs

    private void ComputeCookie(SocketAddress address, uint initiatorCid, long bucket, Span<byte> destination)
    {
        Span<byte> input = stackalloc byte[address.Size + 12];
        address.Buffer.Span[..address.Size].CopyTo(input);
        BinaryPrimitives.WriteInt64BigEndian(input[address.Size..], bucket);
        BinaryPrimitives.WriteUInt32BigEndian(input[(address.Size + 8)..], initiatorCid);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_cookieSecret, input, mac);
        mac[..UdpWire.CookieSize].CopyTo(destination);
    }

    private bool CookieIsValid(ReadOnlySpan<byte> cookie, SocketAddress address, uint initiatorCid, long now)
    {
        if (cookie.Length != UdpWire.CookieSize)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[UdpWire.CookieSize];
        long bucket = now / CookieBucket;
        for (long b = bucket; b >= bucket - 1; b--)
        {
            ComputeCookie(address, initiatorCid, b, expected);
            if (CryptographicOperations.FixedTimeEquals(expected, cookie))
            {
                return true;
            }
        }

        return false;
    }

    private uint AllocateConnectionId()
    {
        while (true)
        {
            uint cid = (uint)Random.Shared.NextInt64(1, uint.MaxValue);
            if (!_links.ContainsKey(cid) && !_pending.ContainsKey(cid))
            {
                return cid;
            }
        }
    }

    /// <summary>
    /// The endpoint's timer, on its own thread so that retransmissions, acknowledgements and keepalives keep their
    /// pace even when the thread pool is busy.
    /// </summary>
    private void TimerLoop()
    {
        long nextSweep = 0;
        long nextTrim = UdpClock.Now + PoolTrimInterval;
        WaitHandle stop = _stop.Token.WaitHandle;
        while (!stop.WaitOne(_options.TimerResolution))
        {
            long now = UdpClock.Now;
            foreach (UdpLink link in Volatile.Read(ref _linkList))
            {
                try
                {
                    link.OnTick(now);
                }
                catch (Exception)
                {
                    // A link's timer must not stop the others.
                }
            }

            if (now >= nextSweep)
            {
                nextSweep = now + 50_000;
                SweepPending(now);
            }

            if (now >= nextTrim)
            {
                nextTrim = now + PoolTrimInterval;
                Buffers.Trim(PoolKeep);
            }
        }
    }

    private void SweepPending(long now)
    {
        lock (_handshakeLock)
        {
            if (_pending.Count == 0)
            {
                return;
            }

            List<uint>? expired = null;
            foreach (PendingHandshake p in _pending.Values)
            {
                if (now >= p.Deadline)
                {
                    (expired ??= new()).Add(p.Cid);
                }
            }

            if (expired is null)
            {
                return;
            }

            foreach (uint cid in expired)
            {
                if (_pending.Remove(cid, out PendingHandshake? p))
                {
                    _pendingByInitiator.Remove((p.InitiatorCid, p.Address));
                    ForgetSource(p.Address);
                    DisposeHandshake(p);
                    Interlocked.Increment(ref _handshakesFailed);
                }
            }
        }
    }

    private sealed record PendingHandshake(UdpHandshake Handshake, uint Cid, uint InitiatorCid, SocketAddress Address, long Deadline);
}
