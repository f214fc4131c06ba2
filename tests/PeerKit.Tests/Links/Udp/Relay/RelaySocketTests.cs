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

    [Fact]
    public async Task Sending_and_receiving_through_the_relay_allocate_nothing_on_the_callers_thread()
    {
        using NodeKey aKey = NodeKey.Generate();
        using NodeKey bKey = NodeKey.Generate();
        using NodeKey routerKey = NodeKey.Generate();
        await using UdpEndpoint router = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), routerKey);
        await using UdpEndpoint a = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), aKey);
        await using UdpEndpoint b = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), bKey);
        RelayBinding binding = router.StartRelaySwitch().Bind(a.LocalEndPoint, b.LocalEndPoint);
        b.OpenRelayChannel(router.LocalEndPoint, binding.SecondChannel);
        UdpLink link = await a.ConnectViaRelayAsync(router.LocalEndPoint, binding.FirstChannel, bKey.Id).WaitAsync(UdpHarness.Timeout);
        UdpLink peer = await b.AcceptAsync().AsTask().WaitAsync(UdpHarness.Timeout);
        byte[] frame = new byte[64];

        long Measure(int iterations)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < iterations; i++)
            {
                ValueTask send = link.SendAsync(frame);
                Assert.True(send.IsCompletedSuccessfully);
                LinkFrame received;
                var spin = default(SpinWait);
                while (!peer.TryReceive(out received))
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                }

                received.Dispose();
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        for (int i = 0; i < 900; i++)
        {
            await link.SendAsync(frame);
        }

        for (int i = 0; i < 900; i++)
        {
            (await peer.ReceiveAsync()).Dispose();
        }

        Measure(2_000);
        // Under one byte per frame on average (pools reach new high-water marks now and then, as in
        // UdpAllocationTests); a buffer per relayed datagram would be more than 64 bytes each.
        Assert.InRange(Measure(5_000), 0, 5_000);
        Assert.Equal(LinkPath.Relay, link.ActivePath);
        Assert.True(binding.GetCounters().DatagramsRelayed > 7_000);
    }
}
