using System.Net;

namespace PeerKit.Tests.Nodes;

/// <summary>UDP addresses from end points and back, as the router's candidates use them.</summary>
public sealed class NodeAddressTests
{
    [Theory]
    [InlineData("192.0.2.7", 7330, "udp://192.0.2.7:7330")]
    [InlineData("2001:db8::1", 9, "udp://[2001:db8::1]:9")]
    [InlineData("::ffff:192.0.2.7", 5, "udp://192.0.2.7:5")]
    public void A_udp_address_from_an_end_point_reads_back_as_that_end_point(string ip, int port, string text)
    {
        NodeAddress address = NodeAddress.ForUdp(new IPEndPoint(IPAddress.Parse(ip), port));
        Assert.Equal(text, address.ToString());

        Assert.True(NodeAddress.TryParse(text, out NodeAddress? parsed));
        Assert.True(parsed.TryGetIPEndPoint(out IPEndPoint? endPoint));
        IPAddress expected = IPAddress.Parse(ip) is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : IPAddress.Parse(ip);
        Assert.Equal(new IPEndPoint(expected, port), endPoint);
    }

    [Fact]
    public void A_host_name_has_no_end_point_without_resolving()
    {
        Assert.False(NodeAddress.Parse("udp://router.example:7330").TryGetIPEndPoint(out IPEndPoint? endPoint));
        Assert.Null(endPoint);
    }

    [Theory]
    [InlineData("ws://127.0.0.1:7332/peerkit", "127.0.0.1", 7332, "/peerkit", "ws://127.0.0.1:7332/peerkit")]
    [InlineData("ws://[::1]:80/a/b", "::1", 80, "/a/b", "ws://[::1]:80/a/b")]
    [InlineData("ws://router.example:7332", "router.example", 7332, null, "ws://router.example:7332/peerkit")]
    [InlineData("wss://router.example/pk", "router.example", 443, "/pk", "wss://router.example:443/pk")]
    [InlineData("ws://router.example", "router.example", 80, null, "ws://router.example:80/peerkit")]
    [InlineData("WS://[2001:db8::1]/x", "2001:db8::1", 80, "/x", "ws://[2001:db8::1]:80/x")]
    public void A_websocket_address_keeps_its_path_and_gives_the_uri_to_dial(string text, string host, int port, string? path, string uri)
    {
        Assert.True(NodeAddress.TryParse(text, out NodeAddress? address));
        Assert.Equal(host, address.Host);
        Assert.Equal(port, address.Port);
        Assert.Equal(path, address.Path);
        Assert.True(address.IsWebSocket);
        Assert.Equal(new Uri(uri), address.ToWebSocketUri());
        Assert.Equal(address, NodeAddress.Parse(address.ToString()));
    }

    [Fact]
    public void A_websocket_address_carries_the_node_id_before_the_host_and_the_path_after_the_port()
    {
        using NodeKey key = NodeKey.Generate();
        NodeAddress address = NodeAddress.Parse($"ws://{key.Id}@127.0.0.1:9/peerkit");
        Assert.Equal(key.Id, address.Id);
        Assert.Equal("/peerkit", address.Path);
        Assert.Equal($"ws://{key.Id}@127.0.0.1:9/peerkit", address.ToString());
        Assert.NotEqual(address, address with { Path = "/other" });
    }

    [Theory]
    [InlineData("tcp://127.0.0.1:1/path")] // only WebSocket addresses have a path
    [InlineData("udp://127.0.0.1:1/")]
    [InlineData("tcp://127.0.0.1")] // only WebSocket addresses may leave the port out
    [InlineData("ws://127.0.0.1:1/a?b")]
    [InlineData("ws://127.0.0.1:1/a b")]
    [InlineData("ws://127.0.0.1:1/a#b")]
    [InlineData("ws:///peerkit")]
    public void Paths_and_missing_ports_outside_websocket_addresses_and_queries_are_refused(string text)
    {
        Assert.False(NodeAddress.TryParse(text, out _));
        Assert.Throws<InvalidOperationException>(() => NodeAddress.Parse("tcp://127.0.0.1:1").ToWebSocketUri());
    }
}
