using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PeerKit.Links;
using PeerKit.Links.Udp;
using PeerKit.Transports;
using static PeerKit.Tests.Nodes.NodeTestKit;

namespace PeerKit.Tests.Nodes;

/// <summary>Each way a dial fails has one timeout and one reason, whatever the transport.</summary>
public sealed class DialFailureTests
{
    [Fact]
    public async Task A_closed_port_is_a_network_error_on_tcp_and_on_udp()
    {
        PeerNodeOptions options = Options("alice", new ChatProtocol());
        options.DialTimeout = TimeSpan.FromMilliseconds(500);
        await using PeerNode alice = await StartAsync(options);
        var log = new EventLog(alice);

        var tcp = await Assert.ThrowsAsync<PeerConnectException>(() => alice.ConnectAsync(new NodeAddress("tcp", "127.0.0.1", FreePort(SocketType.Stream, ProtocolType.Tcp))).WaitAsync(Wait));
        var udp = await Assert.ThrowsAsync<PeerConnectException>(() => alice.ConnectAsync(new NodeAddress("udp", "127.0.0.1", FreePort(SocketType.Dgram, ProtocolType.Udp))).WaitAsync(Wait));

        Assert.Equal(DisconnectReason.NetworkError, tcp.Reason);
        Assert.Equal(DisconnectReason.NetworkError, udp.Reason);
        Assert.IsType<PeerUnreachableException>(tcp.InnerException);
        Assert.IsType<PeerUnreachableException>(udp.InnerException);
        Assert.False(tcp.IsRemote);
        Assert.False(udp.IsRemote);
        PeerEvent tcpEnd = await log.WaitForAsync(e => e.Address?.StartsWith("tcp") == true && e.State != ConnectionState.Connecting);
        PeerEvent udpEnd = await log.WaitForAsync(e => e.Address?.StartsWith("udp") == true && e.State != ConnectionState.Connecting);
        Assert.Equal((ConnectionState.Closed, DisconnectReason.NetworkError), (tcpEnd.State, tcpEnd.Reason!.Value));
        Assert.Equal((ConnectionState.Closed, DisconnectReason.NetworkError), (udpEnd.State, udpEnd.Reason!.Value));
    }

    [Fact]
    public async Task A_udp_dial_to_a_silent_host_gives_up_after_the_node_dial_timeout_not_the_link_handshake_timeout()
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0)); // bound, never answers
        PeerNodeOptions options = Options("alice", new ChatProtocol());
        options.DialTimeout = TimeSpan.FromMilliseconds(600);
        options.Udp = new UdpLinkOptions { HandshakeTimeout = TimeSpan.FromSeconds(60) };
        await using PeerNode alice = await StartAsync(options);

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<PeerConnectException>(
            () => alice.ConnectAsync(new NodeAddress("udp", "127.0.0.1", ((IPEndPoint)silent.LocalEndPoint!).Port)).WaitAsync(Wait));
        clock.Stop();

        Assert.Equal(DisconnectReason.NetworkError, error.Reason);
        Assert.IsType<PeerUnreachableException>(error.InnerException);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(15)); // the 60 s link timeout did not apply
    }

    [Fact]
    public async Task A_udp_peer_that_never_says_hello_is_a_read_timeout_after_the_node_handshake_timeout()
    {
        using NodeKey mute = NodeKey.Generate();
        await using UdpEndpoint endpoint = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), mute);
        using var accepted = new CancellationTokenSource();
        Task<UdpLink> accept = endpoint.AcceptAsync(accepted.Token).AsTask();

        PeerNodeOptions options = Options("alice", new ChatProtocol());
        options.HandshakeTimeout = TimeSpan.FromMilliseconds(600);
        options.Udp = new UdpLinkOptions { HandshakeTimeout = TimeSpan.FromSeconds(60) };
        await using PeerNode alice = await StartAsync(options);

        var error = await Assert.ThrowsAsync<PeerConnectException>(
            () => alice.ConnectAsync(new NodeAddress("udp", "127.0.0.1", endpoint.LocalEndPoint.Port, mute.Id)).WaitAsync(Wait));
        Assert.Equal(DisconnectReason.ReadTimeout, error.Reason);
        await using UdpLink link = await accept.WaitAsync(Wait);
    }

    [Fact]
    public async Task A_tcp_peer_that_never_says_hello_is_a_read_timeout_after_the_node_handshake_timeout()
    {
        using NodeKey mute = NodeKey.Generate();
        await using var listener = PeerKit.Links.Tcp.TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0), mute);
        Task<PeerKit.Links.Tcp.TcpLink> accept = listener.AcceptAsync().AsTask();

        PeerNodeOptions options = Options("alice", new ChatProtocol());
        options.HandshakeTimeout = TimeSpan.FromMilliseconds(600);
        await using PeerNode alice = await StartAsync(options);

        var error = await Assert.ThrowsAsync<PeerConnectException>(
            () => alice.ConnectAsync(new NodeAddress("tcp", "127.0.0.1", listener.LocalEndPoint.Port, mute.Id)).WaitAsync(Wait));
        Assert.Equal(DisconnectReason.ReadTimeout, error.Reason);
        await using IMessageLink link = await accept.WaitAsync(Wait);
    }

    private static int FreePort(SocketType type, ProtocolType protocol)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, type, protocol);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
