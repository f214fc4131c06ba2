using System.Collections.Concurrent;
using PeerKit;
using PeerKit.Routing;

// Chat in a room through an embedded router (the Oculus rooms shape, reliable messages): three nodes join "lobby",
// each says hello to the room, and every node must hear the other two exactly once. Exit code 0 when they do.
// With --cluster redis://host:port there are three routers sharing that Redis (docs/router.md, "Cluster"), and each
// node attaches to its own router: the room, the connects and the relay then go across routers.
string? cluster = args.Length == 2 && args[0] == "--cluster" ? args[1] : null;
if (args.Length > 0 && cluster is null)
{
    Console.WriteLine("usage: Chat [--cluster redis://host:port]");
    return 2;
}

var routers = new List<Router>();
for (int i = 0; i < (cluster is null ? 1 : 3); i++)
{
    var router = new Router(new RouterOptions
    {
        ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") },
        Cluster = cluster is null ? null : new RouterClusterOptions { ConnectionString = cluster, RouterId = $"router{i}" },
    });
    routers.Add(router);
    await router.StartAsync();
    Console.WriteLine($"router{(cluster is null ? "" : $" {i}")}: {router.ListenAddresses[0]}");
}

string[] names = ["alice", "bob", "carol"];
var chats = names.Select(_ => new ChatProtocol()).ToArray();
var clients = new List<RouterClient>();
try
{
    for (int i = 0; i < names.Length; i++)
    {
        var client = new RouterClient(
            new PeerNodeOptions { Name = names[i], ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") }, Protocols = { chats[i] } },
            new RouterClientOptions { Router = routers[i % routers.Count].ListenAddresses[0] });
        clients.Add(client);
        string me = names[i];
        if (Environment.GetEnvironmentVariable("CHAT_DEBUG") is not null)
        {
            client.Event += (_, e) => Console.WriteLine($"[{me}] {e}");
        }

        await client.StartAsync();
        if (i == 0)
        {
            await client.CreateRoomAsync("lobby");
        }
        else
        {
            await client.JoinRoomAsync("lobby");
        }

        client.AcceptForRoom("lobby");
    }

    // Wait until everyone's view of the room has all three members (membership events).
    using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
    while (clients.Any(c => c.RoomMembers("lobby").Count < names.Length))
    {
        await Task.Delay(20, wait.Token);
    }

    for (int i = 0; i < clients.Count; i++)
    {
        int sent = await clients[i].SendToRoomAsync("lobby", new ChatProtocol.Say($"hello from {names[i]}"));
        Console.WriteLine($"{names[i]} said hello to {sent} members");
    }

    while (chats.Any(c => c.Heard.Count < names.Length - 1))
    {
        await Task.Delay(20, wait.Token);
    }

    for (int i = 0; i < names.Length; i++)
    {
        foreach (string line in chats[i].Heard.Order())
        {
            Console.WriteLine($"{names[i]} heard: {line}");
        }
    }

    await Task.Delay(200);
    bool exact = chats.All(c => c.Heard.Count == names.Length - 1 && c.Heard.Distinct().Count() == names.Length - 1);
    Console.WriteLine(exact ? "every member heard every other member exactly once" : "FAILED: a member heard a line twice or not at all");
    return exact ? 0 : 1;
}
catch (OperationCanceledException)
{
    Console.WriteLine("FAILED: timed out");
    foreach (RouterClient client in clients)
    {
        Console.WriteLine($"  {client.Node.Name}: peers {string.Join(", ", client.Node.Peers)}");
    }

    for (int i = 0; i < chats.Length; i++)
    {
        Console.WriteLine($"  {names[i]} heard {string.Join("; ", chats[i].Heard)}");
    }

    return 1;
}
finally
{
    foreach (RouterClient client in clients)
    {
        await client.DisposeAsync();
    }

    foreach (Router router in routers)
    {
        await router.DisposeAsync();
    }
}

/// <summary>The chat protocol: one reliable message.</summary>
[Protocol("chat")]
public sealed partial class ChatProtocol
{
    /// <summary>A line of chat.</summary>
    /// <param name="Text">The text.</param>
    [Message(Code = 0)]
    public sealed partial record Say(string Text);

    /// <summary>Every line heard.</summary>
    public ConcurrentBag<string> Heard { get; } = [];

    [Handler]
    private void OnSay(Peer peer, Say say) => Heard.Add($"{say.Text} (from {peer.Name})");
}
