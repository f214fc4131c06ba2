using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>The relay datagram's header alone.</summary>
public sealed class RelayWireTests
{
    [Fact]
    public void The_marker_is_no_other_packet_types_first_byte()
    {
        byte[] types = [UdpWire.TypeInit, UdpWire.TypeResponse, UdpWire.TypeFinish, UdpWire.TypeRetry, UdpWire.TypeData];
        foreach (byte type in types)
        {
            Assert.NotEqual(RelayWire.Marker, type);
            Assert.NotEqual(RelayWire.Marker, (byte)(type | UdpWire.KeyPhaseBit));
        }
    }

    [Fact]
    public void A_header_reads_back_its_channel()
    {
        byte[] datagram = new byte[RelayWire.HeaderSize + 20];
        RelayWire.WriteHeader(datagram, 0xDEADBEEF);
        datagram[RelayWire.HeaderSize] = UdpWire.TypeData;
        Assert.Equal(RelayWire.Marker, datagram[0]);
        Assert.True(RelayWire.TryRead(datagram, out uint channel));
        Assert.Equal(0xDEADBEEFu, channel);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(9)] // header and 4 bytes: shorter than any PeerKit packet
    public void Datagrams_too_short_to_carry_a_packet_are_refused(int length)
    {
        byte[] datagram = new byte[length];
        if (length > 0)
        {
            datagram[0] = RelayWire.Marker;
        }

        if (length >= RelayWire.HeaderSize)
        {
            RelayWire.WriteHeader(datagram, 7);
        }

        Assert.False(RelayWire.TryRead(datagram, out _));
    }

    [Fact]
    public void Channel_zero_and_a_relay_datagram_inside_a_relay_datagram_are_refused()
    {
        byte[] zero = new byte[30];
        RelayWire.WriteHeader(zero, 0);
        Assert.False(RelayWire.TryRead(zero, out _));

        byte[] nested = new byte[30];
        RelayWire.WriteHeader(nested, 7);
        RelayWire.WriteHeader(nested.AsSpan(RelayWire.HeaderSize), 8);
        Assert.False(RelayWire.TryRead(nested, out _));

        byte[] other = new byte[30];
        RelayWire.WriteHeader(other, 7);
        other[0] = UdpWire.TypeData;
        Assert.False(RelayWire.TryRead(other, out _));
    }

    [Fact]
    public void A_relay_address_is_ipv6_with_port_zero_and_differs_per_channel()
    {
        var address = RelayAddress.For(42);
        Assert.Equal(0, address.Port);
        Assert.True(RelayAddress.MayBeRelay(address.Serialize()));
        Assert.NotEqual(address, RelayAddress.For(43));
        Assert.Equal(address, RelayAddress.For(42));
        Assert.False(RelayAddress.MayBeRelay(new System.Net.IPEndPoint(System.Net.IPAddress.IPv6Loopback, 4000).Serialize()));
        Assert.False(RelayAddress.MayBeRelay(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0).Serialize()));
    }
}
