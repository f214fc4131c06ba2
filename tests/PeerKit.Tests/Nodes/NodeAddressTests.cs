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
}
