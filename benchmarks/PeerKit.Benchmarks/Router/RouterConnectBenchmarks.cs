using BenchmarkDotNet.Attributes;
using PeerKit.Links.Udp;
using PeerKit.Routing;

namespace PeerKit.Benchmarks.Routers;

/// <summary>
/// Connect by node id through an embedded <see cref="PeerKit.Routing.Router"/> on loopback, against one router round
/// trip (a presence query, <see cref="RouterClient.WhoIsOnlineAsync"/>) as the baseline: the time from the first send
/// to a node without a session (implicit connect, PreferP2P: the link handshake runs through the relay) until the
/// packet is delivered, and until the link has moved to the direct path.
/// </summary>
/// <remarks>
/// One invocation per iteration: before each, the caller closes the session, both sides wait (bounded) until
/// neither holds it, so every measured send starts a new connect. Run with <c>--iterationCount 15</c> or
/// more: each iteration is one sample.
/// </remarks>
[MemoryDiagnoser]
[InvocationCount(1, 1)]
public class RouterConnectBenchmarks
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private readonly byte[] _packet = new byte[64];
    private PeerKit.Routing.Router? _router;
    private RouterClient? _alice;
    private RouterClient? _bob;
    private TaskCompletionSource _delivered = NewSignal();
    private NodeId[] _bobOnly = null!;
    private readonly Queue<string> _events = new();
    private int _connects;

    [GlobalSetup]
    public void Setup()
    {
        try
        {
            _router = new PeerKit.Routing.Router(new RouterOptions { ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") } });
            _router.StartAsync().GetAwaiter().GetResult();
            _alice = StartClient(_router.ListenAddresses[0]);
            _bob = StartClient(_router.ListenAddresses[0]);
            _alice.Event += (_, e) => Note("alice", e);
            _bob.Event += (_, e) =>
            {
                Note("bob", e);
                if (e.Kind == RoutingEventKind.Data)
                {
                    _delivered.TrySetResult();
                }
            };
            _bobOnly = [_bob.Id];
            if (!WhoIsOnline().Contains(_bob.Id))
            {
                throw new InvalidOperationException("The router does not see the second client online.");
            }
        }
        catch
        {
            Cleanup();
            throw;
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// connects measured: {_connects}; relay: {string.Join(", ", _router?.GetRelayStatistics() ?? [])}");
        _alice?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _bob?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _router?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _alice = _bob = null;
        _router = null;
    }

    [IterationSetup]
    public void Disconnect()
    {
        _alice!.CloseAsync(_bob!.Id).GetAwaiter().GetResult();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (_alice.IsConnected(_bob.Id) || _bob.IsConnected(_alice.Id))
        {
            if (clock.Elapsed > Bound)
            {
                throw new TimeoutException("The clients did not close their session.");
            }

            Thread.Sleep(1);
        }

        _delivered = NewSignal();
    }

    /// <summary>The baseline: one request and its answer through the router.</summary>
    [Benchmark(Baseline = true)]
    public IReadOnlyList<NodeId> PresenceRoundTrip() => WhoIsOnline();

    /// <summary>From the first send (implicit connect) to its delivery at the other client.</summary>
    [Benchmark]
    public void ConnectToFirstMessage()
    {
        SendResult result = _alice!.SendPacketAsync(_bob!.Id, _packet).AsTask().GetAwaiter().GetResult();
        if (result is SendResult.Dropped)
        {
            throw new InvalidOperationException("The first packet was dropped.");
        }

        if (!_delivered.Task.Wait(Bound))
        {
            throw new TimeoutException($"The first packet ({result}) did not arrive after {_connects} connects: alice connected {_alice.IsConnected(_bob.Id)}, bob connected {_bob.IsConnected(_alice.Id)}; events: {string.Join("; ", _events)}");
        }

        _connects++;
    }

    /// <summary>From the first send (implicit connect) until the sender's link is on the direct path.</summary>
    [Benchmark]
    public void ConnectToDirectPath()
    {
        _alice!.SendPacketAsync(_bob!.Id, _packet).AsTask().GetAwaiter().GetResult();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!(_alice.Node.TryGetPeer(_bob.Id, out Peer? peer) && peer.Link is UdpLink { ActivePath: LinkPath.Direct }))
        {
            if (clock.Elapsed > Bound)
            {
                throw new TimeoutException($"The link did not move to the direct path after {_connects} connects ({(_alice.Node.TryGetPeer(_bob.Id, out Peer? p) ? p.Link?.ToString() : "no session")}); events: {string.Join("; ", _events)}");
            }

            Thread.Yield();
        }

        _connects++;
    }

    private void Note(string who, RoutingEvent e)
    {
        lock (_events)
        {
            _events.Enqueue($"{who}: {e}");
            if (_events.Count > 12)
            {
                _events.Dequeue();
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static RouterClient StartClient(NodeAddress router)
    {
        var client = new RouterClient(
            new PeerNodeOptions { ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") } },
            new RouterClientOptions { Router = router, ConnectTimeout = TimeSpan.FromSeconds(10), AttachTimeout = TimeSpan.FromSeconds(5) });
        try
        {
            client.StartAsync().GetAwaiter().GetResult();
        }
        catch
        {
            client.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }

        return client;
    }

    private IReadOnlyList<NodeId> WhoIsOnline() => _alice!.WhoIsOnlineAsync(_bobOnly).GetAwaiter().GetResult();
}
