using BenchmarkDotNet.Attributes;
using PeerKit.Routing;

namespace PeerKit.Benchmarks.Routers;

/// <summary>
/// Signaling latency: a connect by node id to a client of the same router (the baseline) against one to a client of
/// another router of the cluster (located in the Redis directory; the request and its answer published on the routers'
/// channels), each until the first packet has come back from the peer (relayed, <see cref="RoutingMode.ServerOnly"/>).
/// The Redis operations per connect are printed at cleanup.
/// </summary>
/// <remarks>One invocation per iteration: before each, the three clients are replaced by new ones, so every connect is a first one.</remarks>
[InvocationCount(1, 1)]
public class ClusterSignalingBenchmarks
{
    private readonly byte[] _packet = new byte[64];
    private ClusterRig? _rig;
    private long _crossCommands;
    private long _crossConnects;

    [GlobalSetup]
    public void Setup() => _rig = new ClusterRig(RoutingMode.ServerOnly);

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_rig is { } rig)
        {
            Console.WriteLine($"// cross-router connects: {_crossConnects}; Redis commands during them (both routers; relayed datagrams not counted): {_crossCommands}"
                + (_crossConnects > 0 ? $"; per connect: {(double)_crossCommands / _crossConnects:F2}" : string.Empty));
            rig.Dispose();
        }

        _rig = null;
    }

    [IterationSetup]
    public void NewClients()
    {
        // New clients for every connect: a connect right after closing the same pair can race the close (AlreadyConnected).
        _rig!.RenewClients();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (_rig.Router0.SessionCount != 2 || _rig.Router1.SessionCount != 1)
        {
            if (clock.Elapsed > ClusterRig.Bound)
            {
                throw new TimeoutException("The old clients' sessions did not end.");
            }

            Thread.Sleep(5);
        }

        Thread.Sleep(50); // the old sessions' directory clean-up is not counted for the connect
    }

    /// <summary>Redis operations that are not relayed datagrams (directory, rooms, signaling), over both routers.</summary>
    private static long Commands(ClusterRig rig) =>
        new[] { rig.Router0, rig.Router1 }.Select(r => r.GetClusterStatistics()).Sum(s => s.RedisOperations - s.RelayedOut);

    [Benchmark(Baseline = true)]
    public void ConnectSameRouter()
    {
        _rig!.Alice.ConnectAsync(_rig.Bob.Id).WaitAsync(ClusterRig.Bound).GetAwaiter().GetResult();
        _rig.Exchange(_rig.Bob.Id, _packet, 1);
    }

    [Benchmark]
    public void ConnectCrossRouter()
    {
        long before = Commands(_rig!);
        _rig!.Alice.ConnectAsync(_rig.Carol.Id).WaitAsync(ClusterRig.Bound).GetAwaiter().GetResult();
        _rig.Exchange(_rig.Carol.Id, _packet, 1);
        _crossCommands += Commands(_rig) - before;
        _crossConnects++;
    }
}
