using System.Collections.Concurrent;
using PeerKit.Routing;
using static PeerKit.Router.Tests.Loopback;

namespace PeerKit.Router.Tests;

public class RoomTests
{
    [Fact]
    public async Task Room_fan_out_reaches_each_of_8_members_exactly_once()
    {
        await using var router = await StartRouterAsync();
        var clients = new List<(RouterClient Client, TestChat Chat)>();
        try
        {
            for (int i = 0; i < 9; i++)
            {
                clients.Add(await StartClientAsync(router.ListenAddresses[0]));
            }

            var (sender, _) = clients[0];
            var events = new ConcurrentQueue<RoomEvent>();
            sender.RoomChanged += (_, e) => events.Enqueue(e);
            Assert.Equal([sender.Id], await sender.CreateRoomAsync("lobby"));
            foreach (var (member, _) in clients.Skip(1))
            {
                IReadOnlyList<NodeId> members = await member.JoinRoomAsync("lobby");
                Assert.Contains(member.Id, members);
                Assert.True(member.AcceptForRoom("lobby"));
            }

            await EventuallyAsync(() => sender.RoomMembers("lobby").Count == 9, "the sender sees 9 members");
            Assert.Equal(8, events.Count(e => e.Joined));
            Assert.Equal(["lobby"], await sender.ListRoomsAsync());

            for (int n = 0; n < 5; n++)
            {
                Assert.Equal(8, await sender.SendToRoomAsync("lobby", new TestChat.Line($"m{n}")));
            }

            foreach (var (member, chat) in clients.Skip(1))
            {
                await EventuallyAsync(() => chat.Lines.Count >= 5, $"member {member.Id:s} gets the 5 lines", 20_000);
            }

            await Task.Delay(300);
            foreach (var (member, chat) in clients.Skip(1))
            {
                Assert.Equal(["m0", "m1", "m2", "m3", "m4"], chat.Lines.Select(l => l.Text));
                Assert.All(chat.Lines, l => Assert.Equal(sender.Id, l.From));
            }

            Assert.Empty(clients[0].Chat.Lines);

            // Leaving is an event for the others; CloseForRoom drops the sessions with the members.
            await clients[8].Client.LeaveRoomAsync("lobby");
            await EventuallyAsync(() => events.Any(e => !e.Joined && e.Member == clients[8].Client.Id), "the sender sees the leave");
            Assert.Equal(8, sender.RoomMembers("lobby").Count);
            await sender.CloseForRoomAsync("lobby");
            await EventuallyAsync(() => sender.Node.PeerCount == 2, "only the router and the member who left remain");
        }
        finally
        {
            foreach (var (client, _) in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Members_that_all_send_to_the_room_at_once_get_one_session_per_pair_and_every_message()
    {
        await using var router = await StartRouterAsync();
        var clients = new List<(RouterClient Client, TestChat Chat)>();
        var events = new System.Collections.Concurrent.ConcurrentQueue<string>(); // what a failure reports
        try
        {
            for (int i = 0; i < 5; i++)
            {
                clients.Add(await StartClientAsync(router.ListenAddresses[0]));
                RouterClient added = clients[i].Client;
                added.Event += (_, e) =>
                {
                    if (e.Kind != RoutingEventKind.Data)
                    {
                        events.Enqueue($"{added.Id:s}: {e.Kind} {e.PeerId:s} {e.State} {e.Failure} {e.Detail}");
                    }
                };
                await (i == 0 ? clients[i].Client.CreateRoomAsync("all") : clients[i].Client.JoinRoomAsync("all"));
            }

            await EventuallyAsync(() => clients.All(c => c.Client.RoomMembers("all").Count == 5), "everyone sees 5 members");

            // Every pair connects from both ends at once (crossed connect requests).
            await Task.WhenAll(clients.Select(c => c.Client.SendToRoomAsync("all", new TestChat.Line($"from {c.Client.Id:s}")).AsTask()));
            foreach (var (client, chat) in clients)
            {
                await EventuallyAsync(
                    () => chat.Lines.Count >= 4,
                    () => $"{client.Id:s} hears the 4 others (heard {string.Join(", ", chat.Lines.Select(l => l.From.ToString("s", null)))}); events: {string.Join(" | ", events)}",
                    20_000);
            }

            await Task.Delay(300);
            foreach (var (client, chat) in clients)
            {
                Assert.Equal(4, chat.Lines.Count);
                Assert.Equal(4, chat.Lines.Select(l => l.From).Distinct().Count());
                Assert.Equal(5, client.Node.PeerCount); // the router and the 4 others: one session each
                Assert.Equal(0, client.DroppedReliableBytes);
            }
        }
        finally
        {
            foreach (var (client, _) in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Room_requests_are_refused_with_reasons()
    {
        await using var router = await StartRouterAsync(o => o.MaxRoomMembers = 2);
        var (a, _) = await StartClientAsync(router.ListenAddresses[0]);
        var (b, _) = await StartClientAsync(router.ListenAddresses[0]);
        var (c, _) = await StartClientAsync(router.ListenAddresses[0]);
        await using (a)
        await using (b)
        await using (c)
        {
            Assert.Equal(RouterStatus.NoSuchRoom, (await Assert.ThrowsAsync<RouterRequestException>(() => a.JoinRoomAsync("none"))).Status);
            await a.CreateRoomAsync("r");
            Assert.Equal(RouterStatus.RoomExists, (await Assert.ThrowsAsync<RouterRequestException>(() => b.CreateRoomAsync("r"))).Status);
            await b.JoinRoomAsync("r");
            Assert.Equal(RouterStatus.RoomFull, (await Assert.ThrowsAsync<RouterRequestException>(() => c.JoinRoomAsync("r"))).Status);
            Assert.Equal(RouterStatus.NotInRoom, (await Assert.ThrowsAsync<RouterRequestException>(() => c.LeaveRoomAsync("r"))).Status);
            Assert.False(c.AcceptForRoom("r"));
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await c.SendToRoomAsync("r", new TestChat.Line("x")));
        }
    }

    [Fact]
    public async Task Clients_survive_a_router_restart_and_rejoin_their_rooms()
    {
        using var key = NodeKey.Generate();
        var router = await StartRouterAsync(key: key);
        int port = router.ListenAddresses[0].Port;
        NodeAddress address = router.ListenAddresses[0];
        var fast = (RouterClientOptions o) => { o.ReconnectMinDelay = TimeSpan.FromMilliseconds(100); o.ReconnectMaxDelay = TimeSpan.FromMilliseconds(500); };
        var (alice, _) = await StartClientAsync(address, fast);
        var (bob, bobChat) = await StartClientAsync(address, fast);
        try
        {
            await alice.CreateRoomAsync("team");
            await bob.JoinRoomAsync("team");
            Peer toBob = await alice.ConnectAsync(bob.Id);
            await EventuallyAsync(() => toBob.Link is PeerKit.Links.Udp.UdpLink { ActivePath: PeerKit.Links.Udp.LinkPath.Direct }, "alice's link to bob goes direct");

            var states = new ConcurrentQueue<RouterState>();
            alice.RouterStateChanged += (_, s) => states.Enqueue(s);
            await router.DisposeAsync();
            await EventuallyAsync(() => alice.State == RouterState.Reconnecting && bob.State == RouterState.Reconnecting, "both clients notice the router is gone");

            // Direct sessions keep working through the outage.
            Assert.Equal(SendResult.P2P, await alice.SendAsync(bob.Id, new TestChat.Line("during the outage")));
            await EventuallyAsync(() => bobChat.Lines.Any(l => l.Text == "during the outage"), "bob gets the line sent during the outage");

            router = await StartRouterAsync(port: port, key: key);
            await EventuallyAsync(() => alice.State == RouterState.Attached && bob.State == RouterState.Attached, "both clients reattach", 15_000);
            await EventuallyAsync(() => router.RoomCount == 1 && alice.RoomMembers("team").Count == 2, "the room is back with both members", 15_000);
            Assert.Equal([bob.Id], await alice.WhoIsOnlineAsync([bob.Id]));
            Assert.Equal(["team"], await bob.ListRoomsAsync());
            Assert.Equal([RouterState.Reconnecting, RouterState.Attached], states.ToArray());
        }
        finally
        {
            await alice.DisposeAsync();
            await bob.DisposeAsync();
            await router.DisposeAsync();
        }
    }
}
