using System.Net;
using System.Reflection;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using PeerKit.Links;
using PeerKit.Links.Udp;

namespace PeerKit.Benchmarks;

/// <summary>
/// PeerKit's UDP link (Noise-encrypted, congestion-controlled) against ENet 1.3 (Debian libenet-dev, no encryption)
/// and raw UDP with sendmmsg/recvmmsg, all on 127.0.0.1 in one process. Each category has ENet as its baseline, so
/// the Ratio column is time per message (or per round trip) over ENet's. The native side is
/// <c>benchmarks/baselines/enet</c> (build it first: <c>cmake -S benchmarks/baselines/enet -B
/// benchmarks/baselines/enet/build &amp;&amp; cmake --build benchmarks/baselines/enet/build</c>).
/// </summary>
/// <remarks>
/// Both PeerKit links use a fixed MTU of 1400 (ENet's default is 1392) so a 1200-byte message travels in one datagram;
/// path MTU discovery is off (<c>MaxMtu = Mtu</c>), as ENet has none, so both sides send packets of the same size.
/// The native benchmarks open their connection inside each invocation (about a millisecond against 10–100 ms of
/// traffic); PeerKit's links are connected once in the setup. Unreliable loss is printed at the end of the run.
/// </remarks>
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 8)]
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class UdpBenchmarks
{
    internal const int Small = 50_000;
    internal const int Large = 20_000;
    internal const int Rounds = 2_000;
    private const string ReliableSmall = "ReliableOrdered 64 B";
    private const string ReliableLarge = "Reliable 1200 B";
    private const string UnreliableSmall = "Unreliable 64 B";
    private const string PingPongPolling = "Ping-pong 64 B, busy polling";
    private const string PingPongBlocking = "Ping-pong 64 B, blocking waits";

    private readonly byte[] _small = new byte[64];
    private readonly byte[] _large = new byte[1200];
    private readonly List<string> _losses = new();
    private NodeKey? _serverKey;
    private NodeKey? _clientKey;
    private UdpEndpoint? _server;
    private UdpEndpoint? _client;
    private UdpLink? _sender;
    private UdpLink? _receiver;
    private UdpEndpoint? _defaultServer;
    private UdpEndpoint? _defaultClient;
    private UdpLink? _defaultSender;
    private UdpLink? _defaultReceiver;
    private UdpLink? _pinger;
    private UdpLink? _echo;
    private Task? _echoLoop;
    private EchoPair? _polled;
    private EchoPair? _inline;
    private int _epoch;

    static UdpBenchmarks() => NativeLibrary.SetDllImportResolver(typeof(UdpBenchmarks).Assembly, Resolve);

    [GlobalSetup]
    public void Setup()
    {
        // ENet bounds none of its queues; these links get room for a whole 50,000-message burst of unreliable
        // 64-byte frames. Since issue 13 the defaults (8 MiB each way, in bytes) hold it too: the DefaultQueues
        // benchmark below runs the burst over a pair with default queue sizes (before, 256 KiB and 256 frames lost 95%).
        var options = new UdpLinkOptions
        {
            Mtu = 1400,
            MaxMtu = 1400,
            TimerResolution = TimeSpan.FromMilliseconds(1),
            MaxAckDelay = TimeSpan.FromMilliseconds(1),
            UnreliableQueueLimit = 8 * 1024 * 1024,
            ReceiveQueueCapacity = 65_536,
        };
        _serverKey = NodeKey.Generate();
        _clientKey = NodeKey.Generate();
        _server = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), _serverKey, options);
        _client = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), _clientKey, options);
        _sender = _client.ConnectAsync(_server.LocalEndPoint).GetAwaiter().GetResult();
        _receiver = _server.AcceptAsync().AsTask().GetAwaiter().GetResult();
        (_pinger, _echo, _echoLoop) = StartEcho(_client, _server);

        // Default queue sizes and timers; only the MTU is pinned, as for ENet.
        var defaults = new UdpLinkOptions { Mtu = 1400, MaxMtu = 1400 };
        _defaultServer = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), _serverKey, defaults);
        _defaultClient = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), _clientKey, defaults);
        _defaultSender = _defaultClient.ConnectAsync(_defaultServer.LocalEndPoint).GetAwaiter().GetResult();
        _defaultReceiver = _defaultServer.AcceptAsync().AsTask().GetAwaiter().GetResult();

        // The latency-tuned pair: receive threads poll their sockets for 200 µs after each packet and resume waiting
        // receivers inline (UdpLinkOptions.ReceiveBusyPoll and ReceiveInline), as ENet's service loop polls.
        _polled = EchoPair.Start(_serverKey, _clientKey, new UdpLinkOptions
        {
            Mtu = 1400,
            MaxMtu = 1400,
            TimerResolution = TimeSpan.FromMilliseconds(1),
            MaxAckDelay = TimeSpan.FromMilliseconds(1),
            ReceiveBusyPoll = TimeSpan.FromMicroseconds(200),
            ReceiveInline = true,
        });

        // ReceiveInline alone: receivers resume on the receive thread, which blocks in the kernel between packets,
        // as ENet's events are handled on the thread that waits in enet_host_service.
        _inline = EchoPair.Start(_serverKey, _clientKey, new UdpLinkOptions
        {
            Mtu = 1400,
            TimerResolution = TimeSpan.FromMilliseconds(1),
            MaxAckDelay = TimeSpan.FromMilliseconds(1),
            ReceiveInline = true,
        });
    }

    /// <summary>Two endpoints of their own, a link between them and an echo loop on the server's end.</summary>
    private sealed record EchoPair(UdpEndpoint Server, UdpEndpoint Client, UdpLink Pinger, Task Loop)
    {
        public static EchoPair Start(NodeKey serverKey, NodeKey clientKey, UdpLinkOptions options)
        {
            UdpEndpoint server = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), serverKey, options);
            UdpEndpoint client = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), clientKey, options);
            (UdpLink pinger, _, Task loop) = StartEcho(client, server);
            return new EchoPair(server, client, pinger, loop);
        }

        public void Dispose()
        {
            Client.DisposeAsync().AsTask().GetAwaiter().GetResult();
            Server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            Loop.GetAwaiter().GetResult();
        }
    }

    private static (UdpLink Pinger, UdpLink Echo, Task Loop) StartEcho(UdpEndpoint client, UdpEndpoint server)
    {
        UdpLink pinger = client.ConnectAsync(server.LocalEndPoint).GetAwaiter().GetResult();
        UdpLink echo = server.AcceptAsync().AsTask().GetAwaiter().GetResult();
        Task loop = Task.Run(async () =>
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
        });
        return (pinger, echo, loop);
    }

    /// <summary>Packet counts of the bulk pair, for the probe: how well messages were coalesced and acknowledged.</summary>
    internal string Describe()
    {
        UdpLinkStatus sent = _sender!.GetStatus();
        UdpLinkStatus received = _receiver!.GetStatus();
        return $"sender: {sent.PacketsSent} packets sent, {sent.PacketsReceived} received (acks), {sent.PacketsLost} lost, cwnd {sent.CongestionWindow}, srtt {sent.Rtt.TotalMicroseconds:F0} µs; " +
            $"receiver: {received.PacketsReceived} received, {received.PacketsSent} sent, deferred {received.PacketsDeferred}";
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (string line in _losses.Distinct())
        {
            Console.WriteLine(line);
        }

        _client!.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _server!.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _defaultClient!.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _defaultServer!.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _echoLoop!.GetAwaiter().GetResult();
        _polled!.Dispose();
        _inline!.Dispose();
        _serverKey!.Dispose();
        _clientKey!.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Small), BenchmarkCategory(ReliableSmall)]
    public void ENet_ReliableOrdered64() => Check(Native.pk_enet_reliable(Small, 64));

    [Benchmark(OperationsPerInvoke = Small), BenchmarkCategory(ReliableSmall)]
    public Task PeerKit_ReliableOrdered64() => TransferAsync(_small, Small, Reliability.ReliableOrdered);

    [Benchmark(Baseline = true, OperationsPerInvoke = Large), BenchmarkCategory(ReliableLarge)]
    public void ENet_Reliable1200() => Check(Native.pk_enet_reliable(Large, 1200));

    [Benchmark(OperationsPerInvoke = Large), BenchmarkCategory(ReliableLarge)]
    public Task PeerKit_Reliable1200() => TransferAsync(_large, Large, Reliability.ReliableOrdered);

    [Benchmark(OperationsPerInvoke = Large), BenchmarkCategory(ReliableLarge)]
    public void RawUdp_Sendmmsg1200() => Check(Native.pk_udp_blast(Large, 1200, out _));

    [Benchmark(Baseline = true, OperationsPerInvoke = Small), BenchmarkCategory(UnreliableSmall)]
    public void ENet_Unreliable64()
    {
        Check(Native.pk_enet_unreliable(Small, 64, out int received));
        Loss("ENet unreliable 64 B", received);
    }

    [Benchmark(OperationsPerInvoke = Small), BenchmarkCategory(UnreliableSmall)]
    public async Task PeerKit_Unreliable64()
    {
        int received = await UnreliableAsync(_sender!, _receiver!);
        Loss("PeerKit unreliable 64 B", received);
    }

    /// <summary>The same burst over links with the default queue sizes and timers (issue 13: the defaults must carry it).</summary>
    [Benchmark(OperationsPerInvoke = Small), BenchmarkCategory(UnreliableSmall)]
    public async Task PeerKit_Unreliable64_DefaultQueues()
    {
        int received = await UnreliableAsync(_defaultSender!, _defaultReceiver!);
        Loss("PeerKit unreliable 64 B, default queues", received);
    }

    [Benchmark(OperationsPerInvoke = Small), BenchmarkCategory(UnreliableSmall)]
    public void RawUdp_Sendmmsg64()
    {
        Check(Native.pk_udp_blast(Small, 64, out int received));
        Loss("raw UDP sendmmsg 64 B", received);
    }

    /// <summary>ENet with one thread servicing both hosts with zero timeouts: no thread ever sleeps.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Rounds), BenchmarkCategory(PingPongPolling)]
    public void ENet_PingPong64() => Check(Native.pk_enet_pingpong(Rounds, 64));

    /// <summary>The same exchange between endpoints with <c>ReceiveBusyPoll</c> (200 µs) and <c>ReceiveInline</c>.</summary>
    [Benchmark(OperationsPerInvoke = Rounds), BenchmarkCategory(PingPongPolling)]
    public Task PeerKit_PingPong64_Polled() => PingPongAsync(_polled!.Pinger);

    /// <summary>ENet with the server host on its own thread, each side blocking in <c>enet_host_service(…, 1)</c>.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Rounds), BenchmarkCategory(PingPongBlocking)]
    public void ENet_PingPong64_Threaded() => Check(Native.pk_enet_pingpong_threaded(Rounds, 64));

    /// <summary>PeerKit's defaults: receive threads block in the kernel, receivers resume on the thread pool.</summary>
    [Benchmark(OperationsPerInvoke = Rounds), BenchmarkCategory(PingPongBlocking)]
    public Task PeerKit_PingPong64() => PingPongAsync(_pinger!);

    /// <summary>With <c>ReceiveInline</c>: receivers resume on the blocking receive thread (no thread-pool hop).</summary>
    [Benchmark(OperationsPerInvoke = Rounds), BenchmarkCategory(PingPongBlocking)]
    public Task PeerKit_PingPong64_Inline() => PingPongAsync(_inline!.Pinger);

    [Benchmark(OperationsPerInvoke = Rounds), BenchmarkCategory(PingPongBlocking)]
    public void RawUdp_PingPong64() => Check(Native.pk_udp_pingpong(Rounds, 64));

    private async Task PingPongAsync(UdpLink pinger)
    {
        for (int i = 0; i < Rounds; i++)
        {
            await pinger.SendAsync(_small).ConfigureAwait(false);
            (await pinger.ReceiveAsync().ConfigureAwait(false)).Dispose();
        }
    }

    private async Task TransferAsync(byte[] frame, int count, Reliability reliability)
    {
        UdpLink receiver = _receiver!;
        Task receiving = Task.Run(async () =>
        {
            for (int i = 0; i < count; i++)
            {
                (await receiver.ReceiveAsync()).Dispose();
            }
        });
        for (int i = 0; i < count; i++)
        {
            await _sender!.SendAsync(frame, reliability);
        }

        await receiving;
    }

    /// <summary>
    /// Sends the burst unreliably, waits until the sender's unreliable lane is empty (<see cref="UdpLink.FlushAsync"/>), then sends a reliable marker;
    /// counts what arrived before the marker. Every frame carries the invocation's number, so frames of an earlier
    /// invocation still on their way are not counted (the marker can overtake them: it travels on another lane).
    /// </summary>
    private async Task<int> UnreliableAsync(UdpLink sender, UdpLink receiver)
    {
        int epoch = ++_epoch;
        byte[] message = new byte[64];
        BitConverter.TryWriteBytes(message, epoch);
        byte[] marker = new byte[4];
        BitConverter.TryWriteBytes(marker, epoch);
        Task<int> receiving = Task.Run(async () =>
        {
            int received = 0;
            while (true)
            {
                using LinkFrame frame = await receiver.ReceiveAsync();
                if (BitConverter.ToInt32(frame.Span) != epoch)
                {
                    continue;
                }

                if (frame.Length == 4)
                {
                    return received;
                }

                received++;
            }
        });
        for (int i = 0; i < Small; i++)
        {
            await sender.SendAsync(message, Reliability.Unreliable);
        }

        await sender.FlushAsync(); // the whole burst has left the lane, so the marker cannot overtake any of it
        await sender.SendAsync(marker, Reliability.ReliableOrdered);
        return await receiving;
    }

    private void Loss(string what, int received)
    {
        lock (_losses)
        {
            _losses.Add($"{what}: {received} of {Small} arrived ({100.0 * (Small - received) / Small:F1}% lost)");
        }
    }

    private static void Check(double seconds)
    {
        if (seconds < 0)
        {
            throw new InvalidOperationException("The native baseline failed.");
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Native.Library)
        {
            return IntPtr.Zero;
        }

        string? fromEnvironment = Environment.GetEnvironmentVariable("PEERKIT_BASELINE_LIB");
        if (fromEnvironment is not null)
        {
            return NativeLibrary.Load(fromEnvironment);
        }

        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "benchmarks", "baselines", "enet", "build", "libpkbaseline.so");
            if (File.Exists(candidate))
            {
                return NativeLibrary.Load(candidate);
            }
        }

        throw new DllNotFoundException("libpkbaseline.so not found: build benchmarks/baselines/enet with CMake, or set PEERKIT_BASELINE_LIB.");
    }

    private static class Native
    {
        public const string Library = "pkbaseline";

        [DllImport(Library)]
        public static extern double pk_enet_reliable(int count, int size);

        [DllImport(Library)]
        public static extern double pk_enet_unreliable(int count, int size, out int received);

        [DllImport(Library)]
        public static extern double pk_enet_pingpong(int rounds, int size);

        [DllImport(Library)]
        public static extern double pk_enet_pingpong_threaded(int rounds, int size);

        [DllImport(Library)]
        public static extern double pk_udp_blast(int count, int size, out int received);

        [DllImport(Library)]
        public static extern double pk_udp_pingpong(int rounds, int size);
    }
}
