using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using PeerKit.Routing;

namespace PeerKit.Benchmarks.Routers;

/// <summary>
/// Relayed traffic between two clients of the same router (the baseline) against two clients of different routers of a
/// cluster, whose packets go router to router through Redis pub/sub (docs/router.md, "Cluster"). Both pairs are on
/// <see cref="RoutingMode.ServerOnly"/>, so every packet is relayed; the peers echo each packet. A round trip is one
/// packet and its echo; a burst is 200 packets sent at once and their echoes (messages per second = 400 / time).
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class ClusterRelayBenchmarks
{
    private const int Burst = 200;
    private readonly byte[] _packet = new byte[64];
    private ClusterRig? _rig;

    [GlobalSetup]
    public void Setup()
    {
        _rig = new ClusterRig(RoutingMode.ServerOnly);
        _rig.Alice.ConnectAsync(_rig.Bob.Id).WaitAsync(ClusterRig.Bound).GetAwaiter().GetResult();
        _rig.Alice.ConnectAsync(_rig.Carol.Id).WaitAsync(ClusterRig.Bound).GetAwaiter().GetResult();
        foreach (NodeId peer in new[] { _rig.Bob.Id, _rig.Carol.Id })
        {
            SendResult path = _rig.Alice.SendPacketAsync(peer, _packet).AsTask().GetAwaiter().GetResult();
            if (path != SendResult.Relay)
            {
                throw new InvalidOperationException($"The path to {peer:s} is {path}, not the relay.");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_rig is { } rig)
        {
            Console.WriteLine($"// cluster r0: {rig.Router0.GetClusterStatistics()}");
            Console.WriteLine($"// cluster r1: {rig.Router1.GetClusterStatistics()}");
            rig.Dispose();
        }

        _rig = null;
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("RoundTrip")]
    public void SameRouterRoundTrip() => _rig!.Exchange(_rig.Bob.Id, _packet, 1);

    [Benchmark]
    [BenchmarkCategory("RoundTrip")]
    public void CrossRouterRoundTrip() => _rig!.Exchange(_rig.Carol.Id, _packet, 1);

    [Benchmark(Baseline = true, OperationsPerInvoke = 2 * Burst)]
    [BenchmarkCategory("Burst")]
    public void SameRouterMessages() => _rig!.Exchange(_rig.Bob.Id, _packet, Burst);

    [Benchmark(OperationsPerInvoke = 2 * Burst)]
    [BenchmarkCategory("Burst")]
    public void CrossRouterMessages() => _rig!.Exchange(_rig.Carol.Id, _packet, Burst);
}
