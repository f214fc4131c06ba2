using System.Diagnostics;

namespace PeerKit.Benchmarks;

/// <summary>
/// Runs one throughput benchmark's body outside BenchmarkDotNet, for tracing tools that count per process
/// (<c>strace -f -c</c>, <c>perf</c>): <c>dotnet run -c Release -- --probe tcp|memory|ssl|link|linkssl 64|1024 [batches]</c>.
/// </summary>
public static class Probe
{
    /// <summary>Sets up the pair, sends <c>batches</c> × <see cref="SessionThroughputBenchmarks.BatchSize"/> messages, prints ns/message and bytes allocated per message.</summary>
    public static int Run(IReadOnlyList<string> args)
    {
        if (args.Count >= 2 && args[1].StartsWith("udp-", StringComparison.Ordinal))
        {
            return RunUdp(args);
        }

        if (args.Count < 3 || !int.TryParse(args[2], out int size) || size is not (SessionThroughputBenchmarks.SmallSize or SessionThroughputBenchmarks.LargeSize))
        {
            Console.Error.WriteLine("usage: --probe tcp|memory|ssl|link|linkssl 64|1024 [batches]");
            return 2;
        }

        int batches = args.Count > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 20;
        bool small = size == SessionThroughputBenchmarks.SmallSize;
        var session = new SessionThroughputBenchmarks();
        var link = new TcpLinkThroughputBenchmarks();
        (Action setup, Func<Task> op, Action cleanup) = args[1] switch
        {
            "tcp" => (session.SetupTcp, small ? session.PeerKitTcp_64B : session.PeerKitTcp_1KiB, session.Cleanup),
            "memory" => (session.SetupMemory, small ? session.Memory_64B : session.Memory_1KiB, session.Cleanup),
            "ssl" => (session.SetupSsl, small ? session.SslStream_64B : session.SslStream_1KiB, session.Cleanup),
            "link" => (link.SetupLink, small ? link.TcpLink_64B : link.TcpLink_1KiB, link.Cleanup),
            "linkssl" => (link.SetupSsl, small ? link.SslStream_64B : link.SslStream_1KiB, link.Cleanup),
            _ => ((Action, Func<Task>, Action))(null!, null!, null!),
        };
        if (setup is null)
        {
            Console.Error.WriteLine($"unknown probe target {args[1]}");
            return 2;
        }

        setup();
        op().GetAwaiter().GetResult(); // warm up
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < batches; i++)
        {
            op().GetAwaiter().GetResult();
        }

        TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        cleanup();
        long messages = (long)batches * SessionThroughputBenchmarks.BatchSize;
        Console.WriteLine($"{args[1]} {size} B: {messages} messages in {elapsed.TotalMilliseconds:F0} ms, {elapsed.TotalNanoseconds / messages:F0} ns/message, " +
            $"{(double)allocated / messages:F0} B allocated/message (all threads)");
        return 0;
    }

    /// <summary>Runs one <see cref="UdpBenchmarks"/> body in a loop and prints time and allocation per operation.</summary>
    private static int RunUdp(IReadOnlyList<string> args)
    {
        int invocations = args.Count > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 10;
        var udp = new UdpBenchmarks();
        (Func<Task>? op, int perInvoke) = args[1] switch
        {
            "udp-reliable64" => ((Func<Task>)udp.PeerKit_ReliableOrdered64, UdpBenchmarks.Small),
            "udp-reliable1200" => (udp.PeerKit_Reliable1200, UdpBenchmarks.Large),
            "udp-unreliable64" => (udp.PeerKit_Unreliable64, UdpBenchmarks.Small),
            "udp-pingpong" => (udp.PeerKit_PingPong64, UdpBenchmarks.Rounds),
            "udp-pingpong-polled" => (udp.PeerKit_PingPong64_Polled, UdpBenchmarks.Rounds),
            "udp-enet64" => (() => { udp.ENet_ReliableOrdered64(); return Task.CompletedTask; }, UdpBenchmarks.Small),
            "udp-enetunrel64" => (() => { udp.ENet_Unreliable64(); return Task.CompletedTask; }, UdpBenchmarks.Small),
            "udp-enet1200" => (() => { udp.ENet_Reliable1200(); return Task.CompletedTask; }, UdpBenchmarks.Large),
            "udp-enetping" => (() => { udp.ENet_PingPong64(); return Task.CompletedTask; }, UdpBenchmarks.Rounds),
            "udp-enetping-threaded" => (() => { udp.ENet_PingPong64_Threaded(); return Task.CompletedTask; }, UdpBenchmarks.Rounds),
            "udp-pingpong-inline" => (udp.PeerKit_PingPong64_Inline, UdpBenchmarks.Rounds),
            _ => (null, 0),
        };
        if (op is null)
        {
            Console.Error.WriteLine($"unknown probe target {args[1]}");
            return 2;
        }

        udp.Setup();
        op().GetAwaiter().GetResult(); // warm up
        using var allocs = Environment.GetEnvironmentVariable("PEERKIT_PROBE_ALLOC") == "1" ? new AllocListener() : null;
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        long start = Stopwatch.GetTimestamp();
        var times = new List<double>();
        bool verbose = Environment.GetEnvironmentVariable("PEERKIT_PROBE_TIMES") == "2";
        long contention = Monitor.LockContentionCount;
        long workItems = ThreadPool.CompletedWorkItemCount;
        for (int i = 0; i < invocations; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            op().GetAwaiter().GetResult();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            if (verbose)
            {
                Console.WriteLine($"{times[^1],6:F1} ms  contention {Monitor.LockContentionCount - contention}, completed work items {ThreadPool.CompletedWorkItemCount - workItems}, gc {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} pause {GC.GetTotalPauseDuration().TotalMilliseconds:F1}, threads {ThreadPool.ThreadCount}  {udp.Describe()}");
                contention = Monitor.LockContentionCount;
                workItems = ThreadPool.CompletedWorkItemCount;
            }
        }

        if (Environment.GetEnvironmentVariable("PEERKIT_PROBE_TIMES") == "1")
        {
            // Each invocation's milliseconds: shows JIT warm-up and the bimodal timing of the 64-byte runs.
            Console.WriteLine(string.Join(" ", times.Select(t => t.ToString("F0"))));
        }

        TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Console.WriteLine(udp.Describe());
        allocs?.Print();
        udp.Cleanup();
        long operations = (long)invocations * perInvoke;
        Console.WriteLine($"{args[1]}: {operations} operations in {elapsed.TotalMilliseconds:F0} ms, {elapsed.TotalNanoseconds / operations:F0} ns/op, " +
            $"{(double)allocated / operations:F0} B allocated/op (all threads), {cpu.TotalNanoseconds / operations:F0} ns CPU/op (all threads)");
        return 0;
    }
}

/// <summary>
/// Tallies the runtime's allocation-tick events (one per ~100 KB allocated, naming the type that crossed the mark)
/// while a probe runs: <c>PEERKIT_PROBE_ALLOC=1</c>. The listener's own event payloads show up too (boxed integers,
/// strings, object arrays).
/// </summary>
internal sealed class AllocListener : System.Diagnostics.Tracing.EventListener
{
    private readonly Dictionary<string, long> _bytes = new();

    /// <summary>Prints the 15 types with the most bytes, approximately.</summary>
    public void Print()
    {
        lock (_bytes)
        {
            foreach (KeyValuePair<string, long> entry in _bytes.OrderByDescending(e => e.Value).Take(15))
            {
                Console.WriteLine($"  ~{entry.Value / 1000} KB {entry.Key}");
            }
        }
    }

    protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)0x1); // GC
        }
    }

    protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs eventData)
    {
        if (eventData.EventName is not ("GCAllocationTick_V4" or "GCAllocationTick_V3") || eventData.Payload is null || eventData.PayloadNames is null)
        {
            return;
        }

        string type = eventData.Payload[eventData.PayloadNames.IndexOf("TypeName")]?.ToString() ?? "?";
        lock (_bytes)
        {
            _bytes[type] = _bytes.GetValueOrDefault(type) + 100_000;
        }
    }
}
