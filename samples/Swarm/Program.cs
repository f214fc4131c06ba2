// The Crazyflie firmware's app_peer_to_peer example ("Hello World" broadcast) on five simulated drones,
// then typed PeerKit messages on a protocol port. See docs/radio.md.
//
//   dotnet run --project samples/Swarm                         five drones in this process
//   dotnet run --project samples/Swarm -- listen <dir> <id> <x>  one drone on a medium shared by processes
using System.Collections.Concurrent;
using System.Text;
using PeerKit;
using Swarm;

if (args.Length == 4 && args[0] == "listen")
{
    return Listen(args[1], uint.Parse(args[2]), double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
}

var output = new ConcurrentQueue<string>();

// One medium, five drones on a line, 3 m apart: channel 80, 2 Mbit/s, address FF:E7:E7:E7:E7 (the P2P defaults).
using var medium = new SimulatedMedium(new SimulatedMediumOptions { Seed = 2024 });
RadioNode[] drones = new RadioNode[5];
for (int i = 0; i < drones.Length; i++)
{
    int id = i + 1;
    drones[i] = RadioNode.Open(medium.OpenRadio((uint)id, x: 3.0 * i));

    // p2pRegisterCB(p2pcallbackHandler): runs on the radio's receive thread, so it only queues a line.
    drones[i].RegisterCallback((in P2PPacket p) =>
        output.Enqueue($"drone {id} got \"{Encoding.ASCII.GetString(p.Data)}\" on port {p.Port} from drone {p.Sender}, rssi {p.Rssi} ({p.RssiDbm} dBm)"));
}

// radiolinkSendP2PPacketBroadcast(&pk) with pk.port = 0, pk.size = 11, "Hello World": each drone in turn.
for (int i = 0; i < drones.Length; i++)
{
    drones[i].SendBroadcast(0, "Hello World"u8);
    Thread.Sleep(5); // as on the air, two drones sending at once would collide
}

WaitFor(() => output.Count >= 20); // every drone hears the four others
foreach (string line in output.OrderBy(l => l, StringComparer.Ordinal))
{
    Console.WriteLine(line);
}

// Typed messages on port 3: positions broadcast, a greeting addressed (acknowledged, delivered once).
Console.WriteLine();
var typed = new ConcurrentQueue<string>();
RadioProtocol[] swarm = drones.Select(d => d.UseProtocol(SwarmProtocol.Descriptor)).ToArray();
for (int i = 0; i < swarm.Length; i++)
{
    int id = i + 1;
    swarm[i].On<SwarmProtocol.Position>((from, p) => typed.Enqueue($"drone {id}: drone {from.Address} is at ({p.X}, {p.Y}, {p.Z}), rssi {from.Rssi}"));
    swarm[i].On<SwarmProtocol.Greeting>((from, g) => typed.Enqueue($"drone {id}: \"{g.Text}\" from drone {from.Address} (addressed: {from.IsAddressed}), rssi {from.Rssi}"));
}

swarm[0].Broadcast(new SwarmProtocol.Position(0, 0, 1.5f));
Thread.Sleep(5);
await swarm[4].SendAsync(1, new SwarmProtocol.Greeting("hello from the end of the line"));
WaitFor(() => typed.Count >= 5); // four positions and one greeting
foreach (string line in typed.OrderBy(l => l, StringComparer.Ordinal))
{
    Console.WriteLine(line);
}

RadioStatistics stats = drones[0].Radio.GetStatistics();
Console.WriteLine();
Console.WriteLine($"drone 1 radio: {stats.Sent} sent, {stats.Received} received, {stats.LostSignal} lost to noise, {stats.LostCollision} to collisions");
foreach (RadioNode drone in drones)
{
    drone.Dispose();
}

return 0;

// The receive threads print nothing themselves: wait (at most 5 s) until they have queued what is expected.
static void WaitFor(Func<bool> done)
{
    var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
    while (!done() && DateTime.UtcNow < deadline)
    {
        Thread.Sleep(10);
    }
}

// One drone on a medium shared through a directory: prints what it hears for up to 10 s, and stops after
// three "Hello World"s.
static int Listen(string directory, uint id, double x)
{
    using var medium = new SimulatedMedium(new SimulatedMediumOptions { Seed = 2024, Path = directory });
    using RadioNode drone = RadioNode.Open(medium.OpenRadio(id, x));
    Console.WriteLine($"drone {id} listening at x = {x} m");
    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
    int hellos = 0;
    try
    {
        while (hellos < 3)
        {
            P2PPacket p = drone.Packets.ReadAsync(cts.Token).AsTask().GetAwaiter().GetResult();
            string text = Encoding.ASCII.GetString(p.Data);
            Console.WriteLine($"drone {id} heard \"{text}\" from drone {p.Sender}, rssi {p.Rssi}");
            if (text == "Hello World")
            {
                hellos++;
                Thread.Sleep((int)id * 7); // two drones answering the same frame at once would collide
                drone.SendBroadcast(1, Encoding.ASCII.GetBytes($"ack from {id}"));
            }
        }
    }
    catch (OperationCanceledException)
    {
        Console.WriteLine($"drone {id} gave up after 10 s");
        return 1;
    }

    return 0;
}
