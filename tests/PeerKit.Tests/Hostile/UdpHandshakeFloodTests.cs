using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Hostile;

/// <summary>Issue 13, finding 6: one source cannot fill the pending handshakes and lock new peers out.</summary>
public sealed class UdpHandshakeFloodTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Caught: initiations with distinct connection ids from one socket each took a pending handshake, up to all
    /// 1,024 (cookies did not help: the socket echoes them). Now one source holds at most 8; a new dialer gets in.
    /// </summary>
    [Fact]
    public async Task One_socket_sending_initiations_with_distinct_ids_holds_at_most_its_share_and_a_new_peer_gets_in()
    {
        using NodeKey serverKey = NodeKey.Generate();
        // A burst above the flood, so that the per-source cap on pending handshakes is what holds (the rate: UdpInitiationRateTests).
        var options = new UdpLinkOptions { CookieThreshold = 100_000, MaxPendingHandshakes = 64, InitiationBurstPerSource = 1000 };
        await using UdpEndpoint server = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), serverKey, options);

        using NodeKey attackerKey = NodeKey.Generate();
        using var attacker = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        attacker.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        for (uint cid = 1; cid <= 200; cid++)
        {
            using UdpHandshake init = UdpHandshake.Initiate(attackerKey, options, cid, now: 0, options.HandshakeTimeout);
            await attacker.SendToAsync(init.Packet, SocketFlags.None, server.LocalEndPoint);
        }

        await Task.Delay(500);
        UdpEndpointStatistics stats = server.GetStatistics();
        Assert.True(stats.PendingHandshakes <= options.MaxPendingHandshakesPerSource, $"{stats.PendingHandshakes} pending from one socket");
        Assert.True(stats.HandshakesRefused >= 150, $"{stats.HandshakesRefused} refused");

        using NodeKey freshKey = NodeKey.Generate();
        await using UdpEndpoint fresh = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), freshKey);
        var started = Stopwatch.StartNew();
        await using UdpLink link = await fresh.ConnectAsync(server.LocalEndPoint, serverKey.Id).WaitAsync(Wait);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(2), $"the new peer needed {started.Elapsed}");
    }
}
