using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using PeerKit.Links;
using PeerKit.Sessions;

namespace PeerKit;

/// <summary>
/// A connected remote node: one session over one link, running the protocols both sides share. go-ethereum's
/// <c>p2p.Peer</c> and the Oculus Platform's peer: send with a reliability, ping, pull-read, disconnect.
/// </summary>
/// <remarks>
/// A peer exists from the moment its session is up until it disconnects; <see cref="Completion"/> says why it
/// ended. Every member is safe to call from several threads.
/// </remarks>
public sealed class Peer
{
    private readonly PeerSettings _settings;
    private readonly IMessageLink _link;
    private readonly CancellationTokenSource _stop = new();
    private readonly ProtocolSlot[] _slots;
    private readonly MessageQueue _pull;
    private readonly Memory.MemoryAccount? _account;
    private readonly ConcurrentDictionary<ulong, PendingPing> _pings = new(concurrencyLevel: 1, capacity: 4); // a keepalive ping or two at a time
    private readonly TaskCompletionSource<PeerDisconnect> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<bool> _confirmed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ulong _confirmNonce;
    private long _bytesIn;
    private long _bytesOut;
    private long _messagesIn;
    private long _messagesOut;
    private long _lastReceived;
    private long _rttTicks;
    private long _srttTicks;
    private ulong _nextNonce;
    private int _closing;
    private StrongBox<PeerDisconnect>? _disconnect;
    private int _state;
    private int _established; // 0 not yet, 1 listed, 2 refused
    private int _remoteConfirmed;
    private DateTimeOffset _connectedAt;

    internal Peer(IMessageLink link, bool isInbound, bool isTrusted, BaseProtocol.Hello hello, ProtocolSlot[] slots, PeerSettings settings, Memory.MemoryAccount? account = null)
    {
        _account = account;
        _settings = settings;
        _link = link;
        IsInbound = isInbound;
        IsTrusted = isTrusted;
        Name = hello.Name;
        RemoteCapabilities = hello.Capabilities;
        ListenPort = hello.ListenPort;
        _slots = slots;
        _pull = new MessageQueue(settings.ReadQueueCapacity, settings.ReadQueueBytes, account);

        var protocols = new NegotiatedProtocol[slots.Length];
        for (int i = 0; i < slots.Length; i++)
        {
            ProtocolSlot slot = slots[i];
            slot.ReadWriter = new MessageReadWriter(this, slot.Descriptor, slot.Offset, slot.Inbox);
            protocols[i] = new NegotiatedProtocol(slot.Descriptor, slot.Offset);
        }

        Protocols = protocols;
        _lastReceived = Stopwatch.GetTimestamp();
        _nextNonce = (ulong)Random.Shared.NextInt64();
        _confirmNonce = _nextNonce++;
    }

    /// <summary>The peer's node id, authenticated by the link.</summary>
    public NodeId Id => _link.RemoteId;

    /// <summary>The peer's transport address, or <c>null</c> on in-process links.</summary>
    public EndPoint? RemoteAddress => _link.RemoteAddress;

    /// <summary>The name the peer announced in its hello.</summary>
    public string Name { get; }

    /// <summary>Whether the peer dialed this node.</summary>
    public bool IsInbound { get; }

    /// <summary>Whether the peer is in <see cref="PeerNodeOptions.TrustedPeers"/>.</summary>
    public bool IsTrusted { get; }

    /// <summary>The port the peer said it accepts connections on (0 for none).</summary>
    public int ListenPort { get; }

    /// <summary>Every protocol the peer announced.</summary>
    public IReadOnlyList<Capability> RemoteCapabilities { get; }

    /// <summary>The protocols running with this peer, with their negotiated code offsets, in code order.</summary>
    public IReadOnlyList<NegotiatedProtocol> Protocols { get; }

    /// <summary>The link the session runs on.</summary>
    public IMessageLink Link => _link;

    /// <summary>The connection state.</summary>
    public ConnectionState State => (ConnectionState)Volatile.Read(ref _state);

    /// <summary>Whether the session is up (the Oculus <c>IsConnected</c>).</summary>
    public bool IsConnected => State == ConnectionState.Connected;

    /// <summary>Completes, never faulted, when the peer disconnects, with the reason.</summary>
    public Task<PeerDisconnect> Completion => _completion.Task;

    /// <summary>A snapshot of the traffic counters and round-trip time.</summary>
    public PeerStatus Status => new()
    {
        Rtt = TimeSpan.FromTicks(Volatile.Read(ref _rttTicks)),
        SmoothedRtt = TimeSpan.FromTicks(Volatile.Read(ref _srttTicks)),
        BytesIn = Volatile.Read(ref _bytesIn),
        BytesOut = Volatile.Read(ref _bytesOut),
        MessagesIn = Volatile.Read(ref _messagesIn),
        MessagesOut = Volatile.Read(ref _messagesOut),
        ConnectedAt = _connectedAt,
        SinceLastReceived = Stopwatch.GetElapsedTime(Volatile.Read(ref _lastReceived)),
    };

    /// <summary>Sends <paramref name="message"/> with its default reliability, in the shared protocol that carries its type.</summary>
    /// <remarks>
    /// The message is encoded once into a pooled buffer after its session code. The task completes when the link has
    /// taken the frame; it waits while the link is full (back-pressure).
    /// </remarks>
    /// <exception cref="ProtocolNotNegotiatedException">No protocol negotiated with this peer carries <typeparamref name="T"/>.</exception>
    /// <exception cref="PeerDisconnectedException">The peer is disconnected.</exception>
    public ValueTask SendAsync<T>(in T message, CancellationToken cancellationToken = default) where T : IMessage<T> =>
        SendAsync(in message, T.Reliability, cancellationToken);

    /// <summary>Sends <paramref name="message"/> with the delivery class <paramref name="reliability"/> instead of its default.</summary>
    /// <exception cref="ProtocolNotNegotiatedException">No protocol negotiated with this peer carries <typeparamref name="T"/>.</exception>
    /// <exception cref="PeerDisconnectedException">The peer is disconnected.</exception>
    public ValueTask SendAsync<T>(in T message, Reliability reliability, CancellationToken cancellationToken = default) where T : IMessage<T>
    {
        return SendMessageAsync(CodeOf(typeof(T)), in message, reliability, cancellationToken);
    }

    /// <summary>
    /// The session code of <paramref name="messageType"/>: a message type in two shared protocols is sent with the
    /// first (in negotiation order). Looked up in the protocols' own tables (shared by every session) rather than a
    /// table per session.
    /// </summary>
    private int CodeOf(Type messageType)
    {
        foreach (ProtocolSlot slot in _slots)
        {
            if (slot.Descriptor.TryGetMessage(messageType, out ProtocolMessageInfo info))
            {
                return slot.Offset + info.Code;
            }
        }

        throw new ProtocolNotNegotiatedException(Id, messageType);
    }

    /// <summary>Measures the round-trip time with a base-protocol ping (the Oculus <c>Ping</c>).</summary>
    /// <exception cref="TimeoutException">No pong within <see cref="PeerNodeOptions.PingTimeout"/>.</exception>
    /// <exception cref="PeerDisconnectedException">The peer is disconnected.</exception>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        ulong nonce = Interlocked.Increment(ref _nextNonce);
        var result = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pings[nonce] = new PendingPing(Stopwatch.GetTimestamp(), result);
        try
        {
            await SendBaseAsync(BaseProtocol.PingCode, new BaseProtocol.Ping(nonce), cancellationToken).ConfigureAwait(false);
            using var disconnected = _stop.Token.UnsafeRegister(static state => ((TaskCompletionSource<TimeSpan>)state!).TrySetCanceled(), result);
            try
            {
                return await result.Task.WaitAsync(_settings.PingTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw DisconnectedError();
            }
        }
        finally
        {
            _pings.TryRemove(nonce, out _);
        }
    }

    /// <summary>
    /// Waits for the next message of a protocol that has no handler for it: the pull model (the Oculus <c>ReadPacket</c>).
    /// The caller disposes the message.
    /// </summary>
    /// <remarks>
    /// Messages wait in a queue bounded in bytes and messages (<see cref="PeerNodeOptions.ReadQueueBytes"/>,
    /// <see cref="PeerNodeOptions.ReadQueueCapacity"/>); while it is full, the protocols that feed it stop, and the
    /// link pushes back on the peer. A peer whose messages nobody reads stalls.
    /// </remarks>
    /// <exception cref="PeerDisconnectedException">The peer is disconnected and every message it sent has been read.</exception>
    public async ValueTask<ProtocolMessage> ReadAsync(CancellationToken cancellationToken = default)
    {
        while (await _pull.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_pull.TryRead(out ProtocolMessage message))
            {
                return message;
            }
        }

        throw DisconnectedError();
    }

    /// <summary>Takes the next pull-model message if one is waiting. The caller disposes it.</summary>
    public bool TryRead(out ProtocolMessage message) => _pull.TryRead(out message);

    /// <summary>Sends a Disconnect with <paramref name="reason"/> and closes the session (the Oculus <c>Close</c>).</summary>
    /// <remarks>Returns once the peer is gone; calling it again, or on a disconnected peer, does nothing.</remarks>
    public async ValueTask DisconnectAsync(DisconnectReason reason = DisconnectReason.Requested)
    {
        await CloseAsync(reason, isRemote: false, sendDisconnect: true).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override string ToString() => $"peer {Id:s} \"{Name}\" ({(IsInbound ? "inbound" : "outbound")}, {RemoteAddress?.ToString() ?? "in-process"})";

    // ---- internals used by the node, MessageReadWriter and ProtocolRunner ----

    /// <summary>The exception that made a protocol fail, when one did.</summary>
    internal Exception? Error { get; private set; }

    internal DisconnectReason? Reason => _completion.Task.IsCompleted ? _completion.Task.Result.Reason : null;

    /// <summary>
    /// Starts reading the link and sends the confirmation ping. The session is established (listed by the node, its
    /// protocols running) when the remote's confirmation ping or the pong to ours arrives, whichever comes first:
    /// either proves that the remote admitted it too. The remote's confirmation ping is answered only after
    /// establishing, so the returned task's <c>true</c> (our pong) means both sides list the peer.
    /// </summary>
    internal Task<bool> StartAsync()
    {
        Volatile.Write(ref _state, (int)ConnectionState.Connecting);
        _ = Task.Run(ReadLoopAsync);
        _ = SendConfirmationAsync();
        return _confirmed.Task;
    }

    /// <summary>Whether the peer was established: admitted by both sides and announced.</summary>
    internal bool WasRunning => Volatile.Read(ref _established) == 1;

    /// <summary>Lists the peer with its node once (through <see cref="PeerSettings.Establish"/>), then starts the protocols and the keepalive.</summary>
    /// <returns><c>false</c> when the node would not list it (the session is closing, or the node stopped).</returns>
    private bool TryEstablish()
    {
        int state = Volatile.Read(ref _established);
        if (state != 0)
        {
            return state == 1;
        }

        // Connected before the node announces it, so that PeerAdded handlers see a connected peer.
        _connectedAt = DateTimeOffset.UtcNow;
        bool listed = !IsClosing
            && Interlocked.CompareExchange(ref _state, (int)ConnectionState.Connected, (int)ConnectionState.Connecting) == (int)ConnectionState.Connecting
            && _settings.Establish(this);
        Volatile.Write(ref _established, listed ? 1 : 2);
        if (listed)
        {
            foreach (ProtocolSlot slot in _slots)
            {
                _ = Task.Run(() => RunProtocolAsync(slot));
            }

            _ = Task.Run(KeepAliveAsync);
        }

        return listed;
    }

    /// <summary>Whether the session is closing or closed.</summary>
    internal bool IsClosing => Volatile.Read(ref _closing) != 0;

    internal PeerDisconnectedException DisconnectedError()
    {
        // The reason is recorded the moment the close is decided; before that, a failed link is a network error.
        PeerDisconnect disconnect = Volatile.Read(ref _disconnect) is { } known ? known.Value : new PeerDisconnect(DisconnectReason.NetworkError, false);
        return new PeerDisconnectedException(Id, disconnect.Reason, disconnect.IsRemote);
    }

    internal ValueTask SendMessageAsync<T>(int code, in T message, Reliability reliability, CancellationToken cancellationToken) where T : IMessage<T>
    {
        byte[] buffer = SessionFrame.Encode(code, in message, out int length);
        return SendRentedAsync(buffer, length, reliability, countAsMessage: true, code, cancellationToken);
    }

    internal ValueTask SendPayloadAsync(int code, ReadOnlySpan<byte> payload, Reliability reliability, CancellationToken cancellationToken)
    {
        byte[] buffer = SessionFrame.Encode(code, payload, out int length);
        return SendRentedAsync(buffer, length, reliability, countAsMessage: true, code, cancellationToken);
    }

    internal ValueTask ForwardToReaderAsync(ProtocolMessage message, CancellationToken cancellationToken)
    {
        try
        {
            if (_pull.TryWrite(message))
            {
                return default;
            }
        }
        catch
        {
            message.Dispose();
            throw;
        }

        return WaitAndForward(message, cancellationToken);

        async ValueTask WaitAndForward(ProtocolMessage message, CancellationToken cancellationToken)
        {
            try
            {
                await _pull.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                message.Dispose();
                throw;
            }
        }
    }

    /// <summary>Ends the session once: sends a Disconnect if asked, closes the link, completes the queues, tells the node.</summary>
    internal async Task CloseAsync(DisconnectReason reason, bool isRemote, bool sendDisconnect)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            await _completion.Task.ConfigureAwait(false);
            return;
        }

        var disconnect = new PeerDisconnect(reason, isRemote);
        Volatile.Write(ref _disconnect, new StrongBox<PeerDisconnect>(disconnect));
        using System.Diagnostics.Activity? trace = Diagnostics.PeerKitActivities.StartDisconnect(this, reason, isRemote);

        if (sendDisconnect)
        {
            await SessionFrame.TrySendDisconnectAsync(_link, reason, _settings.DisconnectTimeout).ConfigureAwait(false);
        }

        ConnectionState final = SessionFrame.EndState(reason);
        Volatile.Write(ref _state, (int)final);
        _stop.Cancel();
        foreach (ProtocolSlot slot in _slots)
        {
            slot.Inbox.Complete();
        }

        _pull.Complete();
        _confirmed.TrySetResult(false);
        await _link.DisposeAsync().ConfigureAwait(false);
        _account?.Close(); // what the peer still holds (messages left unread) no longer counts against the node
        _completion.TrySetResult(disconnect);
    }

    /// <summary>
    /// Sends a ping or pong within <see cref="PeerNodeOptions.PingTimeout"/>. A peer that does not take it in time (it
    /// stopped reading, so its transport is full) is dropped with <see cref="DisconnectReason.ReadTimeout"/>, so that
    /// neither the read loop nor the keepalive can be held forever.
    /// </summary>
    /// <returns><c>false</c> when the session is over.</returns>
    private async ValueTask<bool> TrySendControlAsync<T>(int code, T message) where T : IMessage<T>
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        deadline.CancelAfter(_settings.PingTimeout);
        try
        {
            await SendBaseAsync(code, message, deadline.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            await CloseAsync(DisconnectReason.ReadTimeout, isRemote: false, sendDisconnect: false).ConfigureAwait(false);
            return false;
        }
        catch (Exception e) when (e is OperationCanceledException or PeerDisconnectedException or LinkException)
        {
            return false;
        }
    }

    private async ValueTask SendBaseAsync<T>(int code, T message, CancellationToken cancellationToken) where T : IMessage<T>
    {
        byte[] buffer = SessionFrame.Encode(code, in message, out int length);
        await SendRentedAsync(buffer, length, Reliability.ReliableOrdered, countAsMessage: false, code, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a frame encoded in a pooled buffer, which the link takes over (it sends from it: encoded once).</summary>
    private ValueTask SendRentedAsync(byte[] buffer, int length, Reliability reliability, bool countAsMessage, int code, CancellationToken cancellationToken)
    {
        ValueTask send;
        try
        {
            send = _link.SendPooledAsync(buffer, length, reliability, cancellationToken);
        }
        catch (LinkClosedException e)
        {
            return ValueTask.FromException(Translate(e));
        }

        if (send.IsCompletedSuccessfully)
        {
            send.GetAwaiter().GetResult();
            Sent(length, countAsMessage, code);
            return default;
        }

        return AwaitSend(send, length, countAsMessage, code);
    }

    private async ValueTask AwaitSend(ValueTask send, int length, bool countAsMessage, int code)
    {
        try
        {
            await send.ConfigureAwait(false);
        }
        catch (LinkClosedException e)
        {
            throw Translate(e);
        }

        Sent(length, countAsMessage, code);
    }

    private void Sent(int length, bool countAsMessage, int code)
    {
        Interlocked.Add(ref _bytesOut, length);
        if (countAsMessage)
        {
            Interlocked.Increment(ref _messagesOut);
            if (Diagnostics.PeerKitMetrics.MessagesEnabled)
            {
                Diagnostics.PeerKitMetrics.MessageSent(FindSlot(code)?.Descriptor, length);
            }

            if (_settings.MessageEvents is { } report)
            {
                ProtocolSlot? slot = FindSlot(code);
                report(PeerEventKind.MessageSent, this, slot?.Descriptor, code - (slot?.Offset ?? 0), length);
            }
        }
    }

    private PeerDisconnectedException Translate(LinkClosedException e)
    {
        PeerDisconnectedException error = DisconnectedError();
        return new PeerDisconnectedException(Id, error.Reason, error.IsRemote, e);
    }

    private async Task SendConfirmationAsync()
    {
        try
        {
            await SendBaseAsync(BaseProtocol.PingCode, new BaseProtocol.Ping(_confirmNonce), _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is PeerDisconnectedException or OperationCanceledException or LinkException)
        {
            _confirmed.TrySetResult(false);
        }
    }

    private async Task ReadLoopAsync()
    {
        DisconnectReason reason = DisconnectReason.NetworkError;
        bool isRemote = false;
        bool sendDisconnect = false;
        try
        {
            while (true)
            {
                LinkFrame frame = await _link.ReceiveAsync(_stop.Token).ConfigureAwait(false);
                Volatile.Write(ref _lastReceived, Stopwatch.GetTimestamp());
                Interlocked.Add(ref _bytesIn, frame.Length);
                if (!SessionFrame.TryReadCode(frame.Span, out int code, out int header))
                {
                    frame.Dispose();
                    (reason, sendDisconnect) = (DisconnectReason.BreachOfProtocol, true);
                    return;
                }

                if (code < BaseProtocol.FirstSubprotocolCode)
                {
                    BaseFrame action;
                    ulong nonce;
                    DisconnectReason remoteReason;
                    try
                    {
                        action = ReadBase(code, frame.Span[header..], out nonce, out remoteReason);
                    }
                    finally
                    {
                        frame.Dispose();
                    }

                    switch (action)
                    {
                        case BaseFrame.Ping:
                            // The first ping is the remote's confirmation: it admitted the session. List the peer
                            // before answering, so that the remote's connect returns only once this side lists it.
                            if (Interlocked.Exchange(ref _remoteConfirmed, 1) == 0 && !TryEstablish())
                            {
                                (reason, sendDisconnect) = (DisconnectReason.ClientQuitting, true);
                                return;
                            }

                            if (!await TrySendControlAsync(BaseProtocol.PongCode, new BaseProtocol.Pong(nonce)).ConfigureAwait(false))
                            {
                                return; // closed: the pong could not be sent within the ping timeout
                            }

                            continue;
                        case BaseFrame.Pong:
                            OnPong(nonce);
                            continue;
                        case BaseFrame.Disconnect:
                            (reason, isRemote, sendDisconnect) = (remoteReason, true, false);
                            return;
                        default:
                            (reason, sendDisconnect) = (DisconnectReason.BreachOfProtocol, true);
                            return;
                    }
                }

                ProtocolSlot? slot = FindSlot(code);
                if (slot is null)
                {
                    frame.Dispose();
                    (reason, sendDisconnect) = (DisconnectReason.BreachOfProtocol, true);
                    return;
                }

                Interlocked.Increment(ref _messagesIn);
                Diagnostics.PeerKitMetrics.MessageReceived(slot.Descriptor, frame.Length);
                var message = new ProtocolMessage(this, slot.Descriptor, code - slot.Offset, frame, header, Stopwatch.GetTimestamp());
                _settings.MessageEvents?.Invoke(PeerEventKind.MessageReceived, this, slot.Descriptor, message.Code, frame.Length);

                try
                {
                    await slot.Inbox.WriteAsync(message, _stop.Token).ConfigureAwait(false);
                }
                catch
                {
                    message.Dispose();
                    throw;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            return;
        }
        catch (ChannelClosedException)
        {
            return;
        }
        catch (LinkClosedException e)
        {
            // A frame that fails authentication or exceeds the frame limit is the peer's breach, not the network's.
            reason = e.Reason is LinkCloseReason.ProtocolError or LinkCloseReason.FrameTooLarge ? DisconnectReason.BreachOfProtocol : DisconnectReason.NetworkError;
            sendDisconnect = false;
        }
        catch (Exception e) when (e is LinkException)
        {
            (reason, sendDisconnect) = (DisconnectReason.BreachOfProtocol, false);
        }
        finally
        {
            if (!_stop.IsCancellationRequested)
            {
                await CloseAsync(reason, isRemote, sendDisconnect).ConfigureAwait(false);
            }
        }
    }

    private static BaseFrame ReadBase(int code, ReadOnlySpan<byte> payload, out ulong nonce, out DisconnectReason reason)
    {
        nonce = 0;
        reason = DisconnectReason.Requested;
        try
        {
            switch (code)
            {
                case BaseProtocol.PingCode:
                    nonce = MessageSerializer.Read<BaseProtocol.Ping>(payload).Nonce;
                    return BaseFrame.Ping;
                case BaseProtocol.PongCode:
                    nonce = MessageSerializer.Read<BaseProtocol.Pong>(payload).Nonce;
                    return BaseFrame.Pong;
                case BaseProtocol.DisconnectCode:
                    // An empty or undecodable disconnect still ends the session; devp2p treats it as "requested".
                    _ = MessageSerializer.TryRead(payload, out BaseProtocol.Disconnect disconnect);
                    reason = disconnect.Reason;
                    return BaseFrame.Disconnect;
                default:
                    // A second hello, or a reserved code.
                    return BaseFrame.Breach;
            }
        }
        catch (MessageFormatException)
        {
            return BaseFrame.Breach;
        }
    }

    private void OnPong(ulong nonce)
    {
        if (nonce == _confirmNonce)
        {
            bool established = TryEstablish();
            if (!established)
            {
                _ = CloseAsync(DisconnectReason.ClientQuitting, isRemote: false, sendDisconnect: true);
            }

            _confirmed.TrySetResult(established);
            return;
        }

        if (_pings.TryRemove(nonce, out PendingPing pending))
        {
            TimeSpan rtt = Stopwatch.GetElapsedTime(pending.SentAt);
            Volatile.Write(ref _rttTicks, rtt.Ticks);
            Diagnostics.PeerKitMetrics.Rtt(rtt);
            long srtt = Volatile.Read(ref _srttTicks);
            // RFC 6298: SRTT = 7/8 SRTT + 1/8 R (the first sample sets it).
            Volatile.Write(ref _srttTicks, srtt == 0 ? rtt.Ticks : srtt - (srtt >> 3) + (rtt.Ticks >> 3));
            pending.Result?.TrySetResult(rtt);
        }
    }

    private ProtocolSlot? FindSlot(int code)
    {
        foreach (ProtocolSlot slot in _slots)
        {
            if ((uint)(code - slot.Offset) < (uint)slot.Descriptor.Length)
            {
                return slot;
            }
        }

        return null;
    }

    private async Task RunProtocolAsync(ProtocolSlot slot)
    {
        DisconnectReason reason;
        try
        {
            await slot.Protocol.RunAsync(this, slot.ReadWriter, _stop.Token).ConfigureAwait(false);
            reason = DisconnectReason.SubprotocolError;
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            return;
        }
        catch (PeerDisconnectedException e) when (e.PeerId == Id)
        {
            return;
        }
        catch (Exception e) when (e is MessageFormatException or ProtocolBreachException)
        {
            reason = DisconnectReason.BreachOfProtocol;
        }
        catch (Exception e)
        {
            Error = e;
            reason = DisconnectReason.SubprotocolError;
        }

        await CloseAsync(reason, isRemote: false, sendDisconnect: true).ConfigureAwait(false);
    }

    private async Task KeepAliveAsync()
    {
        PeerSettings options = _settings;
        TimeSpan tick = options.PingInterval < options.IdleTimeout ? options.PingInterval : options.IdleTimeout / 2;
        using var timer = new PeriodicTimer(tick);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                TimeSpan silent = Stopwatch.GetElapsedTime(Volatile.Read(ref _lastReceived));
                if (silent >= options.IdleTimeout)
                {
                    await CloseAsync(DisconnectReason.ReadTimeout, isRemote: false, sendDisconnect: true).ConfigureAwait(false);
                    return;
                }

                // What a burst left in the session's queues goes back after a quiet tick (docs/udp.md, "Memory").
                _pull.TrimIdle();
                foreach (ProtocolSlot slot in _slots)
                {
                    slot.Inbox.TrimIdle();
                }

                // Keepalive: a ping whose pong updates the round-trip time.
                ulong nonce = Interlocked.Increment(ref _nextNonce);
                _pings[nonce] = new PendingPing(Stopwatch.GetTimestamp(), null);
                if (!await TrySendControlAsync(BaseProtocol.PingCode, new BaseProtocol.Ping(nonce)).ConfigureAwait(false))
                {
                    return;
                }

                // Forget keepalive pings that were never answered, so the table stays small.
                if (_pings.Count > 64)
                {
                    foreach (KeyValuePair<ulong, PendingPing> entry in _pings)
                    {
                        if (entry.Value.Result is null && Stopwatch.GetElapsedTime(entry.Value.SentAt) > options.IdleTimeout)
                        {
                            _pings.TryRemove(entry.Key, out _);
                        }
                    }
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or PeerDisconnectedException or LinkException)
        {
            // The session is ending; the read loop or CloseAsync reports why.
        }
    }

    private enum BaseFrame
    {
        Breach,
        Ping,
        Pong,
        Disconnect,
    }

    private readonly record struct PendingPing(long SentAt, TaskCompletionSource<TimeSpan>? Result);
}
