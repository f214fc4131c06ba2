// A PeerKit node for the NAT tests, run inside a network namespace:
//   ip netns exec <namespace> dotnet PeerKit.Nat.Host.dll [--lifetime <seconds>]
// It reads one command per line on standard input and answers each with one line on standard output, "ok …" or
// "error <Type> …" (diagnostics go to standard error). Commands (times in milliseconds):
//   node <listen-address> [dial-timeout]      start a node (udp://0.0.0.0:PORT) → ok node <id> <port>
//   router <listen-address>                   an embedded router (src/Router) → ok router <id> <port>
//   router-stats                              → ok router-stats sessions=<n> throttled=<n> refused=<n> malformed=<n>
//                                               relayed=<bytes> datagrams=<n> bindings=<n>
//   client <router> <mode> <timeout> [port]   a RouterClient (RoutingMode, connect timeout) attached to the router
//                                             → ok client <id> <port> <observed address>
//   route-connect <id>                        connect by id through the router → ok connected <id> <remote> <ms>
//                                             or error RoutedConnectException <failure> <ms> <message>
//   route-send <id> <count> [padding]         numbered reliable messages through the client
//                                             → ok sent <count> <last> p2p=<n> relay=<n> queued=<n> dropped=<n>
//   send-results                              every route-send's SendResults so far, counted as above
//   events                                    → ok events <Connected|Disconnected|ConnectionFailed>:<peer>:<failure> …
//   connect <address> [timeout]               dial (udp://<id>@host:port) → ok connected <id> <remote> <ms>
//                                             or error PeerConnectException <reason> <ms> <inner type> <message>
//   peers                                     → ok peers <n> <id>@<remote>/<inbound|outbound> …
//   wait-peer <id> <timeout>                  → ok peer <id> <remote> <inbound|outbound>
//   send <id> <count> [padding]               send the next <count> numbered reliable messages → ok sent <count> <last>
//   send-start <id> <count> <interval>        the same in the background, one per interval → ok started
//   send-wait <timeout>                       the background send's reply once it ends
//   received <id> <expected> <timeout>        → ok received count=<n> last=<n> inorder=<true|false> [broken=…]
//   link <id>                                 → ok link <remote> [path=<Direct|Relay> migrations=<n> challenges=<n>]
//   wait-path <id> <Direct|Relay> <timeout>   until the link's active path is that one → ok path <path> <ms>
//   probe-listen <ip:port> …                  plain UDP sockets → ok listening
//   probe-results <timeout>                   → ok seen <local>=<remote> … (the source each socket saw first)
//   probe-send <local-port> <ip:port> …       one plain datagram to each → ok sent
//   punch <local-port> <ip:port> <timeout>    plain UDP hole punching → ok punched <from>
//   exit                                      → ok bye, and the process ends
// The process also ends when standard input closes (the test is gone) or after --lifetime seconds (default 120),
// so nothing outlives a test that failed to stop it.
using System.Globalization;
using PeerKit.Nat.Host;

int lifetime = 120;
for (int i = 0; i + 1 < args.Length; i++)
{
    if (args[i] == "--lifetime")
    {
        lifetime = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    }
}

using var watchdog = new Timer(_ =>
{
    Console.Error.WriteLine($"nat host: still running after --lifetime {lifetime} s; exiting");
    Environment.Exit(3);
}, null, TimeSpan.FromSeconds(lifetime), Timeout.InfiniteTimeSpan);

await using var commands = new HostCommands();
Console.Out.WriteLine("ok ready");
while (await Console.In.ReadLineAsync() is { } line)
{
    if (line.Trim() == "exit")
    {
        Console.Out.WriteLine("ok bye");
        break;
    }

    string reply = await commands.RunAsync(line);
    Console.Out.WriteLine(reply);
}

return 0;
