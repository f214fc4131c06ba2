using System.Diagnostics;
using System.Globalization;
using System.Net;
using PeerKit.Links.Udp;
using PeerKit.Routing;

namespace PeerKit.Nat.Host;

/// <summary>
/// The commands of the host, one per line, each answered by exactly one line: <c>ok …</c> or <c>error &lt;Type&gt; …</c>.
/// Every command that waits takes its timeout; see Program.cs for the list.
/// </summary>
public sealed class HostCommands : IAsyncDisposable
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private readonly NatTestProtocol _protocol = new();
    private readonly UdpProbe _probe = new();
    private readonly Dictionary<NodeId, ulong> _sentTo = [];
    private readonly List<string> _events = [];
    private readonly Dictionary<SendResult, long> _sendResults = [];
    private PeerNode? _node;
    private Router? _router;
    private RouterClient? _client;
    private Task<string>? _background;

    /// <summary>Runs one command line and returns its reply line.</summary>
    public async Task<string> RunAsync(string line)
    {
        string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            return "error Usage empty command";
        }

        try
        {
            return words[0] switch
            {
                "node" => await StartNode(words),
                "router" => await StartRouter(words),
                "router-stats" => RouterStats(),
                "client" => await StartClient(words),
                "route-connect" => await RouteConnect(words),
                "route-send" => await RouteSend(words),
                "send-results" => SendResults(),
                "events" => Events(),
                "connect" => await Connect(words),
                "peers" => Peers(),
                "wait-peer" => await WaitPeer(words),
                "send" => await Send(Node.Peers.Single(p => p.Id == Id(words[1])), Int(words, 2), Int(words, 3, 16), 0),
                "send-start" => SendStart(words),
                "send-wait" => await SendWait(words),
                "received" => "ok received " + _protocol.Received.WaitFor(Id(words[1]), Int(words, 2), Ms(words, 3)),
                "link" => Link(words),
                "wait-path" => await WaitPath(words),
                "probe-listen" => ProbeListen(words),
                "probe-results" => await ProbeResults(words),
                "probe-send" => ProbeSend(words),
                "punch" => await Punch(words),
                _ => $"error Usage unknown command {words[0]}",
            };
        }
        catch (Exception e)
        {
            return $"error {e.GetType().Name} {OneLine(e.Message)}";
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        _probe.Dispose();
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }
        else if (_node is not null)
        {
            await _node.DisposeAsync();
        }

        if (_router is not null)
        {
            await _router.DisposeAsync();
        }
    }

    private PeerNode Node => _node ?? throw new InvalidOperationException("no node: send 'node <listen-address>' or 'client …' first");

    private RouterClient Client => _client ?? throw new InvalidOperationException("no router client: send 'client …' first");

    // router <listen-address>: an embedded router (src/Router) listening there; ok router <id> <port>
    private async Task<string> StartRouter(string[] words)
    {
        if (_router is not null || _node is not null)
        {
            throw new InvalidOperationException("this host already runs a node or a router");
        }

        _router = new Router(new RouterOptions { ListenAddresses = { NodeAddress.Parse(words[1]) } });
        await _router.StartAsync();
        _node = _router.Node;
        return $"ok router {_router.Id} {_router.ListenAddresses[0].Port}";
    }

    // router-stats: ok router-stats sessions=<n> throttled=<n> refused=<n> malformed=<n> relayed=<bytes> datagrams=<n> bindings=<n>
    private string RouterStats()
    {
        Router router = _router ?? throw new InvalidOperationException("no router: send 'router <listen-address>' first");
        IReadOnlyList<RelayStatistics> relays = router.GetRelayStatistics();
        return $"ok router-stats sessions={router.SessionCount} throttled={router.ThrottledCount} refused={router.RefusedSessionCount} malformed={router.MalformedCount}" +
            $" relayed={relays.Sum(r => r.BytesRelayed)} datagrams={relays.Sum(r => r.DatagramsRelayed)} bindings={router.RelayBindingCount} rebinds={router.RebindCount}";
    }

    // client <router-address> <mode> <connect-timeout> [listen-port]: a RouterClient (its node listens on UDP, default
    // port 0) attached to the router; ok client <id> <port> <observed address>
    private async Task<string> StartClient(string[] words)
    {
        if (_client is not null || _node is not null)
        {
            throw new InvalidOperationException("this host already runs a node or a router");
        }

        var client = new RouterClient(
            new PeerNodeOptions
            {
                Name = "nat-client",
                ListenAddresses = { NodeAddress.Parse($"udp://0.0.0.0:{Int(words, 4, 0)}") },
                Protocols = { _protocol },
            },
            new RouterClientOptions
            {
                Router = NodeAddress.Parse(words[1]),
                RoutingMode = Enum.Parse<RoutingMode>(words[2]),
                ConnectTimeout = Ms(words, 3),
            });
        client.Event += (_, e) =>
        {
            if (e.Kind is RoutingEventKind.ConnectionFailed or RoutingEventKind.Connected or RoutingEventKind.Disconnected)
            {
                lock (_events)
                {
                    _events.Add($"{e.Kind}:{e.PeerId}:{e.Failure?.ToString() ?? "-"}");
                }
            }
        };
        try
        {
            await client.StartAsync();
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }

        _client = client;
        _node = client.Node;
        return $"ok client {client.Id} {client.Node.ListenAddresses[0].Port} {client.ObservedAddress ?? "-"}";
    }

    // route-connect <id>: connect by node id through the router; ok connected <id> <remote> <ms>, or
    // error RoutedConnectException <failure> <ms> <message>
    private async Task<string> RouteConnect(string[] words)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            Peer peer = await Client.ConnectAsync(Id(words[1]), cancel.Token);
            return $"ok connected {peer.Id} {peer.RemoteAddress} {clock.ElapsedMilliseconds}";
        }
        catch (RoutedConnectException e)
        {
            return $"error {nameof(RoutedConnectException)} {e.Failure} {clock.ElapsedMilliseconds} {OneLine(e.Message)}";
        }
    }

    // route-send <id> <count> [padding]: the next <count> numbered reliable messages through the client (connecting
    // when needed); ok sent <count> <last> and the SendResult of each, counted (p2p=… relay=… queued=… dropped=…)
    private async Task<string> RouteSend(string[] words)
    {
        NodeId id = Id(words[1]);
        long count = Int(words, 2);
        byte[] pad = new byte[Int(words, 3, 16)];
        ulong next = _sentTo.GetValueOrDefault(id);
        var results = new Dictionary<SendResult, long>();
        for (long i = 0; i < count; i++)
        {
            next++;
            SendResult result = await Client.SendAsync(id, new Numbered(next, pad));
            _sentTo[id] = next;
            results[result] = results.GetValueOrDefault(result) + 1;
            _sendResults[result] = _sendResults.GetValueOrDefault(result) + 1;
        }

        return $"ok sent {count} {next} {Tally(results)}";
    }

    // send-results: every SendResult of route-send so far; ok send-results p2p=… relay=… queued=… dropped=…
    private string SendResults() => $"ok send-results {Tally(_sendResults)}";

    // events: the client's Connected, Disconnected and ConnectionFailed events, as <kind>:<peer>:<failure>
    private string Events()
    {
        lock (_events)
        {
            return "ok events" + string.Concat(_events.Select(e => " " + e));
        }
    }

    private static string Tally(Dictionary<SendResult, long> results) =>
        string.Join(' ', Enum.GetValues<SendResult>().Select(r => $"{r.ToString().ToLowerInvariant()}={results.GetValueOrDefault(r)}"));

    // node <listen-address> [dial-timeout-ms]: starts a node listening there; ok node <id> <port>
    private async Task<string> StartNode(string[] words)
    {
        if (_node is not null)
        {
            throw new InvalidOperationException("the node is already started");
        }

        TimeSpan dial = Ms(words, 2, 5000);
        _node = new PeerNode(new PeerNodeOptions
        {
            Name = "nat-host",
            ListenAddresses = { NodeAddress.Parse(words[1]) },
            Protocols = { _protocol },
            DialTimeout = dial,
            HandshakeTimeout = TimeSpan.FromSeconds(5),
            Udp = new UdpLinkOptions { HandshakeTimeout = dial },
        });
        await _node.StartAsync();
        return $"ok node {_node.Id} {_node.ListenAddresses[0].Port}";
    }

    // connect <address> [timeout-ms]: ok connected <id> <remote> <ms>, or error <Type> <reason> <ms> <message>
    private async Task<string> Connect(string[] words)
    {
        var clock = Stopwatch.StartNew();
        using var cancel = new CancellationTokenSource(Ms(words, 2, 20_000));
        try
        {
            Peer peer = await Node.ConnectAsync(NodeAddress.Parse(words[1]), cancel.Token);
            return $"ok connected {peer.Id} {peer.RemoteAddress} {clock.ElapsedMilliseconds}";
        }
        catch (PeerConnectException e)
        {
            return $"error {nameof(PeerConnectException)} {e.Reason} {clock.ElapsedMilliseconds} {e.InnerException?.GetType().Name} {OneLine(e.Message)}";
        }
        catch (OperationCanceledException)
        {
            return $"error {nameof(OperationCanceledException)} - {clock.ElapsedMilliseconds} the connect did not end within its timeout";
        }
    }

    // peers: ok peers <n> <id>@<remote>/<inbound|outbound> …
    private string Peers() =>
        $"ok peers {Node.PeerCount}" + string.Concat(Node.Peers.Select(p => $" {p.Id}@{p.RemoteAddress}/{(p.IsInbound ? "inbound" : "outbound")}"));

    // wait-peer <id> <timeout-ms>: ok peer <id> <remote> <inbound|outbound>
    private async Task<string> WaitPeer(string[] words)
    {
        NodeId id = Id(words[1]);
        var clock = Stopwatch.StartNew();
        TimeSpan timeout = Ms(words, 2);
        while (clock.Elapsed < timeout)
        {
            if (Node.TryGetPeer(id, out Peer? peer))
            {
                return $"ok peer {peer.Id} {peer.RemoteAddress} {(peer.IsInbound ? "inbound" : "outbound")}";
            }

            await Task.Delay(20);
        }

        return $"error TimeoutException no peer {id:s} within {timeout.TotalMilliseconds} ms";
    }

    // send <id> <count> [padding]: sends the next <count> numbered messages; ok sent <count> <last>
    private async Task<string> Send(Peer peer, long count, long padding, int intervalMs)
    {
        byte[] pad = new byte[padding];
        ulong next = _sentTo.GetValueOrDefault(peer.Id);
        for (long i = 0; i < count; i++)
        {
            next++;
            await peer.SendAsync(new Numbered(next, pad));
            _sentTo[peer.Id] = next;
            if (intervalMs > 0)
            {
                await Task.Delay(intervalMs);
            }
        }

        return $"ok sent {count} {next}";
    }

    // send-start <id> <count> <interval-ms>: starts sending in the background (one message per interval); ok started
    private string SendStart(string[] words)
    {
        if (_background is { IsCompleted: false })
        {
            throw new InvalidOperationException("a background send is running");
        }

        Peer peer = Node.Peers.Single(p => p.Id == Id(words[1]));
        long count = Int(words, 2);
        int interval = (int)Int(words, 3);
        _background = Task.Run(async () =>
        {
            try
            {
                return await Send(peer, count, 16, interval);
            }
            catch (Exception e)
            {
                return $"error {e.GetType().Name} {OneLine(e.Message)}";
            }
        });
        return "ok started";
    }

    // send-wait <timeout-ms>: the background send's reply once it ends
    private async Task<string> SendWait(string[] words)
    {
        Task<string> background = _background ?? throw new InvalidOperationException("no background send");
        try
        {
            return await background.WaitAsync(Ms(words, 1));
        }
        catch (TimeoutException)
        {
            return "error TimeoutException the background send is still running";
        }
    }

    // link <id>: ok link <remote> [path=<Direct|Relay> migrations=<n> challenges=<n>] (the last three for UDP links)
    private string Link(string[] words)
    {
        Peer peer = Node.Peers.Single(p => p.Id == Id(words[1]));
        string udp = peer.Link is UdpLink link
            ? $" path={link.ActivePath} migrations={link.GetStatus().PathMigrations} challenges={link.GetStatus().PathChallengesSent}"
            : "";
        return $"ok link {peer.RemoteAddress}{udp}";
    }

    // wait-path <id> <Direct|Relay> <timeout-ms>: waits until the UDP link's active path is that one; ok path <path> <ms>
    private async Task<string> WaitPath(string[] words)
    {
        NodeId id = Id(words[1]);
        LinkPath wanted = Enum.Parse<LinkPath>(words[2]);
        TimeSpan timeout = Ms(words, 3);
        var clock = Stopwatch.StartNew();
        LinkPath? last = null;
        while (clock.Elapsed < timeout)
        {
            if (Node.TryGetPeer(id, out Peer? peer) && peer.Link is UdpLink link)
            {
                last = link.ActivePath;
                if (last == wanted)
                {
                    return $"ok path {wanted} {clock.ElapsedMilliseconds}";
                }
            }

            await Task.Delay(20);
        }

        return $"error TimeoutException the path to {id:s} is {last?.ToString() ?? "unknown (no UDP session)"} after {timeout.TotalMilliseconds} ms";
    }

    // probe-listen <ip:port> …: ok listening
    private string ProbeListen(string[] words)
    {
        _probe.Listen(words.Skip(1).Select(IPEndPoint.Parse));
        return "ok listening";
    }

    // probe-results <timeout-ms>: ok seen <local>=<remote> …, or error TimeoutException seen …
    private async Task<string> ProbeResults(string[] words)
    {
        (bool all, string seen) = await _probe.Results(Ms(words, 1));
        return all ? $"ok seen {seen}" : $"error TimeoutException seen {seen}";
    }

    // probe-send <local-port> <ip:port> …: ok sent
    private static string ProbeSend(string[] words)
    {
        UdpProbe.Send((int)Int(words, 1), words.Skip(2).Select(IPEndPoint.Parse));
        return "ok sent";
    }

    // punch <local-port> <ip:port> <timeout-ms>: ok punched <from>, or error TimeoutException
    private static async Task<string> Punch(string[] words)
    {
        IPEndPoint? heard = await UdpProbe.Punch((int)Int(words, 1), IPEndPoint.Parse(words[2]), Ms(words, 3));
        return heard is null ? "error TimeoutException nothing heard from " + words[2] : $"ok punched {heard}";
    }

    private static NodeId Id(string text) => NodeId.Parse(text);

    private static long Int(string[] words, int index, long? otherwise = null) =>
        index < words.Length ? long.Parse(words[index], Invariant)
        : otherwise ?? throw new ArgumentException($"{words[0]}: argument {index} is missing");

    private static TimeSpan Ms(string[] words, int index, long? otherwise = null) => TimeSpan.FromMilliseconds(Int(words, index, otherwise));

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
