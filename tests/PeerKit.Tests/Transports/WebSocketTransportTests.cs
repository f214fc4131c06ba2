using System.Net;
using System.Net.Sockets;
using PeerKit.Transports;

namespace PeerKit.Tests.Transports;

/// <summary>The SDK's <c>ws</c>/<c>wss</c> transport: registered on every node, dials only.</summary>
public sealed class WebSocketTransportTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public void Every_node_can_dial_ws_and_wss_by_default()
    {
        var options = new PeerNodeOptions();
        Assert.True(options.Transports.ContainsKey(NodeAddress.WebSocket));
        Assert.True(options.Transports.ContainsKey(NodeAddress.SecureWebSocket));
        using NodeKey key = NodeKey.Generate();
        var context = new PeerTransportContext(key, options);
        Assert.Equal("wss", Assert.IsType<WebSocketTransport>(options.Transports[NodeAddress.SecureWebSocket](context)).Scheme);
        Assert.Throws<ArgumentException>(() => new WebSocketTransport(context, NodeAddress.Tcp));
    }

    [Fact]
    public async Task A_plain_node_refuses_to_listen_on_ws_with_a_clear_error()
    {
        await using var node = new PeerNode(new PeerNodeOptions { ListenAddresses = { NodeAddress.Parse("ws://127.0.0.1:0/peerkit") } });
        NotSupportedException error = await Assert.ThrowsAsync<NotSupportedException>(() => node.StartAsync().WaitAsync(Wait));
        Assert.Contains("HTTP server", error.Message);
    }

    [Fact]
    public async Task Dialing_a_ws_address_where_nothing_listens_is_unreachable_not_a_hang()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        await using var node = new PeerNode(new PeerNodeOptions { DialTimeout = TimeSpan.FromSeconds(5) });
        await node.StartAsync();
        PeerConnectException error = await Assert.ThrowsAsync<PeerConnectException>(() => node.ConnectAsync(NodeAddress.Parse($"ws://127.0.0.1:{port}/peerkit")).WaitAsync(Wait));
        Assert.Equal(DisconnectReason.NetworkError, error.Reason);
        Assert.IsType<PeerUnreachableException>(error.InnerException);
    }
}
