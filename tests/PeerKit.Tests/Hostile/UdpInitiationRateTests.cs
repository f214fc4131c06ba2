using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PeerKit.Links.Noise;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Hostile;

/// <summary>
/// Issue 13, finding 6 and the handshake rules: a per-source initiation rate (token bucket per address, WireGuard
/// style), cookies asked per source, and no reply to an unvalidated address larger than what it sent. The attacker
/// sends from 127.0.0.2, legitimate peers from 127.0.0.1 (two sources on one loopback).
/// </summary>
public sealed class UdpInitiationRateTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private static readonly IPAddress AttackerAddress = IPAddress.Parse("127.0.0.2");

    [Fact]
    public async Task A_source_over_its_initiation_rate_is_answered_with_cookies_and_holds_no_state_for_them()
    {
        using NodeKey serverKey = NodeKey.Generate();
        var options = new UdpLinkOptions
        {
            CookieThreshold = 100_000, MaxPendingHandshakesPerSource = 1000, InitiationsPerSecondPerSource = 1, InitiationBurstPerSource = 5,
        };
        await using UdpEndpoint server = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), serverKey, options);
        using NodeKey attackerKey = NodeKey.Generate();
        using var attacker = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        attacker.Bind(new IPEndPoint(AttackerAddress, 0));
        for (uint cid = 1; cid <= 40; cid++)
        {
            using UdpHandshake init = UdpHandshake.Initiate(attackerKey, options, cid, now: 0, options.HandshakeTimeout);
            attacker.SendTo(init.Packet, server.LocalEndPoint);
        }

        int retries = 0;
        int responses = 0;
        byte[] buffer = new byte[2048];
        attacker.ReceiveTimeout = 500;
        while (retries + responses < 40 && TryReceive(attacker, buffer, out int length))
        {
            if (buffer[0] == UdpWire.TypeRetry)
            {
                Assert.Equal(UdpWire.RetrySize, length);
                retries++;
            }
            else if (buffer[0] == UdpWire.TypeResponse)
            {
                responses++;
            }
        }

        UdpEndpointStatistics stats = server.GetStatistics();
        Assert.Equal(5, stats.PendingHandshakes); // the burst
        Assert.Equal(5, responses);
        Assert.Equal(35, retries);
        Assert.Equal(35, stats.CookiesSent);
    }

    [Fact]
    public async Task A_host_echoing_cookies_from_many_sockets_is_limited_and_a_fresh_peer_from_another_address_gets_in()
    {
        using NodeKey serverKey = NodeKey.Generate();
        // Without the rate limit, 20 sockets × 8 pending each would fill the 64 pending handshakes and lock new peers out.
        var options = new UdpLinkOptions { MaxPendingHandshakes = 64, CookieThreshold = 32, InitiationsPerSecondPerSource = 5, InitiationBurstPerSource = 5 };
        await using UdpEndpoint server = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), serverKey, options);
        using NodeKey attackerKey = NodeKey.Generate();
        var sockets = new List<Socket>();
        var handshakes = new Dictionary<uint, UdpHandshake>();
        try
        {
            for (int i = 0; i < 20; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                s.Bind(new IPEndPoint(AttackerAddress, 0));
                s.Blocking = false;
                sockets.Add(s);
            }

            var flood = Stopwatch.StartNew();
            uint next = 1;
            byte[] buffer = new byte[2048];
            while (flood.Elapsed < TimeSpan.FromSeconds(1.5))
            {
                foreach (Socket s in sockets)
                {
                    UdpHandshake init = UdpHandshake.Initiate(attackerKey, options, next, now: 0, options.HandshakeTimeout);
                    handshakes[next++] = init;
                    s.SendTo(init.Packet, server.LocalEndPoint);
                    while (s.Available > 0)
                    {
                        int length = s.Receive(buffer);
                        if (buffer[0] == UdpWire.TypeRetry && length == UdpWire.RetrySize
                            && handshakes.TryGetValue(BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(1)), out UdpHandshake? asked))
                        {
                            asked.EchoCookie(buffer.AsSpan(0, length));
                            s.SendTo(asked.Packet, server.LocalEndPoint);
                        }
                    }
                }

                await Task.Delay(5);
            }

            UdpEndpointStatistics stats = server.GetStatistics();
            Assert.True(stats.InitiationsRateLimited > 0, "the host's cookie-proven initiations were never limited");
            Assert.True(stats.PeakPendingHandshakes <= 5 + 5 + (2 * 5 * 2), $"{stats.PeakPendingHandshakes} pending at the peak from one host");

            using NodeKey freshKey = NodeKey.Generate();
            await using UdpEndpoint fresh = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), freshKey);
            var started = Stopwatch.StartNew();
            await using UdpLink link = await fresh.ConnectAsync(server.LocalEndPoint, serverKey.Id).WaitAsync(Wait);
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(2), $"the fresh peer needed {started.Elapsed}");
        }
        finally
        {
            foreach (Socket s in sockets)
            {
                s.Dispose();
            }

            foreach (UdpHandshake h in handshakes.Values)
            {
                h.Dispose();
            }
        }
    }

    [Fact]
    public async Task Spoofed_initiations_that_drain_an_address_bucket_only_make_its_owner_echo_one_cookie()
    {
        using NodeKey serverKey = NodeKey.Generate();
        var options = new UdpLinkOptions { InitiationsPerSecondPerSource = 1, InitiationBurstPerSource = 2 };
        await using UdpEndpoint server = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), serverKey, options);

        // Forged initiations "from" 127.0.0.1 (the spoofer here can also receive, which only makes it stronger).
        using NodeKey spooferKey = NodeKey.Generate();
        using var spoofer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        spoofer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        for (uint cid = 1; cid <= 20; cid++)
        {
            using UdpHandshake init = UdpHandshake.Initiate(spooferKey, options, cid, now: 0, options.HandshakeTimeout);
            spoofer.SendTo(init.Packet, server.LocalEndPoint);
        }

        await Task.Delay(200);
        long cookiesBefore = server.GetStatistics().CookiesSent;
        Assert.True(cookiesBefore >= 18, $"{cookiesBefore} cookies");

        using NodeKey ownerKey = NodeKey.Generate();
        await using UdpEndpoint owner = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), ownerKey);
        var started = Stopwatch.StartNew();
        await using UdpLink link = await owner.ConnectAsync(server.LocalEndPoint, serverKey.Id).WaitAsync(Wait);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(1), $"the owner needed {started.Elapsed}");
        Assert.Equal(cookiesBefore + 1, server.GetStatistics().CookiesSent);
    }

    /// <summary>
    /// Every datagram an unvalidated address can send (each handshake type, whole, repeated, cut, with a bad cookie,
    /// under load and over the rate; data packets; garbage) is sent alone, and every reply that comes back to that
    /// address is checked against its size.
    /// </summary>
    [Fact]
    public async Task No_reply_to_an_unvalidated_address_is_larger_than_the_datagram_that_caused_it()
    {
        using NodeKey serverKey = NodeKey.Generate();
        using NodeKey clientKey = NodeKey.Generate();
        var options = new UdpLinkOptions { CookieThreshold = 1, InitiationsPerSecondPerSource = 2, InitiationBurstPerSource = 2 };
        await using UdpEndpoint server = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), serverKey, options);
        await using UdpEndpoint client = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), clientKey);
        await using UdpLink link = await client.ConnectAsync(server.LocalEndPoint, serverKey.Id).WaitAsync(Wait);
        await using UdpLink accepted = await server.AcceptAsync().AsTask().WaitAsync(Wait);
        await link.SendAsync(new byte[] { 1 });

        using NodeKey attackerKey = NodeKey.Generate();
        using UdpHandshake initiator = UdpHandshake.Initiate(attackerKey, options, localCid: 7, now: 0, options.HandshakeTimeout);
        byte[] init = initiator.Packet.ToArray();
        using UdpHandshake responder = UdpHandshake.Respond((NoiseCipher)init[2], 7, init.AsSpan(UdpWire.InitHeaderSize, NoiseHandshake.PublicKeySize), serverKey, options, accepted.LocalConnectionId, now: 0);
        UdpSession session = initiator.ReadResponse(responder.Packet, options, 7, serverKey.Id);
        session.Send.Dispose();
        session.Receive.Dispose();
        byte[] finish = initiator.Packet.ToArray();
        byte[] badCookie = init.ToArray();
        badCookie[7] = UdpWire.CookieSize;
        byte[] data = new byte[UdpWire.PacketOverhead + 20];
        data[0] = UdpWire.TypeData;
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(1), accepted.LocalConnectionId);
        byte[] response = responder.Packet.ToArray();
        byte[] retry = new byte[UdpWire.RetrySize];
        retry[0] = UdpWire.TypeRetry;

        var datagrams = new List<byte[]>();
        for (uint cid = 100; cid < 106; cid++)
        {
            using UdpHandshake fresh = UdpHandshake.Initiate(attackerKey, options, cid, now: 0, options.HandshakeTimeout);
            datagrams.Add(fresh.Packet.ToArray()); // the first are answered, the rest over the rate (and under load)
            datagrams.Add(fresh.Packet.ToArray()); // repeated: a pending one's response is resent
        }

        datagrams.AddRange([badCookie, init[..UdpWire.InitSize], finish, finish[..40], finish[..5], data, data[..5], response, retry, [5, 0, 0, 0, 0]]);

        using var attacker = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        attacker.Bind(new IPEndPoint(AttackerAddress, 0));
        attacker.ReceiveTimeout = 60;
        byte[] buffer = new byte[65536];
        int replies = 0;
        foreach (byte[] datagram in datagrams)
        {
            attacker.SendTo(datagram, server.LocalEndPoint);
            while (TryReceive(attacker, buffer, out int length))
            {
                replies++;
                Assert.True(length <= datagram.Length, $"a {length}-byte reply (type {buffer[0]}) to a {datagram.Length}-byte datagram (type {datagram[0]})");
            }
        }

        Assert.True(replies >= 6, $"only {replies} replies: the test did not exercise the reply paths");
        Assert.Equal(0, server.GetStatistics().RepliesSuppressed);
        Assert.False(accepted.Completion.IsCompleted);
    }

    private static bool TryReceive(Socket socket, byte[] buffer, out int length)
    {
        try
        {
            length = socket.Receive(buffer);
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            length = 0;
            return false;
        }
    }
}
