using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using PeerKit.Links;
using PeerKit.Links.Noise;
using PeerKit.Links.Udp;
using Xunit.Abstractions;

namespace PeerKit.Tests.Links.Udp;

/// <summary>The UDP link over real loopback sockets.</summary>
public sealed class UdpSocketTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);

    private readonly ITestOutputHelper _output;
    private readonly NodeKey _serverKey = NodeKey.Generate();
    private readonly NodeKey _clientKey = NodeKey.Generate();
    private readonly List<UdpEndpoint> _endpoints = new();

    public UdpSocketTests(ITestOutputHelper output) => _output = output;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (UdpEndpoint endpoint in _endpoints)
        {
            await endpoint.DisposeAsync().AsTask().WaitAsync(Timeout);
        }

        _serverKey.Dispose();
        _clientKey.Dispose();
    }

    [Fact]
    public async Task Loopback_endpoints_connect_and_carry_frames_both_ways()
    {
        UdpEndpoint server = Start(_serverKey);
        UdpEndpoint client = Start(_clientKey);
        Assert.NotEqual(0, server.LocalEndPoint.Port);
        Assert.Equal(_serverKey.Id, server.LocalId);

        UdpLink toServer = await client.ConnectAsync(server.LocalEndPoint, _serverKey.Id).WaitAsync(Timeout);
        UdpLink toClient = await server.AcceptAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(_clientKey.Id, toClient.RemoteId);
        Assert.Equal(_serverKey.Id, toServer.RemoteId);
        Assert.Equal(server.LocalEndPoint, toServer.RemoteAddress);
        Assert.Equal(client.LocalEndPoint, toClient.RemoteAddress);

        const int count = 10_000;
        await Task.WhenAll(
            UdpHarness.SendNumbersAsync(toServer, count, Reliability.ReliableOrdered),
            UdpHarness.SendNumbersAsync(toClient, count, Reliability.ReliableOrdered),
            ReceiveInOrderAsync(toClient, count),
            ReceiveInOrderAsync(toServer, count)).WaitAsync(Timeout);

        // One socket, many peers: a second client dials the same server endpoint.
        using NodeKey thirdKey = NodeKey.Generate();
        UdpEndpoint third = Start(thirdKey);
        UdpLink fromThird = await third.ConnectAsync(server.LocalEndPoint).WaitAsync(Timeout);
        UdpLink toThird = await server.AcceptAsync().AsTask().WaitAsync(Timeout);
        await fromThird.SendAsync(new byte[] { 3 }, Reliability.Unreliable);
        using (LinkFrame frame = await toThird.ReceiveAsync().AsTask().WaitAsync(Timeout))
        {
            Assert.Equal(3, frame.Span[0]);
        }

        Assert.Equal(2, server.GetStatistics().Links);
        Assert.True(toServer.GetStatus().Rtt > TimeSpan.Zero);
    }

    [Fact]
    public async Task Real_peer_connects_during_a_flood_of_forged_initiations_and_pending_state_stays_capped()
    {
        // The forged initiations stand for many spoofed sources: the per-source cap (8) is lifted so the cookies are tested.
        var options = new UdpLinkOptions { CookieThreshold = 16, MaxPendingHandshakes = 64, MaxPendingHandshakesPerSource = 64, HandshakeRetransmitInterval = TimeSpan.FromMilliseconds(50), TimerResolution = TimeSpan.FromMilliseconds(2) };
        UdpEndpoint server = Start(_serverKey, options);
        UdpEndpoint client = Start(_clientKey, options);

        // Forged initiations: well formed, with a valid ephemeral key, random connection ids; the attacker never
        // answers (a spoofed source would not even see the replies).
        using NodeKey forgedEphemeral = NodeKey.Generate();
        byte[] init = new byte[UdpWire.InitSize];
        init[0] = UdpWire.TypeInit;
        init[1] = UdpWire.Version;
        init[2] = (byte)NoiseCipherState.Default;
        forgedEphemeral.PublicKey.CopyTo(init.AsSpan(UdpWire.InitHeaderSize));
        const int floodCount = 30_000;
        long memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        using var attacker = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        attacker.Bind(Loopback);
        var random = new Random(42);
        Task flood = Task.Run(async () =>
        {
            for (int i = 0; i < floodCount; i++)
            {
                BinaryPrimitives.WriteUInt32BigEndian(init.AsSpan(3), (uint)random.Next(1, int.MaxValue));
                attacker.SendTo(init, server.LocalEndPoint);
                if (i % 500 == 0)
                {
                    await Task.Yield();
                }
            }
        });

        await Task.Delay(20); // the flood is under way
        var watch = System.Diagnostics.Stopwatch.StartNew();
        UdpLink link = await client.ConnectAsync(server.LocalEndPoint, _serverKey.Id).WaitAsync(Timeout);
        UdpLink accepted = await server.AcceptAsync().AsTask().WaitAsync(Timeout);
        TimeSpan connectTime = watch.Elapsed;
        await flood.WaitAsync(Timeout);
        await Task.Delay(200);

        UdpEndpointStatistics stats = server.GetStatistics();
        long memoryGrowth = GC.GetTotalMemory(forceFullCollection: true) - memoryBefore;
        _output.WriteLine($"connected in {connectTime}; {stats}; memory growth {memoryGrowth:N0} bytes");
        Assert.Equal(_clientKey.Id, accepted.RemoteId);
        Assert.True(stats.PeakPendingHandshakes <= options.CookieThreshold + 1, $"pending handshakes peaked at {stats.PeakPendingHandshakes}");
        Assert.True(stats.PendingHandshakes <= options.MaxPendingHandshakes);
        Assert.True(stats.CookiesSent > 1000, $"only {stats.CookiesSent} cookies");
        // The flood reached the server (a loaded machine's socket buffer drops much of it: 6,733 of 30,000 once).
        Assert.True(stats.DatagramsReceived > 2_000, $"only {stats.DatagramsReceived} of {floodCount} forged datagrams arrived");
        Assert.InRange(memoryGrowth, long.MinValue, 32L * 1024 * 1024);

        await link.SendAsync(new byte[] { 1, 2, 3 });
        using LinkFrame frame = await accepted.ReceiveAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(new byte[] { 1, 2, 3 }, frame.ToArray());
    }

    [Fact]
    public async Task Cookie_mode_for_every_initiation_still_lets_peers_in()
    {
        UdpEndpoint server = Start(_serverKey, new UdpLinkOptions { CookieThreshold = 0 });
        UdpEndpoint client = Start(_clientKey);
        UdpLink link = await client.ConnectAsync(server.LocalEndPoint).WaitAsync(Timeout);
        await using UdpLink accepted = await server.AcceptAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(1, server.GetStatistics().CookiesSent);
        Assert.Equal(_serverKey.Id, link.RemoteId);
    }

    [Fact]
    public async Task Garbage_datagrams_are_counted_and_the_endpoint_keeps_serving()
    {
        UdpEndpoint server = Start(_serverKey);
        using var attacker = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        attacker.Bind(Loopback);
        var random = new Random(7);
        for (int i = 0; i < 2000; i++)
        {
            byte[] garbage = new byte[random.Next(0, 1500)];
            random.NextBytes(garbage);
            if (garbage.Length > 0)
            {
                garbage[0] = (byte)random.Next(0, 8); // aim at every packet type
            }

            attacker.SendTo(garbage, server.LocalEndPoint);
        }

        await Task.Delay(300);
        UdpEndpointStatistics stats = server.GetStatistics();
        Assert.True(stats.DatagramsReceived > 1000);
        Assert.True(stats.DroppedMalformed + stats.DroppedUnknownConnection + stats.CookiesSent >= stats.DatagramsReceived - stats.PendingHandshakes);
        Assert.Equal(0, stats.Links);

        UdpEndpoint client = Start(_clientKey);
        UdpLink link = await client.ConnectAsync(server.LocalEndPoint).WaitAsync(Timeout);
        UdpLink accepted = await server.AcceptAsync().AsTask().WaitAsync(Timeout);
        await link.SendAsync(new byte[] { 5 });
        using LinkFrame frame = await accepted.ReceiveAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(5, frame.Span[0]);
    }

    [Fact]
    public async Task Disposing_the_endpoint_closes_its_links_and_refuses_accepts()
    {
        UdpEndpoint server = Start(_serverKey);
        UdpEndpoint client = Start(_clientKey);
        UdpLink link = await client.ConnectAsync(server.LocalEndPoint).WaitAsync(Timeout);
        UdpLink accepted = await server.AcceptAsync().AsTask().WaitAsync(Timeout);
        ValueTask<UdpLink> pendingAccept = server.AcceptAsync();
        await server.DisposeAsync();
        Assert.Equal(LinkCloseReason.Requested, await accepted.Completion.WaitAsync(Timeout));
        Assert.Equal(LinkCloseReason.RemoteClosed, await link.Completion.WaitAsync(Timeout));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pendingAccept.AsTask().WaitAsync(Timeout));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => server.ConnectAsync(client.LocalEndPoint));
    }

    private UdpEndpoint Start(NodeKey key, UdpLinkOptions? options = null)
    {
        UdpEndpoint endpoint = UdpEndpoint.Start(Loopback, key, options);
        _endpoints.Add(endpoint);
        return endpoint;
    }

    private static async Task ReceiveInOrderAsync(IMessageLink link, int count)
    {
        for (int i = 0; i < count; i++)
        {
            using LinkFrame frame = await link.ReceiveAsync();
            Assert.Equal(i, UdpHarness.ReadNumber(frame));
        }
    }
}
