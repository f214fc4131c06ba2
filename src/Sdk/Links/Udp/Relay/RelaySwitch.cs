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

        Span<byte> outgoing = _scratch.AsSpan(0, datagram.Length);
        RelayWire.WriteHeader(outgoing, fromFirst ? binding.SecondChannel : binding.FirstChannel);
        datagram[RelayWire.HeaderSize..].CopyTo(outgoing[RelayWire.HeaderSize..]);
        _socket.Send(outgoing, fromFirst ? binding.SecondAddress : binding.FirstAddress);
        Interlocked.Increment(ref _relayed);
        Interlocked.Add(ref _bytes, datagram.Length);
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
