using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PeerKit.Links;
using PeerKit.Links.Tcp;
using PeerKit.Links.Udp;
using PeerKit.Tests.Nodes;
using static PeerKit.Tests.Nodes.NodeTestKit;

namespace PeerKit.Tests.Hostile;

/// <summary>
/// Issue 13's bounded soak: the floods run together against one node while a legitimate peer exchanges reliable
/// messages; loopback only, stops by itself. CI runs 8 s; set <c>PEERKIT_SOAK_SECONDS</c> (at most 120) for longer.
/// </summary>
[Collection(ProcessWideMemory.Name)]
public sealed class FloodSoakTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Under_every_flood_a_legitimate_peer_keeps_exactly_once_delivery_and_fresh_peers_get_in_within_two_seconds()
    {
        int seconds = Math.Clamp(int.TryParse(Environment.GetEnvironmentVariable("PEERKIT_SOAK_SECONDS"), out int s) ? s : 8, 4, 120);
        var chat = new ChatProtocol();
        PeerNodeOptions options = Options("hub", chat);
        options.ListenAddresses.Add(NodeAddress.Parse("tcp://127.0.0.1:0"));
        options.ListenAddresses.Add(NodeAddress.Parse("udp://127.0.0.1:0"));
        await using PeerNode hub = await StartAsync(options);
        NodeAddress tcp = hub.ListenAddresses.Single(a => a.Scheme == NodeAddress.Tcp);
        NodeAddress udp = hub.ListenAddresses.Single(a => a.Scheme == NodeAddress.Udp);
        IPEndPoint tcpEndPoint = await tcp.ResolveAsync();
        IPEndPoint udpEndPoint = await udp.ResolveAsync();

        await using PeerNode alice = await StartAsync(Options("alice", new ChatProtocol()));
        Peer toHub = await alice.ConnectAsync(udp).WaitAsync(Wait);
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        await using var silentTcp = new SilentTcpFlood(tcpEndPoint, 200);
        await silentTcp.StartAsync();
        Task silentUdp = HoldSilentUdpLinksAsync(udpEndPoint, 100, stop.Token);
        Task forged = SendForgedDatagramsAsync(udpEndPoint, stop.Token);
        Task prefixes = HoldLengthPrefixesAsync(tcpEndPoint, 16, stop.Token);

        long peakHeap = 0;
        var admissions = new List<TimeSpan>();
        int sent = 0;
        var watch = Stopwatch.StartNew();
        while (!stop.IsCancellationRequested)
        {
            await toHub.SendAsync(new Say(sent.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            sent++;
            if (sent % 200 == 0)
            {
                peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
                await Task.Delay(10);
            }

            if (watch.Elapsed > TimeSpan.FromSeconds(2) && admissions.Count < 2)
            {
                // A fresh peer, over each transport, in the middle of the floods.
                await using PeerNode fresh = await StartAsync(Options("fresh", new ChatProtocol()));
                var started = Stopwatch.StartNew();
                await fresh.ConnectAsync(admissions.Count == 0 ? tcp : udp).WaitAsync(Wait);
                admissions.Add(started.Elapsed);
            }
        }

        await Task.WhenAll(silentUdp, forged, prefixes);
        output.WriteLine($"{seconds} s: {sent} reliable messages sent; fresh peers got in after {string.Join(", ", admissions)}; " +
            $"heap growth peak {(peakHeap - heapBefore) / (1024 * 1024)} MiB; working set {Environment.WorkingSet / (1024 * 1024)} MiB; " +
            $"rejected {hub.RejectedConnectionCount}, failed handshakes {hub.FailedHandshakeCount}; silent TCP opened {silentTcp.Opened}");

        // Exactly once, in order: every message the legitimate peer sent, nothing twice, nothing else.
        for (int i = 0; i < sent; i++)
        {
            (NodeId from, string text) = await chat.Said.Reader.ReadAsync().AsTask().WaitAsync(Wait);
            Assert.Equal(alice.Id, from);
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), text);
        }

        Assert.False(chat.Said.Reader.TryRead(out _), "a message arrived twice");
        Assert.True(toHub.IsConnected);
        Assert.Equal(2, admissions.Count);
        Assert.All(admissions, took => Assert.True(took < TimeSpan.FromSeconds(2), $"a fresh peer needed {took}"));
        // 16 length prefixes claiming 16 MiB allocated 32 MiB each before (512 MiB); the floods' own state is small.
        long growth = peakHeap - heapBefore;
        Assert.True(growth < 256L * 1024 * 1024, $"the managed heap grew by {growth / (1024 * 1024)} MiB");
        Assert.True(hub.RejectedConnectionCount > 0);
    }

    private static async Task HoldSilentUdpLinksAsync(IPEndPoint target, int count, CancellationToken stop)
    {
        using NodeKey key = NodeKey.Generate();
        await using UdpEndpoint attacker = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), key);
        var links = new List<UdpLink>();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                links.RemoveAll(l => l.Completion.IsCompleted);
                while (links.Count < count && !stop.IsCancellationRequested)
                {
                    try
                    {
                        links.Add(await attacker.ConnectAsync(target, cancellationToken: stop));
                    }
                    catch (Exception e) when (e is LinkException or OperationCanceledException)
                    {
                        break;
                    }
                }

                await Task.Delay(100, CancellationToken.None);
            }
        }
        finally
        {
            foreach (UdpLink link in links)
            {
                await link.DisposeAsync();
            }
        }
    }

    private static async Task SendForgedDatagramsAsync(IPEndPoint target, CancellationToken stop)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var random = new Random(13);
        byte[] packet = new byte[1400];
        while (!stop.IsCancellationRequested)
        {
            for (int i = 0; i < 200; i++)
            {
                int length = random.Next(1, packet.Length);
                random.NextBytes(packet.AsSpan(0, length));
                packet[0] = (byte)random.Next(0, 8); // every packet type, most of them malformed
                await socket.SendToAsync(packet.AsMemory(0, length), SocketFlags.None, target);
            }

            await Task.Delay(5, CancellationToken.None);
        }
    }

    private static async Task HoldLengthPrefixesAsync(IPEndPoint target, int count, CancellationToken stop)
    {
        var held = new List<(Socket, TcpLink)>();
        try
        {
            for (int i = 0; i < count && !stop.IsCancellationRequested; i++)
            {
                (Socket socket, TcpLink link) = await TcpFloodTests.RawClientAsync(target);
                held.Add((socket, link));
                await socket.SendAsync(new byte[] { 0x01, 0x00, 0x00, 0x10 }, SocketFlags.None);
            }

            await Task.Delay(Timeout.Infinite, stop).ContinueWith(_ => { }, TaskScheduler.Default);
        }
        catch (Exception e) when (e is SocketException or LinkException)
        {
            // The node closed some: that is its right.
        }
        finally
        {
            foreach ((_, TcpLink link) in held)
            {
                await link.DisposeAsync();
            }
        }
    }
}
