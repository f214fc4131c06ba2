using PeerKit;
using PeerKit.Routing;

// The Oculus P2P sample's shape (VRVoiceChat's P2PManager) through an embedded router: two users connect (the smaller
// id calls Connect, the other accepts), then each sends its head transform 10 times a second, unreliably. Exit code 0
// when each side received transforms from the other and the link ended on the direct path.
await using var router = new Router(new RouterOptions { ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") } });
await router.StartAsync();

var protocols = new[] { new AvatarProtocol(), new AvatarProtocol() };
var users = new List<RouterClient>();
try
{
    for (int i = 0; i < 2; i++)
    {
        var user = new RouterClient(
            new PeerNodeOptions { Name = $"user{i}", ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") }, Protocols = { protocols[i] } },
            new RouterClientOptions { Router = router.ListenAddresses[0] });
        users.Add(user);
        await user.StartAsync();
        user.Event += (_, e) => { if (e.Kind == RoutingEventKind.StateChanged) Console.WriteLine($"{user.Node.Name}: connection to {e.PeerId:s} is {e.State}"); };
    }

    // ID comparison decides who calls Connect (as in the Oculus sample); the other accepts through its policy.
    RouterClient caller = users.MinBy(u => u.Id.ToString())!, callee = users.Single(u => u != caller);
    await caller.ConnectAsync(callee.Id);

    using var run = new CancellationTokenSource(TimeSpan.FromSeconds(3));
    var senders = users.Select((user, index) => Task.Run(async () =>
    {
        RouterClient other = users[1 - index];
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(100)); // UPDATE_DELAY = 0.1 s
        int frame = 0;
        try
        {
            while (await tick.WaitForNextTickAsync(run.Token))
            {
                float t = frame++ / 10f;
                await user.SendAsync(other.Id, new AvatarProtocol.HeadTransform(MathF.Sin(t), 1.7f, MathF.Cos(t), 0, MathF.Sin(t / 2), 0, MathF.Cos(t / 2)), Reliability.Unreliable);
            }
        }
        catch (OperationCanceledException)
        {
        }
    })).ToArray();
    await Task.WhenAll(senders);
    await Task.Delay(200);

    bool ok = true;
    for (int i = 0; i < 2; i++)
    {
        AvatarProtocol.HeadTransform? last = protocols[i].Last;
        Console.WriteLine($"user{i} received {protocols[i].Received} transforms; last position {(last is { } p ? $"({p.X:0.00}, {p.Y:0.00}, {p.Z:0.00})" : "none")}");
        ok &= protocols[i].Received >= 10;
    }

    users[0].Node.TryGetPeer(users[1].Id, out Peer? session);
    bool direct = session?.Link is PeerKit.Links.Udp.UdpLink { ActivePath: PeerKit.Links.Udp.LinkPath.Direct };
    Console.WriteLine($"path at the end: {(direct ? "direct" : "relay")}; dropped before connected: {users.Sum(u => u.DroppedUnreliableCount)}");
    Console.WriteLine(ok && direct ? "both avatars moved" : "FAILED");
    return ok && direct ? 0 : 1;
}
finally
{
    foreach (RouterClient user in users)
    {
        await user.DisposeAsync();
    }
}

/// <summary>The avatar protocol: a head transform, sent unreliably (keep it within 1,200 bytes).</summary>
[Protocol("avatar")]
public sealed partial class AvatarProtocol
{
    private int _received;

    /// <summary>A head position and rotation (the Oculus sample's 28 bytes of floats).</summary>
    [Message(Code = 0, Reliability = Reliability.Unreliable)]
    public readonly partial record struct HeadTransform(float X, float Y, float Z, float Qx, float Qy, float Qz, float Qw);

    /// <summary>Transforms received.</summary>
    public int Received => Volatile.Read(ref _received);

    /// <summary>The last transform received.</summary>
    public HeadTransform? Last { get; private set; }

    [Handler]
    private void OnHead(Peer peer, HeadTransform head)
    {
        Last = head;
        Interlocked.Increment(ref _received);
    }
}
