using PeerKit;
using PeerKit.Routing;

// peerkit-router [--listen udp://0.0.0.0:7330 | tcp://0.0.0.0:7331 | ws://0.0.0.0:7332/peerkit]… [--key router.key] [--token-secret-file secret.bin] [--cluster redis://host:port [--router-id id]]
var options = new RouterOptions();
for (int i = 0; i < args.Length; i++)
{
    string? value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--listen" when value is not null && NodeAddress.TryParse(value, out NodeAddress? address):
            options.ListenAddresses.Add(address);
            i++;
            break;
        case "--key" when value is not null:
            options.IdentityPath = value;
            i++;
            break;
        case "--token-secret-file" when value is not null:
            options.TokenSecret = File.ReadAllBytes(value);
            i++;
            break;
        case "--cluster" when value is not null:
            (options.Cluster ??= new RouterClusterOptions()).ConnectionString = value;
            i++;
            break;
        case "--router-id" when value is not null:
            (options.Cluster ??= new RouterClusterOptions()).RouterId = value;
            i++;
            break;
        case "--help" or "-h":
            Console.WriteLine("""
                usage: PeerKit.Router [--listen address]… [--key file] [--token-secret-file file] [--cluster redis://host:port [--router-id id]]
                  --listen udp://host:port        what clients use (default udp://0.0.0.0:7330)
                  --listen tcp://host:port        for networks that block UDP
                  --listen ws://host:port[/path]  WebSocket (Kestrel), for networks that block UDP and behind an HTTP proxy; path default /peerkit
                  --key file                      the router's node key (created when missing): clients expect its id
                  --token-secret-file file        check access tokens with this secret (at least 16 bytes)
                  --cluster redis://host:port     share sessions, rooms and relaying with the other routers on that Redis (docs/router.md, "Cluster")
                  --router-id id                  this router's id in the cluster (default: its node id)
                """);
            return 0;
        default:
            Console.Error.WriteLine($"error: unknown or incomplete option \"{args[i]}\" (try --help).");
            return 2;
    }
}

Router router;
try
{
    router = new Router(options);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

await using var running = router;
try
{
    await router.StartAsync();
}
catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or ArgumentException or NotSupportedException or ClusterUnavailableException)
{
    Console.Error.WriteLine($"error: the router could not start: {e.Message}");
    return 1;
}

foreach (NodeAddress address in router.ListenAddresses)
{
    Console.WriteLine($"router listening on {address}");
}

if (options.Cluster is { } clustered)
{
    Console.WriteLine($"router {router.ClusterRouterId} in the cluster on {clustered.ConnectionString}");
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}

return 0;
