using System.Diagnostics;
using System.Net;
using PeerKit.Links;
using PeerKit.Links.Udp;
using PeerKit.Tests.Nodes;
using static PeerKit.Tests.Nodes.NodeTestKit;

namespace PeerKit.Tests.Hostile;

/// <summary>
/// Issue 13, finding 7: admission was first come, 50 slots of 5 s each. With 200 silent TCP connections open a fresh
/// peer needed 19 s; with 100 UDP links that never say hello, 9.7 s. Now it gets in within 2 s over either.
/// </summary>
public sealed class FairAdmissionTests
{
    [Fact]
    public async Task A_fresh_peer_gets_in_within_two_seconds_while_200_silent_tcp_connections_and_100_silent_udp_links_are_open()
    {
        PeerNodeOptions options = Options("node", new ChatProtocol());
        options.ListenAddresses.Add(NodeAddress.Parse("tcp://127.0.0.1:0"));
        options.ListenAddresses.Add(NodeAddress.Parse("udp://127.0.0.1:0"));
        await using PeerNode node = await StartAsync(options);
        NodeAddress tcp = node.ListenAddresses.Single(a => a.Scheme == NodeAddress.Tcp);
        NodeAddress udp = node.ListenAddresses.Single(a => a.Scheme == NodeAddress.Udp);

        await using var flood = new SilentTcpFlood(await tcp.ResolveAsync(), 200);
        await flood.StartAsync();
        using NodeKey attackerKey = NodeKey.Generate();
        await using UdpEndpoint attacker = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), attackerKey);
        var silentLinks = new List<UdpLink>();
        try
        {
            IPEndPoint udpEndPoint = await udp.ResolveAsync();
            for (int i = 0; i < 100; i++)
            {
                // Authenticated links that never send a hello (one key, as one attacker would).
                silentLinks.Add(await attacker.ConnectAsync(udpEndPoint).WaitAsync(Wait));
            }

            await Task.Delay(500);
            foreach (NodeAddress address in new[] { tcp, udp })
            {
                await using PeerNode fresh = await StartAsync(Options("fresh", new ChatProtocol()));
                var started = Stopwatch.StartNew();
                Peer peer = await fresh.ConnectAsync(address).WaitAsync(Wait);
                TimeSpan took = started.Elapsed;
                Assert.True(took < TimeSpan.FromSeconds(2), $"the fresh peer needed {took} over {address.Scheme}");
                Assert.True(await peer.PingAsync().WaitAsync(Wait) > TimeSpan.Zero);
            }

            // Every connection closed to make room is counted, none by an exception.
            Assert.True(node.RejectedConnectionCount > 0, "no rejection was counted");
        }
        finally
        {
            foreach (UdpLink link in silentLinks)
            {
                await link.DisposeAsync();
            }
        }
    }
}
