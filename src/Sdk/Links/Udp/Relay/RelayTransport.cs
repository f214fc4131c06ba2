using System.Buffers;
using System.Collections.Concurrent;
using System.Net;

namespace PeerKit.Links.Udp;

/// <summary>
/// The endpoint's socket seen through its relay channels (a decorator of <see cref="IDatagramTransport"/>). A datagram
/// sent to a relay path's address (<see cref="RelayChannel.Address"/>) goes to the router with the channel's header;
/// a relay datagram from a router is unwrapped and handed on as coming from the relay path's address; on a router,
/// relay datagrams go to the <see cref="RelaySwitch"/>. Everything else passes through untouched, so the endpoint and
/// its links treat a relay path as one more address.
/// </summary>
internal sealed class RelayTransport : IDatagramTransport
{
    private readonly IDatagramTransport _inner;
    private readonly ConcurrentDictionary<uint, RelayChannel> _byChannel = new();
    private readonly ConcurrentDictionary<SocketAddress, RelayChannel> _byAddress = new();
    private DatagramHandler _handler = null!;
    private RelaySwitch? _switch;
    private long _received;
    private long _relayed;
    private long _bytes;
    private long _malformed;
    private long _unknown;
    private long _forged;

    public RelayTransport(IDatagramTransport inner)
    {
        _inner = inner;
    }

    /// <summary>The socket (or simulated network) underneath.</summary>
    public IDatagramTransport Inner => _inner;

    public IPEndPoint LocalEndPoint => _inner.LocalEndPoint;

    public int MaxSegments => _inner.MaxSegments;

    public long SegmentedSends => _inner.SegmentedSends;

    public RelaySwitch? Switch => Volatile.Read(ref _switch);

    public int ChannelCount => _byChannel.Count;

    /// <summary>Attaches a switch: from now on relay datagrams are forwarded, not unwrapped.</summary>
    public RelaySwitch StartSwitch(RelayLimits limits)
    {
        var created = new RelaySwitch(_inner, limits);
        return Interlocked.CompareExchange(ref _switch, created, null) ?? created;
    }

    public RelayChannel Open(IPEndPoint router, SocketAddress routerAddress, uint channel)
    {
        var created = new RelayChannel(router, routerAddress, channel);
        RelayChannel existing = _byChannel.GetOrAdd(channel, created);
        if (!ReferenceEquals(existing, created))
        {
            if (!existing.RouterAddress.Equals(routerAddress))
            {
                throw new InvalidOperationException($"Relay channel {channel} is already open with router {existing.Router}.");
            }

            return existing;
        }

        _byAddress[created.PathAddress] = created;

        // Tell the router this channel is read now: a datagram it relayed here before (dropped above as for an unknown
        // channel: a handshake Init that overtook the signaling) comes again at once. Lost, it costs a retransmission.
        Span<byte> notice = stackalloc byte[RelayWire.OpenNoticeSize];
        RelayWire.WriteOpenNotice(notice, channel);
        _inner.Send(notice, routerAddress);
        return created;
    }

    public bool Close(uint channel)
    {
        if (!_byChannel.TryRemove(channel, out RelayChannel? removed))
        {
            return false;
        }

        _byAddress.TryRemove(removed.PathAddress, out _);
        return true;
    }

    public RelayChannel? Find(SocketAddress pathAddress) =>
        RelayAddress.MayBeRelay(pathAddress) && _byAddress.TryGetValue(pathAddress, out RelayChannel? channel) ? channel : null;

    public RelayStatistics GetStatistics()
    {
        if (Switch is { } sw)
        {
            return sw.GetStatistics();
        }

        return new RelayStatistics
        {
            DatagramsReceived = Interlocked.Read(ref _received),
            DatagramsRelayed = Interlocked.Read(ref _relayed),
            BytesRelayed = Interlocked.Read(ref _bytes),
            DroppedMalformed = Interlocked.Read(ref _malformed),
            DroppedUnknownChannel = Interlocked.Read(ref _unknown),
            DroppedForged = Interlocked.Read(ref _forged),
            Bindings = _byChannel.Count,
        };
    }

    public void Start(DatagramHandler handler, Action batchEnd)
    {
        _handler = handler;
        _inner.Start(OnDatagram, () =>
        {
            try
            {
                Volatile.Read(ref _switch)?.FlushBatch();
            }
            catch (Exception)
            {
                // A send that throws is a lost batch; the router keeps serving.
            }

            batchEnd();
        });
    }

    public bool Send(ReadOnlySpan<byte> datagram, SocketAddress destination) =>
        !RelayAddress.MayBeRelay(destination) ? _inner.Send(datagram, destination) : SendRelayed(datagram, destination) == DatagramSendResult.Sent;

    public DatagramSendResult SendChecked(ReadOnlySpan<byte> datagram, SocketAddress destination) =>
        !RelayAddress.MayBeRelay(destination) ? _inner.SendChecked(datagram, destination) : SendRelayed(datagram, destination);

    public bool SendSegments(ReadOnlySpan<byte> buffer, int segmentSize, SocketAddress destination)
    {
        if (!RelayAddress.MayBeRelay(destination))
        {
            return _inner.SendSegments(buffer, segmentSize, destination);
        }

        if (Find(destination) is not { } channel)
        {
            return false; // the channel was closed: nowhere to send (port 0 is no real destination either)
        }

        // Each packet needs its own header: the batch is copied with one before every segment, and still goes to the
        // router in one call where the socket batches (UDP GSO), as segments 5 bytes larger.
        int count = (buffer.Length + segmentSize - 1) / segmentSize;
        int size = buffer.Length + (count * RelayWire.HeaderSize);
        if (count == 1 || segmentSize + RelayWire.HeaderSize > UdpWire.MaxMtu)
        {
            bool sent = true;
            for (int offset = 0; offset < buffer.Length; offset += segmentSize)
            {
                sent &= SendRelayed(buffer.Slice(offset, Math.Min(segmentSize, buffer.Length - offset)), channel) == DatagramSendResult.Sent;
            }

            return sent;
        }

        byte[] batch = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            int written = 0;
            for (int offset = 0; offset < buffer.Length; offset += segmentSize)
            {
                ReadOnlySpan<byte> segment = buffer.Slice(offset, Math.Min(segmentSize, buffer.Length - offset));
                RelayWire.WriteHeader(batch.AsSpan(written), channel.Channel);
                segment.CopyTo(batch.AsSpan(written + RelayWire.HeaderSize));
                written += RelayWire.HeaderSize + segment.Length;
                channel.CountSent();
            }

            return _inner.SendSegments(batch.AsSpan(0, written), segmentSize + RelayWire.HeaderSize, channel.RouterAddress);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(batch);
        }
    }

    public void Dispose() => _inner.Dispose();

    /// <summary>A send to an address that may be a relay path's: through its channel, or nowhere once it is closed
    /// (an IPv6 address with port 0 is no real destination).</summary>
    private DatagramSendResult SendRelayed(ReadOnlySpan<byte> datagram, SocketAddress destination) =>
        Find(destination) is { } channel ? SendRelayed(datagram, channel) : DatagramSendResult.Failed;

    private DatagramSendResult SendRelayed(ReadOnlySpan<byte> datagram, RelayChannel channel)
    {
        int size = RelayWire.HeaderSize + datagram.Length;
        if (size > UdpWire.MaxMtu)
        {
            return DatagramSendResult.TooLarge;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            RelayWire.WriteHeader(buffer, channel.Channel);
            datagram.CopyTo(buffer.AsSpan(RelayWire.HeaderSize));
            channel.CountSent();
            return _inner.SendChecked(buffer.AsSpan(0, size), channel.RouterAddress);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void OnDatagram(ReadOnlySpan<byte> datagram, SocketAddress source)
    {
        if (datagram.IsEmpty || datagram[0] != RelayWire.Marker)
        {
            _handler(datagram, source);
            return;
        }

        if (Volatile.Read(ref _switch) is { } sw)
        {
            try
            {
                sw.Forward(datagram, source, UdpClock.Now);
            }
            catch (Exception)
            {
                // Whatever a datagram does, the router keeps serving (a send that throws is a lost datagram).
            }

            return;
        }

        if (Unwrap(datagram, source) is { } path)
        {
            _handler(datagram[RelayWire.HeaderSize..], path);
        }
    }

    /// <summary>The relay path a relay datagram arrived on, or null (dropped and counted).</summary>
    private SocketAddress? Unwrap(ReadOnlySpan<byte> datagram, SocketAddress source)
    {
        Interlocked.Increment(ref _received);
        if (!RelayWire.TryRead(datagram, out uint number))
        {
            Interlocked.Increment(ref _malformed);
            return null;
        }

        if (!_byChannel.TryGetValue(number, out RelayChannel? channel))
        {
            Interlocked.Increment(ref _unknown);
            return null;
        }

        if (!source.Equals(channel.RouterAddress))
        {
            // Only the router the channel was opened with speaks for it.
            Interlocked.Increment(ref _forged);
            return null;
        }

        channel.CountReceived();
        Interlocked.Increment(ref _relayed);
        Interlocked.Add(ref _bytes, datagram.Length);
        return channel.PathAddress;
    }
}
