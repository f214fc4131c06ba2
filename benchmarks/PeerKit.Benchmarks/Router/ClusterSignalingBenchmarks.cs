using BenchmarkDotNet.Attributes;
using PeerKit.Routing;

namespace PeerKit.Benchmarks.Routers;

/// <summary>
/// Signaling latency: a connect by node id to a client of the same router (the baseline) against one to a client of
/// another router of the cluster (located in the Redis directory; the request and its answer published on the routers'
/// channels), each until the first packet has come back from the peer (relayed, <see cref="RoutingMode.ServerOnly"/>).
/// The Redis operations per connect are printed at cleanup.
/// </summary>
/// <remarks>One invocation per iteration: before each, Alice closes both sessions and waits (bounded) until no side holds them.</remarks>
[InvocationCount(1, 1)]
public class ClusterSignalingBenchmarks
{
    private readonly byte[] _packet = new byte[64];
    private ClusterRig? _rig;
    private long _operations0;
    private long _crossConnects;

    [GlobalSetup]
    public void Setup() => _rig = new ClusterRig(RoutingMode.ServerOnly);

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_rig is { } rig)
        {
            long operations = rig.Router0.GetClusterStatistics().RedisOperations + rig.Router1.GetClusterStatistics().RedisOperations;
            Console.WriteLine($"// cross-router connects: {_crossConnects}; Redis operations during them (both routers, refreshes included): {operations - _operations0}"
                + (_crossConnects > 0 ? $"; per connect: {(double)(operations - _operations0) / _crossConnects:F2}" : string.Empty));
            rig.Dispose();
        }

        _rig = null;
    }

    [IterationSetup]
    public void Disconnect()
    {
        ClusterRig rig = _rig!;
        rig.Alice.CloseAsync(rig.Bob.Id).GetAwaiter().GetResult();
        rig.Alice.CloseAsync(rig.Carol.Id).GetAwaiter().GetResult();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (rig.Alice.IsConnected(rig.Bob.Id) || rig.Bob.IsConnected(rig.Alice.Id) || rig.Alice.IsConnected(rig.Carol.Id) || rig.Carol.IsConnected(rig.Alice.Id))
        {
            if (clock.Elapsed > ClusterRig.Bound)
            {
                throw new TimeoutException("The clients did not close their sessions.");
            }

            Thread.Sleep(1);
        }

        if (_crossConnects == 0)
        {
            _operations0 = rig.Router0.GetClusterStatistics().RedisOperations + rig.Router1.GetClusterStatistics().RedisOperations;
        }
    }

    [Benchmark(Baseline = true)]
    public void ConnectSameRouter()
    {
        _rig!.Alice.ConnectAsync(_rig.Bob.Id).WaitAsync(ClusterRig.Bound).GetAwaiter().GetResult();
        _rig.Exchange(_rig.Bob.Id, _packet, 1);
    }

    [Benchmark]
    public void ConnectCrossRouter()
    {
        _rig!.Alice.ConnectAsync(_rig.Carol.Id).WaitAsync(ClusterRig.Bound).GetAwaiter().GetResult();
        _rig.Exchange(_rig.Carol.Id, _packet, 1);
        _crossConnects++;
    }
}
