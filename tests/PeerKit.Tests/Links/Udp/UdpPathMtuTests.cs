using System.Net;
using PeerKit.Links;
using PeerKit.Links.Udp;
using Xunit.Abstractions;

namespace PeerKit.Tests.Links.Udp;

/// <summary>Path MTU discovery (docs/udp.md, "Path MTU discovery") on the simulated network and on loopback.</summary>
public sealed class UdpPathMtuTests
{
    private static readonly TimeSpan Timeout = UdpHarness.Timeout;

    private readonly ITestOutputHelper _output;

    public UdpPathMtuTests(ITestOutputHelper output) => _output = output;

    /// <summary>
    /// The harness's fast timers, but retransmission timeouts of at least 100 ms: a probe is declared lost after one,
    /// so a search costs about a second at most, and a machine busy with other tests does not delay acknowledgements
    /// past it (15 ms would), which would count as loss where the tests assert there was none.
    /// </summary>
    private static UdpLinkOptions Fast(int? maxMtu = null, TimeSpan? searchInterval = null)
    {
        UdpLinkOptions o = UdpHarness.FastOptions();
        return new UdpLinkOptions
        {
            TimerResolution = o.TimerResolution,
            MinRetransmitTimeout = TimeSpan.FromMilliseconds(250), // a stalled thread on a loaded machine must not look like a lost probe
            InitialRetransmitTimeout = o.InitialRetransmitTimeout,
            HandshakeRetransmitInterval = o.HandshakeRetransmitInterval,
            MaxAckDelay = o.MaxAckDelay,
            CloseTimeout = o.CloseTimeout,
            MaxMtu = maxMtu ?? UdpWire.DefaultMaxMtu,
            PathMtuSearchInterval = searchInterval ?? TimeSpan.FromMinutes(10),
        };
    }

    [Fact]
    public async Task Discovery_finds_the_path_mtu_and_then_sends_larger_packets_that_fit_it()
    {
        const int clamp = 1350;
        await using var h = new UdpHarness(seed: 300, new Impairment { MtuClamp = clamp }, Fast());
        var sizes = new PacketSizes(h);
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        await WaitUntilAsync(() => !client.GetStatus().PathMtuSearching && !server.GetStatus().PathMtuSearching, "the searches end");

        UdpLinkStatus status = client.GetStatus();
        _output.WriteLine($"path MTU {status.PathMtu} after {status.PathMtuProbesSent} probes ({status.PathMtuProbesLost} lost)");
        Assert.Equal(1200, client.Mtu);
        Assert.Equal(UdpWire.DefaultMaxMtu, status.MaxPathMtu);
        Assert.InRange(status.PathMtu, clamp - UdpWire.SearchGranularity + 1, clamp);
        Assert.Equal(status.PathMtu, client.PathMtu);
        Assert.InRange(server.GetStatus().PathMtu, clamp - UdpWire.SearchGranularity + 1, clamp); // each direction searches
        Assert.InRange(status.PathMtuProbesLost, UdpWire.MaxProbes, status.PathMtuProbesSent - 1); // 1452 failed three times

        // Bulk data now leaves in packets above the base size, none above the discovered size.
        sizes.Reset();
        byte[] payload = RandomBytes(300_000, 1);
        await client.SendAsync(payload);
        using (LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout))
        {
            Assert.True(frame.Span.SequenceEqual(payload));
        }

        Assert.True(sizes.ClientAboveBase > 150, $"only {sizes.ClientAboveBase} packets above 1200 bytes");
        Assert.InRange(sizes.ClientLargest, 1201, status.PathMtu);
        Assert.Equal(0, client.GetStatus().PacketsLost);
        Assert.Equal(status.PathMtuProbesSent, client.GetStatus().PathMtuProbesSent); // the search is over: no more probes
    }

    [Fact]
    public async Task Discovery_is_off_when_MaxMtu_equals_Mtu_and_no_probe_is_sent()
    {
        await using var h = new UdpHarness(seed: 301, options: Fast(maxMtu: 1200));
        var sizes = new PacketSizes(h);
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        byte[] payload = RandomBytes(100_000, 2);
        await client.SendAsync(payload);
        await server.SendAsync(payload);
        (await server.ReceiveAsync().AsTask().WaitAsync(Timeout)).Dispose();
        (await client.ReceiveAsync().AsTask().WaitAsync(Timeout)).Dispose();
        await Task.Delay(100); // any probe would have gone by now

        foreach (UdpLink link in new[] { client, server })
        {
            UdpLinkStatus status = link.GetStatus();
            Assert.False(status.PathMtuSearching);
            Assert.Equal(0, status.PathMtuProbesSent);
            Assert.Equal(1200, status.PathMtu);
            Assert.Equal(1200, status.MaxPathMtu);
        }

        Assert.InRange(sizes.ClientLargest, 1100, 1200); // full packets (as full as 1,088-byte chunks make them), nothing larger
        Assert.InRange(sizes.ServerLargest, 1100, 1200);
    }

    [Fact]
    public async Task Probes_lost_to_a_small_path_mtu_are_not_data_loss_and_do_not_shrink_the_window()
    {
        await using var h = new UdpHarness(seed: 302, new Impairment { MtuClamp = 1300 }, Fast());
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        long initialWindow = client.GetStatus().CongestionWindow;

        // Data keeps flowing while the search runs (probes are not in flight and never wait for anything).
        Task sending = UdpHarness.SendNumbersAsync(client, 2000, Reliability.ReliableOrdered, delayEvery: 100);
        for (int i = 0; i < 2000; i++)
        {
            using LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(i, UdpHarness.ReadNumber(frame));
        }

        await sending.WaitAsync(Timeout);
        await WaitUntilAsync(() => !client.GetStatus().PathMtuSearching, "the search ends");
        await WaitUntilAsync(() => client.GetStatus().BytesInFlight == 0, "everything is acknowledged");

        UdpLinkStatus status = client.GetStatus();
        _output.WriteLine($"path MTU {status.PathMtu}; probes {status.PathMtuProbesSent}, lost {status.PathMtuProbesLost}; packets lost {status.PacketsLost}; cwnd {status.CongestionWindow}");
        Assert.InRange(status.PathMtu, 1300 - UdpWire.SearchGranularity + 1, 1300);
        Assert.True(status.PathMtuProbesLost >= 2 * UdpWire.MaxProbes, $"only {status.PathMtuProbesLost} probes lost");
        Assert.Equal(0, status.PacketsLost);
        Assert.Equal(0.0, status.Loss);
        Assert.True(status.CongestionWindow >= initialWindow, $"the window shrank from {initialWindow} to {status.CongestionWindow}");
        Assert.Equal(0, status.PathMtuBlackHoles);
    }

    [Fact]
    public async Task A_black_hole_takes_the_link_back_to_the_base_size_and_reliable_frames_still_arrive_once_in_order()
    {
        await using var h = new UdpHarness(seed: 303, options: Fast());
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        await WaitUntilAsync(() => client.PathMtu == UdpWire.DefaultMaxMtu, "the search reaches 1452");

        await WaitUntilAsync(() => !client.GetStatus().PathMtuSearching, "the search ends");

        // Frames of three kinds: small, 1,300 bytes (whole at 1452, fragments at 1200) and 20,000 bytes (fragmented
        // for 1452-byte packets). After the client's 100th packet above 1250 bytes, the path drops every larger one:
        // packets in flight, frames half sent and frames queued were all cut for the larger size.
        int large = 0;
        h.Network.Filter = (from, data) => from == h.ClientTransport && data.Length > 1250 && Interlocked.Increment(ref large) > 100;
        const int count = 300;
        Task sending = Task.Run(async () =>
        {
            for (int i = 0; i < count; i++)
            {
                await client.SendAsync(Frame(i));
            }
        });
        for (int i = 0; i < count; i++)
        {
            using LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
            Assert.True(frame.Span.SequenceEqual(Frame(i)), $"frame {i} arrived altered or out of order");
        }

        await sending.WaitAsync(Timeout);
        await Task.Delay(100);
        Assert.False(server.TryReceive(out _)); // nothing twice

        UdpLinkStatus status = client.GetStatus();
        _output.WriteLine($"black holes {status.PathMtuBlackHoles}; path MTU {status.PathMtu}; packets lost {status.PacketsLost}");
        Assert.True(status.PathMtuBlackHoles >= 1, "the black hole was detected");
        Assert.True(status.PacketsLost > 0);

        // The search runs again a second later and settles below the new path MTU.
        await WaitUntilAsync(() => !client.GetStatus().PathMtuSearching, "the search after the black hole ends");
        Assert.InRange(client.PathMtu, 1250 - UdpWire.SearchGranularity + 1, 1250);
        await client.SendAsync(Frame(count));
        using (LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout))
        {
            Assert.True(frame.Span.SequenceEqual(Frame(count)));
        }

        static byte[] Frame(int i)
        {
            byte[] frame = new byte[(i % 3) switch { 0 => 40, 1 => 1300, _ => 20_000 }];
            new Random(i).NextBytes(frame);
            BitConverter.TryWriteBytes(frame, i);
            return frame;
        }
    }

    [Fact]
    public async Task A_probe_the_socket_refuses_as_too_large_for_the_interface_counts_as_lost()
    {
        await using var h = new UdpHarness(seed: 307, options: Fast());
        h.ClientTransport.InterfaceMtu = 1400; // sendto fails with EMSGSIZE above this
        var sizes = new PacketSizes(h);
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        await WaitUntilAsync(() => !client.GetStatus().PathMtuSearching, "the search ends");
        UdpLinkStatus status = client.GetStatus();
        Assert.InRange(status.PathMtu, 1400 - UdpWire.SearchGranularity + 1, 1400);
        Assert.True(h.ClientTransport.Refused >= UdpWire.MaxProbes, $"only {h.ClientTransport.Refused} sends refused");
        Assert.True(status.PathMtuProbesLost >= h.ClientTransport.Refused);
        Assert.InRange(sizes.ClientLargest, 1, 1400); // nothing larger reached the network
        Assert.Equal(0, status.PacketsLost);

        await AssertCarriesAsync(client, server, 50_000, seed: 8);
    }

    [Fact]
    public async Task A_probe_send_that_fails_for_another_reason_is_tried_again_and_not_counted_as_too_large()
    {
        await using var h = new UdpHarness(seed: 309, options: Fast());
        h.ClientTransport.FailSendsAbove = 1200; // as if the socket's buffer were full (ENOBUFS) for every probe
        (UdpLink client, _) = await h.ConnectAsync();
        await WaitUntilAsync(() => h.ClientTransport.Failed >= 2 * UdpWire.MaxProbes, "probes are tried again and again");
        UdpLinkStatus failing = client.GetStatus();
        Assert.True(failing.PathMtuSearching, "the search goes on");
        Assert.Equal(0, failing.PathMtuProbesLost); // a failed send says nothing about the size
        Assert.Equal(1200, client.PathMtu);

        h.ClientTransport.FailSendsAbove = int.MaxValue;
        await WaitUntilAsync(() => !client.GetStatus().PathMtuSearching, "the search ends once sends go through");
        Assert.Equal(1452, client.PathMtu); // the ceiling itself: it was never counted as too large
    }

    [Fact]
    public async Task A_peer_announcing_a_smaller_max_mtu_is_never_probed_above_it()
    {
        await using var h = new UdpHarness(seed: 304, options: Fast(), serverOptions: Fast(maxMtu: 1300));
        var sizes = new PacketSizes(h);
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        await WaitUntilAsync(() => !client.GetStatus().PathMtuSearching && !server.GetStatus().PathMtuSearching, "the searches end");
        Assert.Equal(1300, client.GetStatus().MaxPathMtu);
        Assert.Equal(1300, client.PathMtu); // the first probe, at the ceiling, got through
        Assert.Equal(1300, server.PathMtu);
        Assert.Equal(1, client.GetStatus().PathMtuProbesSent);

        Assert.Equal(1300, sizes.ClientLargest); // the probe

        sizes.Reset();
        await AssertCarriesAsync(client, server, 100_000, seed: 4);
        Assert.InRange(sizes.ClientLargest, 1201, 1300); // data in packets above the base size, up to the peer's maximum
    }

    [Fact]
    public async Task The_search_runs_again_after_the_search_interval_and_finds_a_larger_path_mtu()
    {
        await using var h = new UdpHarness(seed: 305, new Impairment { MtuClamp = 1300 }, Fast(searchInterval: TimeSpan.FromMilliseconds(300)));
        (UdpLink client, _) = await h.ConnectAsync();
        await WaitUntilAsync(() => !client.GetStatus().PathMtuSearching, "the search ends");
        Assert.InRange(client.PathMtu, 1300 - UdpWire.SearchGranularity + 1, 1300);
        long probes = client.GetStatus().PathMtuProbesSent;

        h.Network.Impairment = Impairment.None; // the path now carries 1452
        await WaitUntilAsync(() => client.PathMtu == UdpWire.DefaultMaxMtu, "the raise timer finds 1452");
        Assert.True(client.GetStatus().PathMtuProbesSent > probes);
    }

    [Fact]
    public async Task A_new_peer_address_starts_again_from_the_base_size()
    {
        await using var h = new UdpHarness(seed: 306, options: Fast());
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        await WaitUntilAsync(() => server.PathMtu == UdpWire.DefaultMaxMtu && !server.GetStatus().PathMtuSearching, "the server's search ends");
        long probes = server.GetStatus().PathMtuProbesSent;

        // The client moves behind a path that carries less: the server must not keep sending 1452-byte packets.
        var rebound = new IPEndPoint(IPAddress.Parse("10.0.0.77"), 6000);
        h.Network.Impairment = new Impairment { MtuClamp = 1300 };
        h.ClientTransport.Rebind(rebound);
        await client.SendAsync(new byte[] { 1 });
        (await server.ReceiveAsync().AsTask().WaitAsync(Timeout)).Dispose();
        await WaitUntilAsync(() => rebound.Equals(server.RemoteAddress), "the server moves");
        await WaitUntilAsync(() => server.GetStatus().PathMtuProbesSent > probes && !server.GetStatus().PathMtuSearching, "the server searches again");
        Assert.InRange(server.PathMtu, 1300 - UdpWire.SearchGranularity + 1, 1300);
        Assert.Equal(0, server.GetStatus().PathMtuBlackHoles); // it started from the base size, so nothing was lost

        await AssertCarriesAsync(server, client, 50_000, seed: 6);
    }

    [Fact]
    public async Task Loopback_endpoints_reach_the_configured_max_mtu()
    {
        using NodeKey serverKey = NodeKey.Generate();
        using NodeKey clientKey = NodeKey.Generate();
        var options = new UdpLinkOptions { MaxMtu = 9000 };
        var loopback = new IPEndPoint(IPAddress.Loopback, 0);
        await using UdpEndpoint serverEndpoint = UdpEndpoint.Start(loopback, serverKey, options);
        await using UdpEndpoint clientEndpoint = UdpEndpoint.Start(loopback, clientKey, options);
        UdpLink client = await clientEndpoint.ConnectAsync(serverEndpoint.LocalEndPoint).WaitAsync(Timeout);
        UdpLink server = await serverEndpoint.AcceptAsync().AsTask().WaitAsync(Timeout);
        await WaitUntilAsync(() => !client.GetStatus().PathMtuSearching && !server.GetStatus().PathMtuSearching, "the searches end");
        Assert.Equal(9000, client.PathMtu); // loopback's MTU is 65536
        Assert.Equal(9000, server.PathMtu);
        Assert.Equal(0, client.GetStatus().PathMtuProbesLost);

        long before = client.GetStatus().PacketsSent;
        await AssertCarriesAsync(client, server, 1 << 20, seed: 7);
        long packets = client.GetStatus().PacketsSent - before;
        _output.WriteLine($"1 MiB in {packets} packets");
        Assert.InRange(packets, 1, (1 << 20) / 4000); // at 1200 bytes it would take over 900
    }

    /// <summary>Sends a random frame of <paramref name="length"/> bytes and checks it arrives intact.</summary>
    private static async Task AssertCarriesAsync(UdpLink from, UdpLink to, int length, int seed)
    {
        byte[] payload = RandomBytes(length, seed);
        await from.SendAsync(payload);
        using LinkFrame frame = await to.ReceiveAsync().AsTask().WaitAsync(Timeout);
        Assert.True(frame.Span.SequenceEqual(payload));
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"timed out waiting until {what}");
            await Task.Delay(5);
        }
    }

    /// <summary>The sizes of the data packets each side sends into the simulated network (before it drops any).</summary>
    private sealed class PacketSizes
    {
        private readonly object _lock = new();
        private int _clientLargest;
        private int _serverLargest;
        private int _clientAboveBase;

        public PacketSizes(UdpHarness h)
        {
            h.Network.Filter = (from, data) =>
            {
                if (data[0] == UdpWire.TypeData)
                {
                    lock (_lock)
                    {
                        if (from == h.ClientTransport)
                        {
                            _clientLargest = Math.Max(_clientLargest, data.Length);
                            _clientAboveBase += data.Length > 1200 ? 1 : 0;
                        }
                        else
                        {
                            _serverLargest = Math.Max(_serverLargest, data.Length);
                        }
                    }
                }

                return false;
            };
        }

        public int ClientLargest { get { lock (_lock) { return _clientLargest; } } }

        public int ServerLargest { get { lock (_lock) { return _serverLargest; } } }

        public int ClientAboveBase { get { lock (_lock) { return _clientAboveBase; } } }

        public void Reset()
        {
            lock (_lock)
            {
                _clientLargest = 0;
                _serverLargest = 0;
                _clientAboveBase = 0;
            }
        }
    }
}
