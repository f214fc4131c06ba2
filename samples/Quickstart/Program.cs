// The PeerKit tour. Each capability of the SDK adds a step here; run it with
//   dotnet run --project samples/Quickstart
using System.Net;
using PeerKit;
using PeerKit.Links;
using PeerKit.Links.Tcp;
using PeerKit.Native;
using PeerKit.WifiDirect;

Console.WriteLine("PeerKit quickstart");
Console.WriteLine();

// Step 1. Messages are code: a [Message] record gets a generated protobuf (proto3) serializer at compile time.
Step("1. A message, written and read back");
var chat = new ChatMessage(From: 7, To: 9, Room: "lobby", Text: "hello, peers ✓") { Tags = [1, 2, 300] };
byte[] bytes = MessageSerializer.ToArray(chat);
Console.WriteLine($"   ChatMessage ({MessageSerializer.GetSize(chat)} bytes): {Convert.ToHexString(bytes)}");
ChatMessage back = MessageSerializer.Read<ChatMessage>(bytes);
Console.WriteLine($"   read back: From={back.From} To={back.To} Room={back.Room} Text=\"{back.Text}\" Tags=[{string.Join(", ", back.Tags)}]");
Console.WriteLine($"   equal to what was sent: {back.Text == chat.Text && back.Tags.SequenceEqual(chat.Tags)}");

// Step 2. Hot paths write into a span without allocating; MaxSize is proven at compile time.
Step("2. An unreliable avatar transform, written into a stack buffer");
var pose = new AvatarTransform(Id: 42, X: 1.5f, Y: 0, Z: -2, Qx: 0, Qy: 0, Qz: 0, Qw: 1);
Span<byte> buffer = stackalloc byte[MessageInfo<AvatarTransform>.MaxSize];
int written = MessageSerializer.Write(pose, buffer);
Console.WriteLine($"   AvatarTransform ({written} of at most {MessageInfo<AvatarTransform>.MaxSize} bytes, {MessageInfo<AvatarTransform>.Reliability}): {Convert.ToHexString(buffer[..written])}");
Console.WriteLine($"   read back: {MessageSerializer.Read<AvatarTransform>(buffer[..written])}");

// Step 3. Bad bytes are a typed error with the offset, never a crash.
Step("3. Malformed input");
byte[] truncated = bytes[..^2];
Console.WriteLine($"   TryRead of {truncated.Length} truncated bytes: {MessageSerializer.TryRead<ChatMessage>(truncated, out _)}");
try
{
    MessageSerializer.Read<ChatMessage>(truncated);
}
catch (MessageFormatException e)
{
    Console.WriteLine($"   MessageFormatException at byte {e.Offset}: {e.Reason}");
}

// Step 4. The native shim (radio and Wi-Fi Direct drivers will live there) is built with the SDK.
Step("4. Native shim");
Console.WriteLine(NativeRuntime.TryGetVersion(out Version? version)
    ? $"   libpeerkit_native {version} loaded"
    : "   libpeerkit_native is not available on this machine");

// Step 5. Two peers on loopback: each has a node key; a Noise XX handshake over TCP proves both identities,
// then every frame is encrypted. Frames carry encoded messages (sessions and PeerNode come next).
Step("5. Two peers over an encrypted TCP link");
NodeKey aliceKey = NodeKey.Generate();
NodeKey bobKey = NodeKey.Generate();
await using (TcpLinkListener listener = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0), bobKey))
{
    ValueTask<TcpLink> accepted = listener.AcceptAsync();
    await using TcpLink alice = await TcpLink.ConnectAsync(listener.LocalEndPoint, aliceKey, expectedRemoteId: bobKey.Id);
    await using TcpLink bob = await accepted;
    Console.WriteLine($"   alice {alice.LocalId:s} dialed bob at {listener.LocalEndPoint} and proved it is {alice.RemoteId:s}");

    await alice.SendAsync(MessageSerializer.ToArray(new ChatMessage(1, 2, "lobby", "hi bob")), MessageInfo<ChatMessage>.Reliability);
    using (LinkFrame frame = await bob.ReceiveAsync())
    {
        ChatMessage received = MessageSerializer.Read<ChatMessage>(frame.Span);
        Console.WriteLine($"   bob received {frame.Length} bytes from {bob.RemoteId:s}: \"{received.Text}\"");
    }
}

// Step 6. Two nodes (go-ethereum's server, the Oculus peer model): hellos, capability negotiation, generated
// dispatch to [Handler] methods, a pull reader for the rest, ping, and a disconnect with a devp2p reason.
Step("6. Two nodes: negotiation, handlers, a pull reader, ping, disconnect");
var bobTour = new TourProtocol("bob");
await using (var bobNode = new PeerNode(new PeerNodeOptions
{
    Name = "bob",
    ListenAddresses = { NodeAddress.Parse("tcp://127.0.0.1:0") },
    Protocols = { bobTour },
}))
await using (var aliceNode = new PeerNode(new PeerNodeOptions { Name = "alice", Protocols = { new TourProtocol("alice") } }))
{
    var bobSawLeave = new TaskCompletionSource<PeerEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
    bobNode.PeerDropped += (_, e) => bobSawLeave.TrySetResult(e);
    await bobNode.StartAsync();
    await aliceNode.StartAsync();
    Console.WriteLine($"   bob listens on {bobNode.ListenAddresses[0]}");

    Peer bobPeer = await aliceNode.ConnectAsync(bobNode.ListenAddresses[0]);
    Console.WriteLine($"   alice connected to \"{bobPeer.Name}\": {string.Join(", ", bobPeer.Protocols.Select(p => $"{p.Descriptor} at code 0x{p.Offset:x2}"))}");

    await bobPeer.SendAsync(new ChatMessage(1, 2, "lobby", "hello from a node"));
    Console.WriteLine($"   bob's handler got: {await bobTour.Chats.Task.WaitAsync(TimeSpan.FromSeconds(10))}");

    Peer alicePeer = bobNode.Peers[0];
    await alicePeer.SendAsync(pose); // AvatarTransform has no handler: it goes to alice's pull reader
    using (ProtocolMessage pulled = await bobPeer.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)))
    {
        Console.WriteLine($"   alice pulled code {pulled.Code} ({pulled.Size} bytes): {pulled.Decode<AvatarTransform>()}");
    }

    TimeSpan rtt = await bobPeer.PingAsync();
    Console.WriteLine($"   ping alice → bob: {rtt.TotalMilliseconds:F2} ms");

    await bobPeer.DisconnectAsync(DisconnectReason.Requested);
    PeerEvent left = await bobSawLeave.Task.WaitAsync(TimeSpan.FromSeconds(10));
    Console.WriteLine($"   bob saw alice leave: {left.Reason} ({(left.IsRemoteReason ? "said by alice" : "decided by bob")})");
}

// Step 7. The same session over UDP: one socket per node, every packet encrypted, delivery classes for real
// (avatar transforms travel unreliably), live link status.
Step("7. The same protocol over UDP, with live link status");
var udpBobTour = new TourProtocol("bob");
await using (var udpBob = new PeerNode(new PeerNodeOptions
{
    Name = "bob",
    ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") },
    Protocols = { udpBobTour },
}))
await using (var udpAlice = new PeerNode(new PeerNodeOptions { Name = "alice", Protocols = { new TourProtocol("alice") } }))
{
    await udpBob.StartAsync();
    await udpAlice.StartAsync();
    Peer bobOverUdp = await udpAlice.ConnectAsync(udpBob.ListenAddresses[0]);
    Console.WriteLine($"   alice reached bob at {udpBob.ListenAddresses[0].Scheme}://…:{udpBob.ListenAddresses[0].Port} over {bobOverUdp.Link.GetType().Name} (encrypted: {bobOverUdp.Link.Capabilities.IsSecure})");
    await bobOverUdp.SendAsync(new ChatMessage(1, 2, "lobby", "hello over datagrams"));
    Console.WriteLine($"   bob's handler got: {await udpBobTour.Chats.Task.WaitAsync(TimeSpan.FromSeconds(10))}");
    for (int i = 0; i < 10; i++)
    {
        await bobOverUdp.SendAsync(pose with { X = i }); // Unreliable: never retransmitted, never waits for an ack
    }

    Console.WriteLine($"   ping over udp: {(await bobOverUdp.PingAsync()).TotalMilliseconds:F2} ms");
    if (bobOverUdp.Link is PeerKit.Links.Udp.UdpLink udpLink)
    {
        PeerKit.Links.Udp.UdpLinkStatus status = udpLink.GetStatus();
        Console.WriteLine($"   link status: rtt {status.Rtt.TotalMilliseconds:F2} ms, loss {status.Loss:P0}, {status.PacketsSent} packets out, {status.PacketsReceived} in");

        // Flow control: bob grants alice credit as his application reads, so a slow reader slows the sender down
        // instead of making it retransmit (UdpLinkOptions.ReceiveWindow, 4 MiB by default).
        Console.WriteLine($"   flow control: bob grants {status.SendCredit / 1024} KiB more reliable data, {status.PacketsDeferred} packets deferred");

        // A burst: on Linux a flush hands its packets to the kernel in one call (UDP GSO) and the receiver takes
        // runs of them per call (recvmmsg, UDP GRO); docs/udp.md, "Batched system calls".
        var line = new ChatMessage(1, 2, "lobby", new string('x', 1000));
        for (int i = 0; i < 500; i++)
        {
            await bobOverUdp.SendAsync(line);
        }

        await bobOverUdp.PingAsync(); // the burst has arrived when the ping's answer does
        PeerKit.Links.Udp.UdpEndpointStatistics sent = udpLink.Endpoint.GetStatistics();
        PeerKit.Links.Udp.UdpEndpointStatistics received = ((PeerKit.Links.Udp.UdpLink)udpBob.Peers[0].Link).Endpoint.GetStatistics();
        Console.WriteLine($"   socket: {sent.BatchedSends} sends carried several packets (UDP GSO {(sent.SegmentationOffload ? "on" : "off")}); " +
            $"bob took {received.DatagramsReceived} datagrams in {received.ReceiveBatches} receive calls");

        // Path MTU discovery: links start with 1200-byte packets (UdpLinkOptions.Mtu) and probe for larger ones up to
        // UdpLinkOptions.MaxMtu (1452 by default), falling back if large packets stop getting through; docs/udp.md.
        for (int i = 0; i < 200 && udpLink.GetStatus().PathMtuSearching; i++)
        {
            await Task.Delay(10); // on loopback the first probe, at the ceiling, is answered within a round trip
        }

        PeerKit.Links.Udp.UdpLinkStatus mtu = udpLink.GetStatus();
        Console.WriteLine($"   path MTU: {mtu.PathMtu} bytes discovered (base {udpLink.Mtu}, ceiling {mtu.MaxPathMtu}, {mtu.PathMtuProbesSent} probe(s) sent)");
    }
}

// Latency options (docs/udp.md): the endpoints' receive threads keep polling for a while after each packet and
// resume waiting receivers on themselves, as a game's service loop polls its socket. They cost a busy core.
var polled = new PeerKit.Links.Udp.UdpLinkOptions { ReceiveBusyPoll = TimeSpan.FromMicroseconds(200), ReceiveInline = true };
Console.WriteLine($"   round trip over bare UDP links (median of 300): {await MedianRoundTripAsync(null):F0} µs with the defaults, " +
    $"{await MedianRoundTripAsync(polled):F0} µs with ReceiveBusyPoll + ReceiveInline");

// Key updates (docs/udp.md): each side replaces its packet key every KeyUpdatePackets packets (2^22 by default) or
// KeyUpdateInterval; the key phase bit in each packet tells the peer which key sealed it. Here every 64 packets.
(long aliceUpdates, long alicePackets, long bobSaw, int delivered) = await KeyUpdatesAsync(1000);
Console.WriteLine($"   key updates: alice replaced her sending key {aliceUpdates} times in {alicePackets} packets ({delivered} reliable frames), bob followed {bobSaw}");

// Step 8. Transports (docs/nodes.md#transports): a node reaches peers through one transport per address scheme
// (tcp, udp, inproc, or one of yours in PeerNodeOptions.Transports). Two nodes that dial each other at the same
// moment, as both players do in a hole punch or an Oculus Connect, end with one session that both calls return.
Step("8. Transports, and two nodes dialing each other at once");
await using (var carol = new PeerNode(new PeerNodeOptions { Name = "carol", ListenAddresses = { NodeAddress.Parse("inproc://carol:0") } }))
await using (var dave = new PeerNode(new PeerNodeOptions { Name = "dave", ListenAddresses = { NodeAddress.Parse("inproc://dave:0") } }))
{
    Console.WriteLine($"   transports: {string.Join(", ", new PeerNodeOptions().Transports.Keys.Order())}");
    await carol.StartAsync();
    await dave.StartAsync();
    Task<Peer> carolDials = carol.ConnectAsync(dave.ListenAddresses[0]);
    Task<Peer> daveDials = dave.ConnectAsync(carol.ListenAddresses[0]);
    Peer[] both = await Task.WhenAll(carolDials, daveDials).WaitAsync(TimeSpan.FromSeconds(10));
    Console.WriteLine($"   carol and dave dialed each other at once: {carol.PeerCount} session at carol, {dave.PeerCount} at dave, " +
        $"both calls returned it: {ReferenceEquals(both[0], carol.Peers.Single()) && ReferenceEquals(both[1], dave.Peers.Single())}");
}

// Step 9. Radio (docs/radio.md, samples/Swarm): Crazyflie P2P on a simulated 2.4 GHz medium in the native shim
// (the same calls drive a Crazyradio). Packets carry a port (0-15) and at most 60 bytes; RSSI comes from distance.
Step("9. Crazyflie P2P on a simulated 2.4 GHz medium");
using (var air = new SimulatedMedium(new SimulatedMediumOptions { Seed = 1 }))
using (RadioNode drone1 = RadioNode.Open(air.OpenRadio(1, x: 0)), drone2 = RadioNode.Open(air.OpenRadio(2, x: 5)))
{
    drone1.SendBroadcast(0, "Hello World"u8);
    using var radioTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
    P2PPacket packet = await drone2.Packets.ReadAsync(radioTimeout.Token);
    Console.WriteLine($"   drone 2 heard \"{System.Text.Encoding.ASCII.GetString(packet.Data)}\" on port {packet.Port}, rssi {packet.Rssi} ({packet.RssiDbm} dBm)");
}

// Step 10. Wi-Fi Direct (docs/wifi-direct.md): OpenHarmony's wifiManager P2P verbs over wpa_supplicant's control
// socket. This tour runs on loopback with no Wi-Fi, so it shows the typed error a missing supplicant gives;
// `dotnet run --project samples/WifiDirect` runs discovery, a group and two nodes over it on stand-in supplicants.
Step("10. Wi-Fi Direct without a supplicant");
try
{
    await using WifiP2p wifi = await WifiP2p.OpenAsync(new WifiP2pOptions { ControlPath = Path.Combine(Path.GetTempPath(), "peerkit-no-such-supplicant") });
}
catch (WifiP2pException e)
{
    Console.WriteLine($"   WifiP2pException {(int)e.Code} ({e.Failure}): {e.Message}");
}

// Step 11. A router (docs/router.md): signaling, presence and rooms for nodes that attach with a RouterClient. Alice
// connects to bob by node id alone: the connect starts on the router's relay (the router forwards their encrypted UDP
// link packets and never holds a key) and the link moves to the direct path once hole punching validates it.
Step("11. Two nodes through an embedded router: relayed first, then direct");
await using (var router = new PeerKit.Routing.Router(new PeerKit.Routing.RouterOptions { ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") } }))
{
    await router.StartAsync();
    PeerKit.Routing.RouterClient Attach(string name) => new(
        new PeerNodeOptions { Name = name, ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") }, Protocols = { new TourProtocol(name) } },
        new PeerKit.Routing.RouterClientOptions { Router = router.ListenAddresses[0] });
    await using PeerKit.Routing.RouterClient routedAlice = Attach("alice"), routedBob = Attach("bob");
    await routedAlice.StartAsync();
    await routedBob.StartAsync();
    Console.WriteLine($"   alice attached; the router sees her at {routedAlice.ObservedAddress}; online: {(await routedAlice.WhoIsOnlineAsync([routedBob.Id])).Count} of 1");
    Peer viaRouter = await routedAlice.ConnectAsync(routedBob.Id);
    var routedLink = (PeerKit.Links.Udp.UdpLink)viaRouter.Link;
    Console.WriteLine($"   alice connected to bob by id, first path: {(routedLink.RelayChannel is null ? "direct" : "relay")}");
    using var upgrade = new CancellationTokenSource(TimeSpan.FromSeconds(10));
    while (routedLink.ActivePath != PeerKit.Links.Udp.LinkPath.Direct)
    {
        await Task.Delay(20, upgrade.Token);
    }

    PeerKit.Routing.SendResult result = await routedAlice.SendAsync(routedBob.Id, new ChatMessage(1, 2, "lobby", "hello through the router"));
    Console.WriteLine($"   after the upgrade: SendResult {result}; the router relayed {router.GetRelayStatistics().Sum(r => r.BytesRelayed)} bytes before it");
}

// Step 12. The router over WebSocket (docs/router.md, "Listeners"): for networks that block UDP, or behind an HTTP
// proxy. Clients attach with a ws:// address; the router signals over it (presence, connect by id, rooms) and the
// peers' own link still goes over UDP between them.
Step("12. The router over WebSocket");
await using (var wsRouter = new PeerKit.Routing.Router(new PeerKit.Routing.RouterOptions { ListenAddresses = { NodeAddress.Parse("ws://127.0.0.1:0/peerkit") } }))
{
    await wsRouter.StartAsync();
    PeerKit.Routing.RouterClient OverWebSocket(string name) => new(
        new PeerNodeOptions { Name = name, ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") }, Protocols = { new TourProtocol(name) } },
        new PeerKit.Routing.RouterClientOptions { Router = wsRouter.ListenAddresses[0] });
    await using PeerKit.Routing.RouterClient wsAlice = OverWebSocket("alice"), wsBob = OverWebSocket("bob");
    await wsAlice.StartAsync();
    await wsBob.StartAsync();
    Console.WriteLine($"   alice and bob attached over {wsRouter.ListenAddresses[0].Scheme}; online: {(await wsAlice.WhoIsOnlineAsync([wsBob.Id])).Count} of 1");
    Peer wsPeer = await wsAlice.ConnectAsync(wsBob.Id);
    PeerKit.Routing.SendResult sent = await wsAlice.SendAsync(wsBob.Id, new ChatMessage(1, 2, "lobby", "signaled over a WebSocket"));
    Console.WriteLine($"   alice connected to bob by id over {wsPeer.Link.GetType().Name}: SendResult {sent}");
}

// Step 13. Routers in a cluster (docs/router.md, "Cluster"): several routers share sessions, rooms, signaling and
// relaying through Redis, so nodes attached to different routers find each other. It needs a redis-server; this
// step starts one of its own on a free port when the program is installed (apt-get install redis-server).
Step("13. Two routers sharing a Redis");
if (FindProgram("redis-server") is not { } redisServer)
{
    Console.WriteLine("   skipped: redis-server is not installed (apt-get install redis-server), see docs/router.md, \"Cluster\"");
}
else
{
    int redisPort = FreeTcpPort();
    using var redis = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(redisServer, ["--port", redisPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"])
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
    })!;
    try
    {
        await WaitForTcpAsync(redisPort, TimeSpan.FromSeconds(15));
        PeerKit.Routing.Router Member(string id) => new(new PeerKit.Routing.RouterOptions
        {
            ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") },
            Cluster = new PeerKit.Routing.RouterClusterOptions { ConnectionString = $"redis://127.0.0.1:{redisPort}", RouterId = id },
        });
        await using PeerKit.Routing.Router east = Member("east"), west = Member("west");
        await east.StartAsync();
        await west.StartAsync();
        PeerKit.Routing.RouterClient AttachTo(PeerKit.Routing.Router home, string name) => new(
            new PeerNodeOptions { Name = name, ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") }, Protocols = { new TourProtocol(name) } },
            new PeerKit.Routing.RouterClientOptions { Router = home.ListenAddresses[0] });
        await using PeerKit.Routing.RouterClient eastAlice = AttachTo(east, "alice"), westBob = AttachTo(west, "bob");
        await eastAlice.StartAsync();
        await westBob.StartAsync();
        await eastAlice.CreateRoomAsync("lobby");
        IReadOnlyList<NodeId> members = await westBob.JoinRoomAsync("lobby");
        Console.WriteLine($"   alice on router east, bob on router west: the room has {members.Count} members on both routers");
        Peer acrossRouters = await eastAlice.ConnectAsync(westBob.Id);
        PeerKit.Routing.SendResult across = await eastAlice.SendAsync(westBob.Id, new ChatMessage(1, 2, "lobby", "hello across routers"));
        Console.WriteLine($"   alice connected to bob across routers: SendResult {across}");
    }
    finally
    {
        redis.Kill();
        await redis.WaitForExitAsync();
    }
}

static string? FindProgram(string name) =>
    (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Concat(["/usr/sbin", "/usr/bin", "/sbin"])
        .Select(directory => Path.Combine(directory, name)).FirstOrDefault(File.Exists);

static int FreeTcpPort()
{
    using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static async Task WaitForTcpAsync(int port, TimeSpan bound)
{
    using var deadline = new CancellationTokenSource(bound);
    while (true)
    {
        try
        {
            using var probe = new System.Net.Sockets.TcpClient();
            await probe.ConnectAsync(IPAddress.Loopback, port, deadline.Token);
            return;
        }
        catch (System.Net.Sockets.SocketException)
        {
            await Task.Delay(50, deadline.Token);
        }
    }
}

static async Task<(long Updates, long Packets, long PeerSaw, int Delivered)> KeyUpdatesAsync(int count)
{
    using NodeKey aliceKey = NodeKey.Generate();
    using NodeKey bobKey = NodeKey.Generate();
    var options = new PeerKit.Links.Udp.UdpLinkOptions { KeyUpdatePackets = 64 };
    await using var bob = PeerKit.Links.Udp.UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), bobKey, options);
    await using var alice = PeerKit.Links.Udp.UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), aliceKey, options);
    PeerKit.Links.Udp.UdpLink toBob = await alice.ConnectAsync(bob.LocalEndPoint);
    PeerKit.Links.Udp.UdpLink toAlice = await bob.AcceptAsync();
    int delivered = 0;
    for (int i = 0; i < count; i++)
    {
        await toBob.SendAsync(BitConverter.GetBytes(i));
        using LinkFrame frame = await toAlice.ReceiveAsync(); // one at a time: each frame its own packet
        delivered += BitConverter.ToInt32(frame.Span) == i ? 1 : 0;
    }

    PeerKit.Links.Udp.UdpLinkStatus sent = toBob.GetStatus();
    return (sent.KeyUpdates, sent.PacketsSent, toAlice.GetStatus().PeerKeyUpdates, delivered);
}

static async Task<double> MedianRoundTripAsync(PeerKit.Links.Udp.UdpLinkOptions? options)
{
    using NodeKey aliceKey = NodeKey.Generate();
    using NodeKey bobKey = NodeKey.Generate();
    await using var bob = PeerKit.Links.Udp.UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), bobKey, options);
    await using var alice = PeerKit.Links.Udp.UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), aliceKey, options);
    PeerKit.Links.Udp.UdpLink toBob = await alice.ConnectAsync(bob.LocalEndPoint);
    PeerKit.Links.Udp.UdpLink toAlice = await bob.AcceptAsync();
    Task echo = Task.Run(async () =>
    {
        try
        {
            while (true)
            {
                using LinkFrame frame = await toAlice.ReceiveAsync().ConfigureAwait(false);
                await toAlice.SendAsync(frame.Memory).ConfigureAwait(false);
            }
        }
        catch (LinkClosedException)
        {
        }
    });
    var times = new double[300];
    byte[] ping = new byte[64];
    for (int i = 0; i < times.Length; i++)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        await toBob.SendAsync(ping).ConfigureAwait(false);
        (await toBob.ReceiveAsync().ConfigureAwait(false)).Dispose();
        times[i] = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    }

    await toBob.DisposeAsync();
    await echo;
    Array.Sort(times);
    return times[times.Length / 2];
}

static void Step(string title)
{
    Console.WriteLine();
    Console.WriteLine(title);
}

/// <summary>A chat line in a room, delivered reliably and in order.</summary>
[Message(Code = 1)]
public partial record ChatMessage(ulong From, ulong To, string Room, string Text)
{
    /// <summary>Topic tags (a packed repeated field).</summary>
    public int[] Tags { get; init; } = [];
}

/// <summary>An avatar's position and rotation, sent unreliably many times a second (the Oculus P2P sample's payload).</summary>
[Message(Code = 2, Reliability = Reliability.Unreliable, MaxSize = 48)]
public readonly partial record struct AvatarTransform([Fixed] uint Id, float X, float Y, float Z, float Qx, float Qy, float Qz, float Qw);

/// <summary>The tour's protocol: chat lines go to a handler, avatar transforms to the pull reader.</summary>
[Protocol("tour", Version = 1)]
[ProtocolMessage(typeof(ChatMessage))]
[ProtocolMessage(typeof(AvatarTransform))]
public sealed partial class TourProtocol(string owner)
{
    /// <summary>The first chat line this node's handler received.</summary>
    public TaskCompletionSource<string> Chats { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [Handler]
    private void OnChat(Peer peer, ChatMessage chat) => Chats.TrySetResult($"\"{chat.Text}\" in {chat.Room} from {peer.Name} (at {owner})");
}
