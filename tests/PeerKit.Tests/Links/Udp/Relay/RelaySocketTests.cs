using System.Net;
using PeerKit.Links;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>The relay over real UDP sockets on loopback: three endpoints, one of them a router with a switch.</summary>
public sealed class RelaySocketTests
{
    [Fact]
    public async Task Over_loopback_sockets_a_link_starts_on_the_relay_and_upgrades_to_direct()
    {
        using NodeKey aKey = NodeKey.Generate();
        using NodeKey bKey = NodeKey.Generate();
        using NodeKey routerKey = NodeKey.Generate();
        UdpLinkOptions options = RelayHarness.RelayOptions();
        await using UdpEndpoint router = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), routerKey, options);
        await using UdpEndpoint a = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), aKey, options);
        await using UdpEndpoint b = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), bKey, options);
        RelaySwitch relay = router.StartRelaySwitch();
        RelayBinding binding = relay.Bind(a.LocalEndPoint, b.LocalEndPoint);
        b.OpenRelayChannel(router.LocalEndPoint, binding.SecondChannel);
        UdpLink ab = await a.ConnectViaRelayAsync(router.LocalEndPoint, binding.FirstChannel, bKey.Id).WaitAsync(UdpHarness.Timeout);
        UdpLink ba = await b.AcceptAsync().AsTask().WaitAsync(UdpHarness.Timeout);
        Assert.Equal(LinkPath.Relay, ab.ActivePath);

        await UdpHarness.SendNumbersAsync(ab, 500, Reliability.ReliableOrdered);
        for (int i = 0; i < 500; i++)
        {
            using LinkFrame frame = await ba.ReceiveAsync().AsTask().WaitAsync(UdpHarness.Timeout);
            Assert.Equal(i, UdpHarness.ReadNumber(frame));
        }

        Assert.True(binding.GetCounters().BytesFromFirst > 500 * 4);
        Task<bool> fromA = ab.ProbeDirectPathAsync(b.LocalEndPoint);
        Task<bool> fromB = ba.ProbeDirectPathAsync(a.LocalEndPoint);
        Assert.True(await fromA.WaitAsync(UdpHarness.Timeout));
        Assert.True(await fromB.WaitAsync(UdpHarness.Timeout));
        Assert.Equal(LinkPath.Direct, ab.ActivePath);
        Assert.Equal(b.LocalEndPoint, ab.RemoteAddress);

        await UdpHarness.SendNumbersAsync(ab, 500, Reliability.ReliableOrdered);
        for (int i = 0; i < 500; i++)
        {
            using LinkFrame frame = await ba.ReceiveAsync().AsTask().WaitAsync(UdpHarness.Timeout);
            Assert.Equal(i, UdpHarness.ReadNumber(frame));
        }
    }
}
