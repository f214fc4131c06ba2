using System.Net;
using System.Net.Sockets;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>The relay layer between an endpoint and its socket, alone, over a fake socket.</summary>
public sealed class RelayTransportTests
{
    private static readonly IPEndPoint Router = new(IPAddress.Parse("203.0.113.10"), 7330);
    private static readonly IPEndPoint Peer = new(IPAddress.Parse("198.51.100.20"), 5000);

    private static (RelayTransport Relay, FakeSocket Socket, List<(byte[] Data, SocketAddress From)> Delivered) Create()
    {
        var socket = new FakeSocket();
        var relay = new RelayTransport(socket);
        var delivered = new List<(byte[], SocketAddress)>();
        relay.Start((d, from) => delivered.Add((d.ToArray(), UdpEndpoint.Clone(from))), () => { });
        return (relay, socket, delivered);
    }

    /// <summary>Opens <paramref name="number"/> and takes the open notice it sends the router off the socket's list.</summary>
    private static RelayChannel OpenChannel(RelayTransport relay, FakeSocket socket, uint number)
    {
        RelayChannel channel = relay.Open(Router, Router.Serialize(), number);
        var (notice, to) = Assert.Single(socket.Sent);
        Assert.Equal(Router.Serialize(), to);
        Assert.True(RelayWire.IsOpenNotice(notice, out uint noticed));
        Assert.Equal(number, noticed);
        Assert.False(RelayWire.TryRead(notice, out _)); // never relayed: its payload starts with the marker
        socket.Sent.Clear();
        return channel;
    }

    [Fact]
    public void A_send_to_a_relay_path_goes_to_the_router_with_the_channel_header_and_others_pass_through()
    {
        var (relay, socket, _) = Create();
        RelayChannel channel = OpenChannel(relay, socket, 77);
        byte[] packet = [UdpWire.TypeData, 1, 2, 3, 4, 5, 6];
        Assert.True(relay.Send(packet, channel.Address.Serialize()));
        var (sent, to) = Assert.Single(socket.Sent);
        Assert.Equal(Router.Serialize(), to);
        Assert.True(RelayWire.TryRead(sent, out uint number));
        Assert.Equal(77u, number);
        Assert.Equal(packet, sent[RelayWire.HeaderSize..]);

        Assert.True(relay.Send(packet, Peer.Serialize()));
        Assert.Equal(packet, socket.Sent[1].Data);
        Assert.Equal(Peer.Serialize(), socket.Sent[1].To);
        Assert.Equal(1, channel.DatagramsSent);
    }

    [Fact]
    public void A_batch_to_a_relay_path_goes_as_one_batch_with_a_header_before_every_segment()
    {
        var (relay, socket, _) = Create();
        RelayChannel channel = OpenChannel(relay, socket, 78);
        byte[] batch = new byte[(3 * 100) + 30];
        for (int i = 0; i < batch.Length; i++)
        {
            batch[i] = (byte)(i / 100);
        }

        Assert.True(relay.SendSegments(batch, 100, channel.Address.Serialize()));
        var (sent, to) = Assert.Single(socket.Sent);
        Assert.Equal(105, socket.LastSegment);
        Assert.Equal((3 * 105) + 35, sent.Length);
        for (int i = 0; i < 4; i++)
        {
            ReadOnlySpan<byte> segment = sent.AsSpan(i * 105, Math.Min(105, sent.Length - (i * 105)));
            Assert.True(RelayWire.TryRead(segment, out uint number));
            Assert.Equal(78u, number);
            Assert.True(segment[RelayWire.HeaderSize..].SequenceEqual(batch.AsSpan(i * 100, segment.Length - RelayWire.HeaderSize)));
        }

        Assert.Equal(4, channel.DatagramsSent);
    }

    [Fact]
    public void A_relay_datagram_from_the_router_is_delivered_from_the_relay_path_and_from_anyone_else_is_dropped()
    {
        var (relay, socket, delivered) = Create();
        RelayChannel channel = OpenChannel(relay, socket, 79);
        byte[] datagram = new byte[RelayWire.HeaderSize + 20];
        RelayWire.WriteHeader(datagram, 79);
        datagram[RelayWire.HeaderSize] = UdpWire.TypeData;

        socket.Receive(datagram, Router.Serialize());
        var (data, from) = Assert.Single(delivered);
        Assert.Equal(datagram[RelayWire.HeaderSize..], data);
        Assert.Equal(channel.Address.Serialize(), from);

        socket.Receive(datagram, Peer.Serialize()); // not the router
        RelayWire.WriteHeader(datagram, 80);
        socket.Receive(datagram, Router.Serialize()); // no such channel
        socket.Receive([RelayWire.Marker, 0, 0], Router.Serialize()); // short
        socket.Receive([UdpWire.TypeData, 9, 9, 9, 9], Peer.Serialize()); // not a relay datagram: passes through
        Assert.Equal(2, delivered.Count);
        Assert.Equal(Peer.Serialize(), delivered[1].From);
        RelayStatistics stats = relay.GetStatistics();
        Assert.Equal(1, stats.DroppedForged);
        Assert.Equal(1, stats.DroppedUnknownChannel);
        Assert.Equal(1, stats.DroppedMalformed);
        Assert.Equal(1, stats.DatagramsRelayed);
    }

    [Fact]
    public void Once_a_channel_is_closed_sends_to_its_path_go_nowhere_and_its_datagrams_are_dropped()
    {
        var (relay, socket, delivered) = Create();
        RelayChannel channel = relay.Open(Router, Router.Serialize(), 81);
        Assert.Same(channel, relay.Open(Router, Router.Serialize(), 81));
        Assert.Throws<InvalidOperationException>(() => relay.Open(Peer, Peer.Serialize(), 81));
        Assert.Single(socket.Sent); // one open notice, for the first open only
        socket.Sent.Clear();
        Assert.True(relay.Close(81));
        Assert.False(relay.Close(81));
        Assert.False(relay.Send([UdpWire.TypeData, 1, 2, 3, 4], channel.Address.Serialize()));
        Assert.Empty(socket.Sent);
        byte[] datagram = new byte[30];
        RelayWire.WriteHeader(datagram, 81);
        socket.Receive(datagram, Router.Serialize());
        Assert.Empty(delivered);
    }

    private sealed class FakeSocket : IDatagramTransport
    {
        private DatagramHandler? _handler;
        private Action? _batchEnd;

        public List<(byte[] Data, SocketAddress To)> Sent { get; } = new();

        public int LastSegment { get; private set; }

        public IPEndPoint LocalEndPoint { get; } = new(IPAddress.Any, 40000);

        public int MaxSegments => 64;

        public void Start(DatagramHandler handler, Action batchEnd)
        {
            _handler = handler;
            _batchEnd = batchEnd;
        }

        public void Receive(byte[] datagram, SocketAddress from)
        {
            _handler!(datagram, from);
            _batchEnd!();
        }

        public bool Send(ReadOnlySpan<byte> datagram, SocketAddress destination)
        {
            Sent.Add((datagram.ToArray(), UdpEndpoint.Clone(destination)));
            return true;
        }

        public bool SendSegments(ReadOnlySpan<byte> buffer, int segmentSize, SocketAddress destination)
        {
            LastSegment = segmentSize;
            return Send(buffer, destination);
        }

        public void Dispose()
        {
        }
    }
}
