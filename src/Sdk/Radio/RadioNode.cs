using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace PeerKit;

/// <summary>
/// Crazyflie P2P on a <see cref="Radio"/>, in the shape its users know: <see cref="SendBroadcast"/>
/// (<c>radiolinkSendP2PPacketBroadcast</c>), one callback slot that a new registration replaces
/// (<see cref="RegisterCallback"/>, <c>p2pRegisterCB</c>), and beside it a bounded channel reader
/// (<see cref="Packets"/>). Beyond the firmware: addressed sends with acknowledgements, retries and duplicate
/// suppression (<see cref="SendAsync"/>), and typed messages on a protocol port (<see cref="UseProtocol"/>).
/// </summary>
/// <remarks>
/// A dedicated thread receives. Per packet it calls the callback (an exception is counted, never stops it), then
/// offers the packet to <see cref="Packets"/>; when that queue is full the packet is dropped and counted
/// (<see cref="DroppedPackets"/>). Receiving allocates nothing per packet. See docs/radio.md.
/// </remarks>
/// <example>
/// <code>
/// using var node = RadioNode.Open(medium.OpenRadio(1));
/// node.RegisterCallback((in P2PPacket p) => Console.WriteLine($"{p.Size} bytes, rssi {p.Rssi}"));
/// node.SendBroadcast(0, "Hello World"u8);
/// </code>
/// </example>
public sealed class RadioNode : IDisposable
{
    /// <summary>Most data bytes of one P2P packet, as the firmware's <c>P2P_MAX_DATA_SIZE</c>.</summary>
    public const int P2PMaxDataSize = 60;

    /// <summary>Most data bytes of one addressed packet: 60 minus the 4-byte unicast header.</summary>
    public const int AddressedMaxDataSize = P2PMaxDataSize - UnicastHeaderSize;

    /// <summary>The node id that means every node.</summary>
    public const byte BroadcastNodeId = 255;

    internal const int UnicastHeaderSize = 4;
    private const int KindData = 1;
    private const int KindAck = 2;
    private const int ReceivePollMilliseconds = 50;

    private readonly Radio _radio;
    private readonly RadioNodeOptions _options;
    private readonly Channel<P2PPacket>? _packets;
    private readonly Thread _thread;
    private readonly RadioProtocol?[] _protocols = new RadioProtocol?[16];
    private readonly Lock _unicastLock = new();
    private readonly Dictionary<byte, Outgoing> _outgoing = [];
    private readonly short[] _lastSequenceFrom = new short[256];
    private volatile bool _stopping;
    private P2PCallback? _callback;
    private long _dropped;
    private long _callbackFailures;
    private long _foreignFrames;
    private long _duplicates;
    private long _malformed;
    private Exception? _lastCallbackException;
    private RadioException? _receiveError;

    private RadioNode(Radio radio, RadioNodeOptions options, bool startThread)
    {
        _radio = radio;
        _options = options;
        if (options.UnicastPort is < -1 or > 15)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.UnicastPort, "UnicastPort is 0 to 15, or -1 for none.");
        }

        if (options.NodeId is < -1 or > 254)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.NodeId, "NodeId is 0 to 254, or -1 for the radio's id.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(options.QueueBytes);
        NodeId = options.NodeId >= 0 ? options.NodeId : radio.Id <= 254 ? (int)radio.Id : -1;
        Array.Fill(_lastSequenceFrom, (short)-1);
        int capacity = options.QueueBytes / Unsafe.SizeOf<P2PPacket>();
        if (capacity > 0)
        {
            _packets = Channel.CreateBounded<P2PPacket>(new BoundedChannelOptions(capacity)
            {
                FullMode = BoundedChannelFullMode.Wait, // TryWrite fails instead of waiting: the drop is counted
                SingleWriter = true,
                SingleReader = false,
            });
        }

        _thread = new Thread(ReceiveLoop) { IsBackground = true, Name = $"PeerKit radio {radio.Id}" };
        if (startThread)
        {
            _thread.Start();
        }
    }

    /// <summary>This node's id for addressed sends, or -1 when it has none.</summary>
    public int NodeId { get; }

    /// <summary>The radio underneath.</summary>
    public Radio Radio => _radio;

    /// <summary>
    /// Every received packet that no typed protocol took, in arrival order, through a queue bounded by
    /// <see cref="RadioNodeOptions.QueueBytes"/>. Completes when the node is disposed, and with the
    /// <see cref="RadioException"/> (<see cref="ReceiveError"/>) when receiving stops for good: the dongle was unplugged
    /// (<see cref="RadioError.NoDevice"/>) or the radio closed under the node.
    /// </summary>
    public ChannelReader<P2PPacket> Packets => _packets?.Reader ?? EmptyReader.Instance;

    /// <summary>Packets dropped because <see cref="Packets"/> was full.</summary>
    public long DroppedPackets => Interlocked.Read(ref _dropped);

    /// <summary>Calls of the callback that threw.</summary>
    public long CallbackFailures => Interlocked.Read(ref _callbackFailures);

    /// <summary>The last exception the callback threw, if any.</summary>
    public Exception? LastCallbackException => Volatile.Read(ref _lastCallbackException);

    /// <summary>Frames on the channel that are not P2P (they fail the firmware's acceptance rule) and were ignored.</summary>
    public long ForeignFrames => Interlocked.Read(ref _foreignFrames);

    /// <summary>Addressed packets that arrived again (a lost acknowledgement) and were not delivered twice.</summary>
    public long DuplicatesSuppressed => Interlocked.Read(ref _duplicates);

    /// <summary>Unicast-layer frames too short or of an unknown kind, ignored.</summary>
    public long MalformedFrames => Interlocked.Read(ref _malformed);

    /// <summary>The error that stopped receiving (a dongle unplugged, a radio that cannot receive), if any.</summary>
    public RadioException? ReceiveError => Volatile.Read(ref _receiveError);

    /// <summary>Starts P2P on <paramref name="radio"/>; the node owns the radio and closes it when disposed.</summary>
    /// <param name="radio">A simulated radio or a Crazyradio.</param>
    /// <param name="options">The node's settings, or <see langword="null"/> for the defaults.</param>
    public static RadioNode Open(Radio radio, RadioNodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(radio);
        return new RadioNode(radio, options ?? new RadioNodeOptions(), startThread: true);
    }

    /// <summary>A node whose receive loop does not run: tests and benchmarks feed <see cref="Process"/> by hand.</summary>
    internal static RadioNode OpenWithoutReceiveLoop(Radio radio, RadioNodeOptions? options = null) =>
        new(radio, options ?? new RadioNodeOptions(), startThread: false);

    /// <summary>
    /// Registers the callback, replacing the previous one (the firmware's <c>p2pRegisterCB</c>); <see langword="null"/>
    /// unregisters it. It runs on the receive thread: return quickly.
    /// </summary>
    public void RegisterCallback(P2PCallback? callback) => Volatile.Write(ref _callback, callback);

    /// <summary>Sends one P2P packet to every radio in range (<c>radiolinkSendP2PPacketBroadcast</c>).</summary>
    /// <param name="port">The P2P port, 0 to 15 (the unicast port excepted).</param>
    /// <param name="data">At most <see cref="P2PMaxDataSize"/> bytes (30 on a Crazyradio PA).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is not 0 to 15.</exception>
    /// <exception cref="ArgumentException"><paramref name="port"/> carries the unicast layer.</exception>
    /// <exception cref="RadioException"><see cref="RadioError.TooLarge"/> above 60 bytes (or the radio's own limit).</exception>
    public void SendBroadcast(int port, ReadOnlySpan<byte> data)
    {
        if ((uint)port > 15)
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, "A P2P port is 0 to 15 (4 bits on the air).");
        }

        if (port == _options.UnicastPort)
        {
            throw new ArgumentException($"Port {port} carries the acknowledged unicast layer: pick another port, or set RadioNodeOptions.UnicastPort = -1.", nameof(port));
        }

        SendRaw(port, data);
    }

    /// <summary>
    /// Sends data to one node and waits for its acknowledgement, repeating until one arrives
    /// (<see cref="RadioNodeOptions.MaxRetries"/>); the receiver delivers it once even when an acknowledgement is lost.
    /// Sends to one node go one at a time, in order.
    /// </summary>
    /// <param name="node">The receiver's <see cref="NodeId"/> (0 to 254).</param>
    /// <param name="port">The P2P port the receiver sees, 0 to 15.</param>
    /// <param name="data">At most <see cref="AddressedMaxDataSize"/> bytes.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="RadioException"><see cref="RadioError.NotAcknowledged"/> after every retry; <see cref="RadioError.TooLarge"/>.</exception>
    /// <exception cref="InvalidOperationException">This node has no id, or the unicast layer is off.</exception>
    public async Task SendAsync(byte node, int port, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if ((uint)port > 15)
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, "A P2P port is 0 to 15.");
        }

        if (data.Length > AddressedMaxDataSize)
        {
            throw new RadioException(RadioError.TooLarge, $"An addressed packet carries at most {AddressedMaxDataSize} data bytes (60 minus the 4-byte unicast header); this one has {data.Length}.");
        }

        if (node == BroadcastNodeId)
        {
            throw new ArgumentOutOfRangeException(nameof(node), node, "Addressed sends go to one node (0 to 254); use SendBroadcast for everyone.");
        }

        if (_options.UnicastPort < 0 || NodeId < 0)
        {
            throw new InvalidOperationException(_options.UnicastPort < 0
                ? "The unicast layer is off (RadioNodeOptions.UnicastPort = -1)."
                : "This node has no id: set RadioNodeOptions.NodeId (0 to 254).");
        }

        ObjectDisposedException.ThrowIf(_stopping, this);
        Outgoing outgoing;
        lock (_unicastLock)
        {
            if (!_outgoing.TryGetValue(node, out outgoing!))
            {
                outgoing = new Outgoing((byte)Random.Shared.Next(256));
                _outgoing.Add(node, outgoing);
            }
        }

        await outgoing.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var acknowledged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            byte sequence;
            lock (_unicastLock)
            {
                sequence = outgoing.NextSequence++;
                outgoing.Waiting = acknowledged;
                outgoing.WaitingSequence = sequence;
            }

            byte[] frame = new byte[UnicastHeaderSize + data.Length];
            frame[0] = (byte)((KindData << 4) | port);
            frame[1] = (byte)NodeId;
            frame[2] = node;
            frame[3] = sequence;
            data.Span.CopyTo(frame.AsSpan(UnicastHeaderSize));
            for (int attempt = 0; attempt <= _options.MaxRetries; attempt++)
            {
                ObjectDisposedException.ThrowIf(_stopping, this);
                SendRaw(_options.UnicastPort, frame);
                try
                {
                    await acknowledged.Task.WaitAsync(_options.AckTimeout, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (TimeoutException)
                {
                }
            }

            throw new RadioException(RadioError.NotAcknowledged,
                $"Node {node} did not acknowledge after {_options.MaxRetries + 1} attempts {_options.AckTimeout.TotalMilliseconds} ms apart: it is out of range, off, or on another channel.");
        }
        finally
        {
            lock (_unicastLock)
            {
                outgoing.Waiting = null;
            }

            outgoing.Gate.Release();
        }
    }

    /// <summary>
    /// Binds a protocol to its port on this node: its messages travel as <c>[code][payload]</c> in the P2P data, and
    /// arrive at the handlers registered with <see cref="RadioProtocol.On{T}"/>. Packets on that port no longer reach
    /// the callback or <see cref="Packets"/>.
    /// </summary>
    /// <param name="descriptor">A protocol with a port: <c>[Protocol("name", Port = n)]</c> (0 to 15, not the unicast port).</param>
    /// <exception cref="ArgumentException">The protocol has no port, uses the unicast port, has more than 256 codes, or the port is taken.</exception>
    /// <exception cref="RadioException">
    /// <see cref="RadioError.TooLarge"/>: a message's MaxSize exceeds 59 bytes (55 when the protocol is
    /// <see cref="ProtocolDescriptor.Acknowledged"/>); <see cref="RadioError.Unsupported"/>: a reliable message on a
    /// protocol that is not acknowledged, or an acknowledged protocol while the acknowledged unicast layer is off.
    /// </exception>
    public RadioProtocol UseProtocol(ProtocolDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        return Bind(descriptor, null);
    }

    /// <summary>
    /// Binds a generated protocol to its port, like <see cref="UseProtocol(ProtocolDescriptor)"/>, with its
    /// <see cref="HandlerAttribute">[Handler]</see> methods that take a <see cref="RadioSender"/>: each received message
    /// goes to the handler registered with <see cref="RadioProtocol.On{T}"/> if there is one, else to the generated
    /// dispatch.
    /// </summary>
    /// <param name="protocol">An instance of the protocol class (its instance handlers run on it).</param>
    /// <exception cref="ArgumentException">As <see cref="UseProtocol(ProtocolDescriptor)"/>.</exception>
    /// <exception cref="RadioException">As <see cref="UseProtocol(ProtocolDescriptor)"/>.</exception>
    public RadioProtocol UseProtocol<TProtocol>(TProtocol protocol) where TProtocol : IProtocol, IRadioProtocolHandlers
    {
        ArgumentNullException.ThrowIfNull(protocol);
        return Bind(protocol.Descriptor, protocol);
    }

    private RadioProtocol Bind(ProtocolDescriptor descriptor, IRadioProtocolHandlers? generated)
    {
        var protocol = new RadioProtocol(this, descriptor, _options.UnicastPort, generated);
        lock (_protocols)
        {
            if (_protocols[descriptor.Port] is { } taken)
            {
                throw new ArgumentException($"Port {descriptor.Port} already carries protocol {taken.Descriptor}.", nameof(descriptor));
            }

            Volatile.Write(ref _protocols[descriptor.Port], protocol);
        }

        return protocol;
    }

    /// <summary>Stops receiving, completes <see cref="Packets"/>, fails pending addressed sends and closes the radio.</summary>
    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        if (_thread.IsAlive && Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }

        _packets?.Writer.TryComplete();
        lock (_unicastLock)
        {
            foreach (Outgoing outgoing in _outgoing.Values)
            {
                outgoing.Waiting?.TrySetException(new ObjectDisposedException(nameof(RadioNode)));
            }
        }

        _radio.Dispose();
    }

    /// <summary>Handles one received frame: the receive loop's body. Allocates nothing for a broadcast packet.</summary>
    internal unsafe void Process(in NativeRadioFrame frame)
    {
        fixed (byte* bytes = frame.Data)
        {
            var span = new ReadOnlySpan<byte>(bytes, Math.Min((int)frame.Length, 64));
            if (!P2PFrame.IsP2P(span))
            {
                Interlocked.Increment(ref _foreignFrames);
                return;
            }

            int port = span[1] & 0x0F;
            ReadOnlySpan<byte> data = span[P2PFrame.HeaderSize..];
            if (data.Length > P2PMaxDataSize)
            {
                Interlocked.Increment(ref _foreignFrames);
                return;
            }

            if (port == _options.UnicastPort)
            {
                ProcessUnicast(data, frame.RssiDbm, (long)frame.TimestampMicroseconds);
                return;
            }

            Deliver(new P2PPacket(port, data, frame.RssiDbm, frame.Sender, addressed: false, (long)frame.TimestampMicroseconds));
        }
    }

    internal void SendRaw(int port, ReadOnlySpan<byte> data)
    {
        if (data.Length > P2PMaxDataSize)
        {
            throw new RadioException(RadioError.TooLarge, $"A P2P packet carries at most {P2PMaxDataSize} data bytes (P2P_MAX_DATA_SIZE); this one has {data.Length}.");
        }

        Span<byte> frame = stackalloc byte[P2PFrame.HeaderSize + P2PMaxDataSize];
        P2PFrame.WriteHeader(frame, port);
        data.CopyTo(frame[P2PFrame.HeaderSize..]);
        _radio.Send(frame[..(P2PFrame.HeaderSize + data.Length)]);
    }

    private void ProcessUnicast(ReadOnlySpan<byte> data, int rssiDbm, long timestamp)
    {
        int kind = data.Length >= UnicastHeaderSize ? data[0] >> 4 : 0;
        if (kind is not (KindData or KindAck))
        {
            Interlocked.Increment(ref _malformed);
            return;
        }

        int port = data[0] & 0x0F;
        byte source = data[1], target = data[2], sequence = data[3];
        if (NodeId < 0 || target != NodeId)
        {
            return; // for another node
        }

        if (kind == KindAck)
        {
            lock (_unicastLock)
            {
                if (_outgoing.TryGetValue(source, out Outgoing? outgoing) && outgoing.Waiting is { } waiting && outgoing.WaitingSequence == sequence)
                {
                    waiting.TrySetResult();
                }
            }

            return;
        }

        // Acknowledge every copy (the previous acknowledgement may be the one that was lost), deliver the first.
        Span<byte> ack = stackalloc byte[UnicastHeaderSize];
        ack[0] = (byte)((KindAck << 4) | port);
        ack[1] = (byte)NodeId;
        ack[2] = source;
        ack[3] = sequence;
        try
        {
            SendRaw(_options.UnicastPort, ack);
        }
        catch (RadioException)
        {
            // The sender retries; the acknowledgement goes with the next copy.
        }

        if (_lastSequenceFrom[source] == sequence)
        {
            Interlocked.Increment(ref _duplicates);
            return;
        }

        _lastSequenceFrom[source] = sequence;
        Deliver(new P2PPacket(port, data[UnicastHeaderSize..], rssiDbm, source, addressed: true, timestamp));
    }

    private void Deliver(in P2PPacket packet)
    {
        if (Volatile.Read(ref _protocols[packet.Port]) is { } protocol)
        {
            protocol.Dispatch(in packet);
            return;
        }

        if (Volatile.Read(ref _callback) is { } callback)
        {
            try
            {
                callback(in packet);
            }
            catch (Exception e)
            {
                // The firmware's rule, kept: the radio task goes on whatever the callback does.
                Interlocked.Increment(ref _callbackFailures);
                Volatile.Write(ref _lastCallbackException, e);
            }
        }

        if (_packets is not null && !_packets.Writer.TryWrite(packet))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    private unsafe void ReceiveLoop()
    {
        NativeRadioFrame frame;
        while (!_stopping)
        {
            try
            {
                if (!_radio.TryReceive(&frame, ReceivePollMilliseconds))
                {
                    continue;
                }
            }
            catch (RadioException e)
            {
                Volatile.Write(ref _receiveError, e);
                if (e.Error is RadioError.Unsupported or RadioError.NoDevice)
                {
                    StopReceiving(e);
                    return;
                }

                Thread.Sleep(ReceivePollMilliseconds);
                continue;
            }
            catch (ObjectDisposedException e)
            {
                // The radio was closed under the node (it owns it): as good as unplugged.
                var closed = new RadioException(RadioError.NoDevice, $"The radio was closed while node {NodeId} was receiving: {e.Message}");
                Volatile.Write(ref _receiveError, closed);
                StopReceiving(closed);
                return;
            }

            try
            {
                Process(in frame); // an addressed packet is acknowledged from here: a send on the radio
            }
            catch (ObjectDisposedException e)
            {
                var closed = new RadioException(RadioError.NoDevice, $"The radio was closed while node {NodeId} was receiving: {e.Message}");
                Volatile.Write(ref _receiveError, closed);
                StopReceiving(closed);
                return;
            }
        }
    }

    /// <summary>
    /// Receiving stopped for good (the dongle is gone): readers of <see cref="Packets"/> see the error instead of
    /// waiting for packets that cannot come.
    /// </summary>
    private void StopReceiving(RadioException error) => _packets?.Writer.TryComplete(error);

    private sealed class Outgoing(byte firstSequence)
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public byte NextSequence { get; set; } = firstSequence;

        public TaskCompletionSource? Waiting { get; set; }

        public byte WaitingSequence { get; set; }
    }

    private sealed class EmptyReader : ChannelReader<P2PPacket>
    {
        public static readonly EmptyReader Instance = new();

        public override Task Completion => Task.CompletedTask;

        public override bool TryRead(out P2PPacket item)
        {
            item = default;
            return false;
        }

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => new(false);
    }
}
