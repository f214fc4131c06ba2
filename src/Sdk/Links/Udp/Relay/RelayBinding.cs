using System.Net;

namespace PeerKit.Links.Udp;

/// <summary>
/// A relayed session on a router's <see cref="RelaySwitch"/>: two clients, each known by the address the router
/// observes for it and by its own channel. A relay datagram from the first client's address on
/// <see cref="FirstChannel"/> goes to the second client's address with <see cref="SecondChannel"/> in its header, and
/// back. The router forwards the clients' encrypted packets as they are: it holds no key and reads nothing but the
/// 5-byte header.
/// </summary>
/// <remarks>Tell each client its own channel and the router's address: the first dials or accepts with
/// <see cref="UdpEndpoint.ConnectViaRelayAsync"/> / <see cref="UdpEndpoint.OpenRelayChannel"/> on
/// <see cref="FirstChannel"/>, the second on <see cref="SecondChannel"/>.</remarks>
public sealed class RelayBinding
{
    private readonly RelayLimits _limits;
    private SocketAddress _first;
    private SocketAddress _second;
    private RelayRate _rate;
    private long _bytesFromFirst;
    private long _bytesFromSecond;
    private long _datagrams;
    private long _droppedRate;
    private long _droppedLimit;
    private long _droppedForged;
    private long _lastRateDrop; // valid once _droppedRate > 0
    private volatile bool _unbound;
    private bool _firstHeard; // the switch's receive thread only: a datagram or open notice came from that side
    private bool _secondHeard;
    private byte[]? _held; // the last datagram forwarded to a side not heard from yet, as sent (receive thread only)
    private int _heldLength;
    private bool _heldForFirst;

    internal RelayBinding(uint firstChannel, SocketAddress first, uint secondChannel, SocketAddress second, RelayLimits limits, long now)
    {
        FirstChannel = firstChannel;
        SecondChannel = secondChannel;
        _first = first;
        _second = second;
        _limits = limits;
        _rate = new RelayRate(limits.BurstBytes, now);
    }

    /// <summary>The first client's channel: the number in the headers it sends and receives.</summary>
    public uint FirstChannel { get; }

    /// <summary>The second client's channel.</summary>
    public uint SecondChannel { get; }

    /// <summary>The first client's address as the router observes it (its server-reflexive address).</summary>
    public IPEndPoint First => UdpEndpoint.ToEndPoint(Volatile.Read(ref _first));

    /// <summary>The second client's address as the router observes it.</summary>
    public IPEndPoint Second => UdpEndpoint.ToEndPoint(Volatile.Read(ref _second));

    /// <summary>The binding's counters and status now.</summary>
    public RelayBindingCounters GetCounters()
    {
        long from1 = Interlocked.Read(ref _bytesFromFirst);
        long from2 = Interlocked.Read(ref _bytesFromSecond);
        return new RelayBindingCounters
        {
            BytesFromFirst = from1,
            BytesFromSecond = from2,
            BytesRelayed = from1 + from2,
            DatagramsRelayed = Interlocked.Read(ref _datagrams),
            DroppedRateLimited = Interlocked.Read(ref _droppedRate),
            DroppedLimitReached = Interlocked.Read(ref _droppedLimit),
            DroppedForged = Interlocked.Read(ref _droppedForged),
            Status = StatusAt(UdpClock.Now),
        };
    }

    /// <summary>
    /// The status at <paramref name="now"/> (µs): the total reached once a datagram was refused for it (it stays
    /// reached), rate limited while a datagram was dropped for the rate in the last second.
    /// </summary>
    internal RelayStatus StatusAt(long now) =>
        _unbound ? RelayStatus.Unbound
        : Interlocked.Read(ref _droppedLimit) > 0 ? RelayStatus.ResourceLimitExceeded
        : Interlocked.Read(ref _droppedRate) > 0 && now - Interlocked.Read(ref _lastRateDrop) < 1_000_000 ? RelayStatus.RateLimited
        : RelayStatus.Active;

    internal SocketAddress FirstAddress => Volatile.Read(ref _first);

    internal SocketAddress SecondAddress => Volatile.Read(ref _second);

    internal bool IsUnbound => _unbound;

    internal void MarkUnbound() => _unbound = true;

    internal void SetAddress(bool first, SocketAddress address)
    {
        if (first)
        {
            Volatile.Write(ref _first, address);
        }
        else
        {
            Volatile.Write(ref _second, address);
        }
    }

    /// <summary>
    /// A datagram or an open notice came from one side: it reads its channel from now on. Returns the datagram
    /// forwarded to that side before (which it dropped if its channel was not open yet), or an empty span.
    /// </summary>
    internal ReadOnlySpan<byte> OnHeard(bool first)
    {
        if (first ? _firstHeard : _secondHeard)
        {
            return default;
        }

        if (first)
        {
            _firstHeard = true;
        }
        else
        {
            _secondHeard = true;
        }

        if (_held is not { } held || _heldForFirst != first)
        {
            return default;
        }

        _held = null;
        return held.AsSpan(0, _heldLength);
    }

    /// <summary>
    /// Keeps a copy of <paramref name="outgoing"/>, forwarded to a side not heard from yet: it may arrive before that
    /// client opened its channel. One datagram at most (the latest: a handshake Init, or its retransmission), and
    /// nothing once the side was heard from.
    /// </summary>
    internal void HoldIfUnheard(bool toFirst, ReadOnlySpan<byte> outgoing)
    {
        if (toFirst ? _firstHeard : _secondHeard)
        {
            return;
        }

        if (_held is null || _held.Length < outgoing.Length)
        {
            _held = new byte[Math.Max(outgoing.Length, 256)];
        }

        outgoing.CopyTo(_held);
        _heldLength = outgoing.Length;
        _heldForFirst = toFirst;
    }

    internal void CountForged() => Interlocked.Increment(ref _droppedForged);

    /// <summary>
    /// Whether a datagram of <paramref name="size"/> bytes may be forwarded at <paramref name="now"/>; counts it as
    /// relayed or dropped. Called by the switch on the receive thread only.
    /// </summary>
    internal RelayStatus Admit(bool fromFirst, int size, long now)
    {
        if (_unbound)
        {
            return RelayStatus.Unbound;
        }

        long total = Interlocked.Read(ref _bytesFromFirst) + Interlocked.Read(ref _bytesFromSecond);
        if (total + size > _limits.MaxBytesPerBinding)
        {
            Interlocked.Increment(ref _droppedLimit);
            return RelayStatus.ResourceLimitExceeded;
        }

        if (!_rate.TryTake(size, now, _limits.MaxBytesPerSecond, _limits.BurstBytes))
        {
            Interlocked.Increment(ref _droppedRate);
            Interlocked.Exchange(ref _lastRateDrop, now);
            return RelayStatus.RateLimited;
        }

        if (fromFirst)
        {
            Interlocked.Add(ref _bytesFromFirst, size);
        }
        else
        {
            Interlocked.Add(ref _bytesFromSecond, size);
        }

        Interlocked.Increment(ref _datagrams);
        return RelayStatus.Active;
    }
}
