using System.Net;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using PeerKit.Links;
using PeerKit.Links.Udp;

namespace PeerKit.Benchmarks;

/// <summary>
/// A UDP link through a router's relay switch against the same link direct, on 127.0.0.1 in one process: three
/// endpoints (two clients and a router), each with its own socket and receive thread. The direct link is the baseline
/// of every category, so the Ratio column is the relay's cost: time per message (or per round trip) through the relay
/// over time direct. The router forwards sealed packets (one more hop, one more receive thread, 5 bytes more per packet).
/// </summary>
/// <remarks>Path MTU discovery is off and the base size 1400 on both links, so both send packets of the same size.
/// The relay's limits are raised so that they never drop a packet here.</remarks>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class RelayBenchmarks
{
    private const int Small = 20_000;
    private const int Large = 10_000;
    private const int Rounds = 1_000;
    private const string ReliableSmall = "ReliableOrdered 64 B";
    private const string ReliableLarge = "Reliable 1200 B";
    private const string PingPong = "Ping-pong 64 B";

    private readonly byte[] _small = new byte[64];
    private readonly byte[] _large = new byte[1200];
    private readonly List<IAsyncDisposable> _owned = new();
    private readonly List<Task> _loops = new();
    private NodeKey? _aKey;
    private NodeKey? _bKey;
    private NodeKey? _routerKey;
    private Pair _direct = null!;
    private Pair _relayed = null!;
    private RelayBinding? _binding;

    private sealed record Pair(UdpLink Sender, UdpLink Receiver, UdpLink Pinger);

    [GlobalSetup]
    public void Setup()
    {
        var options = new UdpLinkOptions
        {
            Mtu = 1400,
            MaxMtu = 1400,
            TimerResolution = TimeSpan.FromMilliseconds(1),
            MaxAckDelay = TimeSpan.FromMilliseconds(1),
        };
        _aKey = NodeKey.Generate();
        _bKey = NodeKey.Generate();
        _routerKey = NodeKey.Generate();
        UdpEndpoint router = Start(_routerKey, options);
        UdpEndpoint a = Start(_aKey, options);
        UdpEndpoint b = Start(_bKey, options);
        RelaySwitch relay = router.StartRelaySwitch(new RelayLimits { MaxBytesPerSecond = 1L << 40, BurstBytes = 1L << 40, MaxBytesPerBinding = long.MaxValue });

        // Direct: a dials b's address.
        UdpLink directSender = a.ConnectAsync(b.LocalEndPoint, _bKey.Id).GetAwaiter().GetResult();
        UdpLink directReceiver = b.AcceptAsync().AsTask().GetAwaiter().GetResult();
        UdpLink directPinger = a.ConnectAsync(b.LocalEndPoint, _bKey.Id).GetAwaiter().GetResult();
        Echo(b.AcceptAsync().AsTask().GetAwaiter().GetResult());
        _direct = new Pair(directSender, directReceiver, directPinger);

        // Relayed: the same sockets, through the router, one binding per link.
        (UdpLink relaySender, UdpLink relayReceiver) = Relayed(relay, router, a, b);
        (UdpLink relayPinger, UdpLink relayEcho) = Relayed(relay, router, a, b);
        Echo(relayEcho);
        _relayed = new Pair(relaySender, relayReceiver, relayPinger);
        if (relaySender.ActivePath != LinkPath.Relay || directSender.ActivePath != LinkPath.Direct)
        {
            throw new InvalidOperationException("The links are not on the paths they should measure.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_binding is { } binding)
        {
            Console.WriteLine($"relayed through the router: {binding.GetCounters()}");
        }

        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        Task.WhenAll(_loops).GetAwaiter().GetResult();
        _aKey!.Dispose();
        _bKey!.Dispose();
        _routerKey!.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Small), BenchmarkCategory(ReliableSmall)]
    public Task Direct_ReliableOrdered64() => TransferAsync(_direct, _small, Small);

    [Benchmark(OperationsPerInvoke = Small), BenchmarkCategory(ReliableSmall)]
    public Task Relay_ReliableOrdered64() => TransferAsync(_relayed, _small, Small);

    [Benchmark(Baseline = true, OperationsPerInvoke = Large), BenchmarkCategory(ReliableLarge)]
    public Task Direct_Reliable1200() => TransferAsync(_direct, _large, Large);

    [Benchmark(OperationsPerInvoke = Large), BenchmarkCategory(ReliableLarge)]
    public Task Relay_Reliable1200() => TransferAsync(_relayed, _large, Large);

    [Benchmark(Baseline = true, OperationsPerInvoke = Rounds), BenchmarkCategory(PingPong)]
    public Task Direct_PingPong64() => PingPongAsync(_direct.Pinger);

    [Benchmark(OperationsPerInvoke = Rounds), BenchmarkCategory(PingPong)]
    public Task Relay_PingPong64() => PingPongAsync(_relayed.Pinger);

    private UdpEndpoint Start(NodeKey key, UdpLinkOptions options)
    {
        UdpEndpoint endpoint = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), key, options);
        _owned.Add(endpoint);
        return endpoint;
    }

    private (UdpLink Dialer, UdpLink Acceptor) Relayed(RelaySwitch relay, UdpEndpoint router, UdpEndpoint a, UdpEndpoint b)
    {
        RelayBinding binding = relay.Bind(a.LocalEndPoint, b.LocalEndPoint);
        _binding ??= binding;
        b.OpenRelayChannel(router.LocalEndPoint, binding.SecondChannel);
        UdpLink dialer = a.ConnectViaRelayAsync(router.LocalEndPoint, binding.FirstChannel, _bKey!.Id).GetAwaiter().GetResult();
        UdpLink acceptor = b.AcceptAsync().AsTask().GetAwaiter().GetResult();
        return (dialer, acceptor);
    }

    private void Echo(UdpLink echo)
    {
        _loops.Add(Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    using LinkFrame frame = await echo.ReceiveAsync().ConfigureAwait(false);
                    await echo.SendAsync(frame.Memory).ConfigureAwait(false);
                }
            }
            catch (LinkClosedException)
            {
            }
        }));
    }

    private static async Task TransferAsync(Pair pair, byte[] frame, int count)
    {
        UdpLink receiver = pair.Receiver;
        Task receiving = Task.Run(async () =>
        {
            for (int i = 0; i < count; i++)
            {
                (await receiver.ReceiveAsync()).Dispose();
            }
        });
        for (int i = 0; i < count; i++)
        {
            await pair.Sender.SendAsync(frame, Reliability.ReliableOrdered);
        }

        await receiving;
    }

    private async Task PingPongAsync(UdpLink pinger)
    {
        for (int i = 0; i < Rounds; i++)
        {
            await pinger.SendAsync(_small).ConfigureAwait(false);
            (await pinger.ReceiveAsync().ConfigureAwait(false)).Dispose();
        }
    }
}
