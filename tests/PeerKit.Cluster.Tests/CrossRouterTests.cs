using System.Collections.Concurrent;
using PeerKit.Routing;
using static PeerKit.Cluster.Tests.ClusterRig;

namespace PeerKit.Cluster.Tests;

/// <summary>Clients spread over three routers that share one Redis.</summary>
public class CrossRouterTests
{
    [Fact]
    public async Task A_client_connects_by_node_id_to_a_client_of_another_router()
    {
        await using ClusterRig rig = await StartAsync();
        var (alice, _) = await rig.StartClientAsync(0);
        var (bob, bobChat) = await rig.StartClientAsync(1);

        Assert.Equal([bob.Id], await alice.WhoIsOnlineAsync([bob.Id]));
        Peer session = await alice.ConnectAsync(bob.Id).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(bob.Id, session.Id);
        await alice.SendAsync(bob.Id, new TestChat.Line("hello across routers"));
        await EventuallyAsync(() => bobChat.Lines.Count == 1, "bob gets the line");
        Assert.Equal((alice.Id, "hello across routers"), bobChat.Lines.Single());

        // The request went through Redis: both routers signaled.
        Assert.True(rig.Routers[0].GetClusterStatistics().SignalsSent >= 1);
        Assert.True(rig.Routers[1].GetClusterStatistics().SignalsSent >= 1);

        // A node no router holds is unavailable at once, with the typed reason.
        var nobody = new NodeId(new byte[32]);
        var failure = await Assert.ThrowsAsync<RoutedConnectException>(() => alice.ConnectAsync(nobody).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(ConnectFailure.Unavailable, failure.Failure);
    }

    [Fact]
    public async Task Relay_across_routers_delivers_every_message_exactly_once_in_order()
    {
        await using ClusterRig rig = await StartAsync();
        var (alice, _) = await rig.StartClientAsync(0, configure: o => o.RoutingMode = RoutingMode.ServerOnly);
        var (bob, bobChat) = await rig.StartClientAsync(2);

        await alice.ConnectAsync(bob.Id).WaitAsync(TimeSpan.FromSeconds(20));
        const int count = 300;
        for (int i = 0; i < count; i++)
        {
            SendResult result = await alice.SendAsync(bob.Id, new TestChat.Line($"m{i}"));
            Assert.Equal(SendResult.Relay, result);
        }

        await EventuallyAsync(() => bobChat.Lines.Count >= count, $"bob gets the {count} lines", 30_000);
        await Task.Delay(300);
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"m{i}"), bobChat.Lines.Select(l => l.Text));

        // Every byte went router to router through Redis, and each router's switch relayed its client's half.
        ClusterStatistics from = rig.Routers[0].GetClusterStatistics();
        ClusterStatistics to = rig.Routers[2].GetClusterStatistics();
        Assert.True(from.RelayedOut > 0 && to.RelayedIn > 0, $"relayed out {from.RelayedOut}, in {to.RelayedIn}");
        Assert.True(to.RelayedOut > 0 && from.RelayedIn > 0, "acknowledgements came back the same way");
        Assert.Equal(0, from.RelayDropped + to.RelayDropped);
        Assert.True(rig.Routers[0].GetRelayStatistics().Sum(s => s.BytesRelayed) > 0);
        Assert.True(rig.Routers[2].GetRelayStatistics().Sum(s => s.BytesRelayed) > 0);
    }

    [Fact]
    public async Task A_room_of_9_members_on_3_routers_fans_out_exactly_once_to_each()
    {
        await using ClusterRig rig = await StartAsync();
        var clients = new List<(RouterClient Client, TestChat Chat)>();
        for (int i = 0; i < 9; i++)
        {
            clients.Add(await rig.StartClientAsync(i % 3));
        }

        var (sender, senderChat) = clients[0];
        var events = new ConcurrentQueue<RoomEvent>();
        sender.RoomChanged += (_, e) => events.Enqueue(e);
        Assert.Equal([sender.Id], await sender.CreateRoomAsync("lobby"));
        foreach (var (member, _) in clients.Skip(1))
        {
            IReadOnlyList<NodeId> members = await member.JoinRoomAsync("lobby");
            Assert.Contains(member.Id, members);
            Assert.True(member.AcceptForRoom("lobby"));
        }

        // Membership lives in Redis: every router sees the whole room, and the joins reached the sender across routers.
        await EventuallyAsync(() => sender.RoomMembers("lobby").Count == 9, "the sender sees 9 members");
        Assert.Equal(8, events.Count(e => e.Joined));
        Assert.Equal(8, events.Where(e => e.Joined).Select(e => e.Member).Distinct().Count());
        Assert.Equal(["lobby"], await clients[4].Client.ListRoomsAsync());
        Assert.Equal(1, rig.Routers[2].RoomCount);

        for (int n = 0; n < 5; n++)
        {
            Assert.Equal(8, await sender.SendToRoomAsync("lobby", new TestChat.Line($"m{n}")));
        }

        foreach (var (member, chat) in clients.Skip(1))
        {
            await EventuallyAsync(() => chat.Lines.Count >= 5, $"member {member.Id:s} gets the 5 lines", 30_000);
        }

        await Task.Delay(300);
        foreach (var (_, chat) in clients.Skip(1))
        {
            Assert.Equal(["m0", "m1", "m2", "m3", "m4"], chat.Lines.Select(l => l.Text));
            Assert.All(chat.Lines, l => Assert.Equal(sender.Id, l.From));
        }

        Assert.Empty(senderChat.Lines);

        // A leave on one router is an event for a member on another.
        await clients[8].Client.LeaveRoomAsync("lobby");
        await EventuallyAsync(() => events.Any(e => !e.Joined && e.Member == clients[8].Client.Id), "the sender sees the leave");
        Assert.Equal(8, sender.RoomMembers("lobby").Count);
    }

    [Fact]
    public async Task Members_joining_at_once_on_three_routers_all_end_up_seeing_the_whole_room()
    {
        await using ClusterRig rig = await StartAsync();
        var clients = new List<RouterClient>();
        for (int i = 0; i < 12; i++)
        {
            clients.Add((await rig.StartClientAsync(i % 3)).Client);
        }

        await clients[0].CreateRoomAsync("rush");
        // Every join at once: notices of one join race the answers to the others, within and across routers.
        await Task.WhenAll(clients.Skip(1).Select(c => c.JoinRoomAsync("rush")));
        foreach (RouterClient client in clients)
        {
            await EventuallyAsync(() => client.RoomMembers("rush").Count == 12, $"{client.Id:s} sees 12 members (sees {client.RoomMembers("rush").Count})");
        }
    }
}
