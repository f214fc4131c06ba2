using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace PeerKit.Routing;

/// <summary>
/// Where the router's relay switch meets the other routers: a UDP socket on the router's own host that stands, in the
/// switch, for every client of another router. A client's half of a cross-router pair is an ordinary binding on the
/// switch between the client's observed address and this port, so the switch checks sources, rates and totals as for
/// any pair. What the switch forwards here has the port's channel in its header; the port rewrites it to the channel
/// of the other router's port and publishes the datagram to that router, which sends it from its port into its switch,
/// and on to its client. The clients' encrypted link packet is carried unchanged; only the 5-byte header is rewritten.
/// </summary>
internal sealed class ClusterRelayPort : IDisposable
{
    private const byte Marker = 0x52; // the relay datagram's first byte (docs/udp.md, "Relay path")
    private const int HeaderSize = 5;
    private const int MinDatagram = HeaderSize + 5;

    private readonly Socket _socket;
    private readonly IRouterBackplane _backplane;
    private readonly SocketAddress _switchAddress;
    private readonly ConcurrentDictionary<uint, (string Router, uint Channel)> _routes = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiving;
    private long _unrouted;
    private long _malformed;

    /// <summary>Opens the port beside the switch listening on <paramref name="switchEndPoint"/> (an unspecified address is reached on loopback).</summary>
    public ClusterRelayPort(Links.Udp.RelaySwitch relaySwitch, IPEndPoint switchEndPoint, IRouterBackplane backplane)
    {
        Switch = relaySwitch;
        _backplane = backplane;
        IPAddress host = switchEndPoint.Address.Equals(IPAddress.Any) ? IPAddress.Loopback
            : switchEndPoint.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
            : switchEndPoint.Address;
        SwitchEndPoint = new IPEndPoint(host, switchEndPoint.Port);
        _socket = new Socket(host.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(host, 0));
        Address = (IPEndPoint)_socket.LocalEndPoint!;
        _switchAddress = SwitchEndPoint.Serialize();
        _receiving = ReceiveAsync(_stop.Token);
    }

    /// <summary>The switch this port belongs to.</summary>
    public Links.Udp.RelaySwitch Switch { get; }

    /// <summary>The port's own address: the "client" address of every cross-router binding on the switch.</summary>
    public IPEndPoint Address { get; }

    /// <summary>Where the switch listens.</summary>
    public IPEndPoint SwitchEndPoint { get; }

    /// <summary>Routes in use.</summary>
    public int RouteCount => _routes.Count;

    /// <summary>Datagrams from the switch on a channel with no route yet (the other router has not answered), dropped.</summary>
    public long Unrouted => Interlocked.Read(ref _unrouted);

    /// <summary>Datagrams that were not relay datagrams, dropped.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>What the switch forwards to this port on <paramref name="channel"/> goes to <paramref name="router"/>'s port, on <paramref name="remoteChannel"/>.</summary>
    public void Route(uint channel, string router, uint remoteChannel) => _routes[channel] = (router, remoteChannel);

    /// <summary>Forgets a route (its binding was unbound).</summary>
    public void Forget(uint channel) => _routes.TryRemove(channel, out _);

    /// <summary>A datagram published by another router for one of this port's channels: into the switch, which checks it and forwards it to its client.</summary>
    public void Deliver(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < MinDatagram || datagram[0] != Marker || datagram[HeaderSize] == Marker)
        {
            Interlocked.Increment(ref _malformed);
            return;
        }

        try
        {
            _socket.SendTo(datagram, SocketFlags.None, _switchAddress);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Loopback send failed (the router is stopping): dropped, as a UDP relay may.
        }
    }

    /// <summary>Whether a published datagram is for a channel of this port's switch.</summary>
    public bool Owns(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= MinDatagram && Switch.Find(BinaryPrimitives.ReadUInt32BigEndian(datagram[1..])) is not null;

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        try
        {
            _receiving.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }

    private async Task ReceiveAsync(CancellationToken stop)
    {
        byte[] buffer = new byte[64 * 1024];
        var from = new SocketAddress(_socket.AddressFamily);
        while (!stop.IsCancellationRequested)
        {
            int length;
            try
            {
                length = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, from, stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // an ICMP error for an earlier send: not fatal
            }

            // Only the switch sends here; anything else on this port is dropped.
            if (!from.Equals(_switchAddress) || length < MinDatagram || buffer[0] != Marker)
            {
                Interlocked.Increment(ref _malformed);
                continue;
            }

            uint channel = BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(1));
            if (!_routes.TryGetValue(channel, out (string Router, uint Channel) route))
            {
                Interlocked.Increment(ref _unrouted);
                continue;
            }

            BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(1), route.Channel);
            _backplane.PublishRelay(route.Router, buffer.AsSpan(0, length));
        }
    }
}
