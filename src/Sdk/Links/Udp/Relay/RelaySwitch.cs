using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace PeerKit.Links.Udp;

/// <summary>
/// The forwarding side of a router's relay, attached to its <see cref="UdpEndpoint"/>
/// (<see cref="UdpEndpoint.StartRelaySwitch"/>): it binds pairs of clients (<see cref="Bind"/>) and forwards relay
/// datagrams between them, as a TURN server forwards ChannelData. The router's own links (signaling, rooms) share the
/// socket; relay datagrams are told apart by their first byte.
/// </summary>
/// <remarks>
/// <para><b>What it checks.</b> A relay datagram is forwarded only when its channel is bound and it comes from the
/// address bound to that channel; the header is rewritten to the other client's channel. Everything else is dropped
/// and counted (<see cref="GetStatistics"/>, <see cref="RelayBinding.GetCounters"/>): malformed headers, unknown
/// channels, known channels from another address (forged), and datagrams over a binding's
/// <see cref="RelayLimits"/>.</para>
/// <para><b>What it never does.</b> It never decrypts: the payload is the clients' own UDP link packet, sealed with
/// their Noise session keys, which the router does not hold. It allocates nothing per datagram: the receive thread
/// rewrites into one buffer of its own.</para>
/// </remarks>
public sealed class RelaySwitch
{
    private readonly ConcurrentDictionary<uint, RelayBinding> _byChannel = new();
    private readonly IDatagramTransport _socket;
    private readonly AddressFamily _family;
    private readonly byte[] _scratch = new byte[RelayWire.HeaderSize + UdpWire.MaxMtu + RelayWire.HeaderSize];
    private readonly int _maxSegments;
    private readonly byte[]? _batch;
    private SocketAddress? _batchTo;
    private int _batchLength;
    private int _batchSegment;
    private int _batchCount;
    private bool _batchClosed;
    private readonly Lock _bindLock = new();
    private int _bindings;
    private long _received;
    private long _relayed;
    private long _bytes;
    private long _malformed;
    private long _unknown;
    private long _forged;
    private long _rateLimited;
    private long _limitReached;

    internal RelaySwitch(IDatagramTransport socket, RelayLimits limits)
    {
        _socket = socket;
        _family = socket.LocalEndPoint.AddressFamily;
        Limits = limits;
        _maxSegments = socket.MaxSegments;
        _batch = _maxSegments > 1 ? new byte[Outbox.MaxBatchBytes] : null;
    }

    /// <summary>The limits every binding gets.</summary>
    public RelayLimits Limits { get; }

    /// <summary>Bindings now.</summary>
    public int BindingCount => Volatile.Read(ref _bindings);

    /// <summary>
    /// Binds two clients, each by the address the router observes for it (the source address of its session with the
    /// router), and allocates a channel for each: random, non-zero and unique on this switch.
    /// </summary>
    /// <param name="first">The first client's observed address.</param>
    /// <param name="second">The second client's observed address.</param>
    /// <returns>The binding; tell each client the router's address and its channel.</returns>
    /// <exception cref="RelayLimitException"><see cref="RelayLimits.MaxBindings"/> bindings exist
    /// (<see cref="RelayStatus.ResourceLimitExceeded"/>).</exception>
    /// <exception cref="ArgumentException">The two addresses are the same.</exception>
    public RelayBinding Bind(IPEndPoint first, IPEndPoint second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        SocketAddress a = Normalize(first);
        SocketAddress b = Normalize(second);
        if (a.Equals(b))
        {
            throw new ArgumentException("A binding joins two different client addresses.", nameof(second));
        }

        lock (_bindLock)
        {
            if (_bindings >= Limits.MaxBindings)
            {
                throw new RelayLimitException(RelayStatus.ResourceLimitExceeded, $"The relay holds {Limits.MaxBindings} bindings (RelayLimits.MaxBindings); unbind one or raise the limit.");
            }

            uint ca = NewChannel();
            uint cb;
            do
            {
                cb = NewChannel();
            }
            while (cb == ca);

            var binding = new RelayBinding(ca, a, cb, b, Limits, UdpClock.Now);
            _byChannel[ca] = binding;
            _byChannel[cb] = binding;
            _bindings++;
            return binding;
        }
    }

    /// <summary>Removes a binding: its channels forward nothing more. False when it was already removed.</summary>
    /// <param name="binding">The binding.</param>
    public bool Unbind(RelayBinding binding)
    {
        ArgumentNullException.ThrowIfNull(binding);
        lock (_bindLock)
        {
            if (!_byChannel.TryRemove(new KeyValuePair<uint, RelayBinding>(binding.FirstChannel, binding)))
            {
                return false;
            }

            _byChannel.TryRemove(new KeyValuePair<uint, RelayBinding>(binding.SecondChannel, binding));
            binding.MarkUnbound();
            _bindings--;
            return true;
        }
    }

    /// <summary>
    /// The client on <paramref name="channel"/> is now seen at <paramref name="address"/> (its NAT mapping changed
    /// and its session with the router followed it): forward from and to the new address.
    /// </summary>
    /// <returns>False when no binding has the channel.</returns>
    public bool Rebind(uint channel, IPEndPoint address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!_byChannel.TryGetValue(channel, out RelayBinding? binding))
        {
            return false;
        }

        binding.SetAddress(channel == binding.FirstChannel, Normalize(address));
        return true;
    }

    /// <summary>The binding that has <paramref name="channel"/>, if any.</summary>
    public RelayBinding? Find(uint channel) => _byChannel.TryGetValue(channel, out RelayBinding? b) ? b : null;

    /// <summary>The switch's counters: datagrams forwarded and dropped, by cause.</summary>
    public RelayStatistics GetStatistics() => new()
    {
        DatagramsReceived = Interlocked.Read(ref _received),
        DatagramsRelayed = Interlocked.Read(ref _relayed),
        BytesRelayed = Interlocked.Read(ref _bytes),
        DroppedMalformed = Interlocked.Read(ref _malformed),
        DroppedUnknownChannel = Interlocked.Read(ref _unknown),
        DroppedForged = Interlocked.Read(ref _forged),
        DroppedRateLimited = Interlocked.Read(ref _rateLimited),
        DroppedLimitReached = Interlocked.Read(ref _limitReached),
        Bindings = BindingCount,
    };

    /// <summary>A relay datagram arrived at the router (receive thread, one datagram at a time).</summary>
    internal void Forward(ReadOnlySpan<byte> datagram, SocketAddress source, long now)
    {
        Interlocked.Increment(ref _received);
        if (RelayWire.IsOpenNotice(datagram, out uint opened))
        {
            OnOpenNotice(opened, source);
            return;
        }

        if (!RelayWire.TryRead(datagram, out uint channel) || datagram.Length > _scratch.Length)
        {
            Interlocked.Increment(ref _malformed);
            return;
        }

        if (!_byChannel.TryGetValue(channel, out RelayBinding? binding))
        {
            Interlocked.Increment(ref _unknown);
            return;
        }

        bool fromFirst = channel == binding.FirstChannel;
        if (!source.Equals(fromFirst ? binding.FirstAddress : binding.SecondAddress))
        {
            binding.CountForged();
            Interlocked.Increment(ref _forged);
            return;
        }

        // A client that sends reads its channel: what it was sent before reached it (it answers) or comes again.
        binding.OnHeard(fromFirst);
        switch (binding.Admit(fromFirst, datagram.Length, now))
        {
            case RelayStatus.Active:
                break;
            case RelayStatus.RateLimited:
                Interlocked.Increment(ref _rateLimited);
                return;
            case RelayStatus.ResourceLimitExceeded:
                Interlocked.Increment(ref _limitReached);
                return;
            default:
                Interlocked.Increment(ref _unknown);
                return;
        }

        Interlocked.Increment(ref _relayed);
        Interlocked.Add(ref _bytes, datagram.Length);
        uint outChannel = fromFirst ? binding.SecondChannel : binding.FirstChannel;
        SocketAddress to = fromFirst ? binding.SecondAddress : binding.FirstAddress;
        if (_batch is null || datagram.Length > _batch.Length)
        {
            FlushBatch(); // keeps the order of what goes to one client
            Span<byte> outgoing = _scratch.AsSpan(0, datagram.Length);
            RelayWire.WriteHeader(outgoing, outChannel);
            datagram[RelayWire.HeaderSize..].CopyTo(outgoing[RelayWire.HeaderSize..]);
            binding.HoldIfUnheard(!fromFirst, outgoing);
            _socket.Send(outgoing, to);
            return;
        }

        // Where the socket sends runs of equal-size datagrams in one call (UDP GSO), the datagrams of one receive run
        // that go to the same client join one batch, sent when the run ends (FlushBatch) or the batch cannot grow.
        int size = datagram.Length;
        if (_batchCount > 0 && (_batchClosed || size > _batchSegment || _batchCount >= _maxSegments
            || _batchLength + size > _batch.Length || !(ReferenceEquals(to, _batchTo) || to.Equals(_batchTo))))
        {
            FlushBatch();
        }

        if (_batchCount == 0)
        {
            _batchTo = to;
            _batchSegment = size;
        }

        Span<byte> slot = _batch.AsSpan(_batchLength, size);
        RelayWire.WriteHeader(slot, outChannel);
        datagram[RelayWire.HeaderSize..].CopyTo(slot[RelayWire.HeaderSize..]);
        binding.HoldIfUnheard(!fromFirst, slot);
        _batchLength += size;
        _batchCount++;
        _batchClosed = size < _batchSegment;
    }

    /// <summary>
    /// A client opened its channel (<see cref="RelayWire.WriteOpenNotice"/>): if the other client's datagram reached it
    /// before (dropped there: a handshake Init that overtook the signaling), it goes again now rather than after the
    /// handshake's retransmission interval. Not forwarded; from an address not bound to the channel, counted as forged.
    /// </summary>
    private void OnOpenNotice(uint channel, SocketAddress source)
    {
        if (!_byChannel.TryGetValue(channel, out RelayBinding? binding))
        {
            Interlocked.Increment(ref _unknown);
            return;
        }

        bool first = channel == binding.FirstChannel;
        if (!source.Equals(first ? binding.FirstAddress : binding.SecondAddress))
        {
            binding.CountForged();
            Interlocked.Increment(ref _forged);
            return;
        }

        ReadOnlySpan<byte> missed = binding.OnHeard(first);
        if (!missed.IsEmpty)
        {
            FlushBatch();
            _socket.Send(missed, source);
        }
    }

    /// <summary>Sends the datagrams batched during a receive run (receive thread, at the end of the run).</summary>
    internal void FlushBatch()
    {
        if (_batchCount == 0)
        {
            return;
        }

        try
        {
            if (_batchCount == 1)
            {
                _socket.Send(_batch.AsSpan(0, _batchLength), _batchTo!);
            }
            else
            {
                _socket.SendSegments(_batch.AsSpan(0, _batchLength), _batchSegment, _batchTo!);
            }
        }
        finally
        {
            _batchCount = 0;
            _batchLength = 0;
            _batchClosed = false;
            _batchTo = null;
        }
    }

    private SocketAddress Normalize(IPEndPoint address)
    {
        if (_family == AddressFamily.InterNetworkV6 && address.AddressFamily == AddressFamily.InterNetwork)
        {
            address = new IPEndPoint(address.Address.MapToIPv6(), address.Port);
        }

        return address.Serialize();
    }

    private uint NewChannel()
    {
        while (true)
        {
            uint channel = (uint)Random.Shared.NextInt64(1, uint.MaxValue);
            if (!_byChannel.ContainsKey(channel))
            {
                return channel;
            }
        }
    }
}
