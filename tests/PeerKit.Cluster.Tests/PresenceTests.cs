using PeerKit.Routing;
using static PeerKit.Cluster.Tests.ClusterRig;

namespace PeerKit.Cluster.Tests;

/// <summary>Presence (<c>Who</c>) across the routers of a cluster: named nodes and the whole list, under the presence cap.</summary>
public class PresenceTests
{
    [Fact]
    public async Task Presence_lists_nodes_held_by_other_routers_with_and_without_node_ids()
    {
        await using ClusterRig rig = await StartAsync();
        var (alice, _) = await rig.StartClientAsync(0);
        var (dave, _) = await rig.StartClientAsync(0);
        var (bob, _) = await rig.StartClientAsync(1);
        var (carol, _) = await rig.StartClientAsync(2);

        // Named: a node on another router is online, one no router holds is not.
        var nobody = new NodeId(new byte[32]);
        Assert.Equal([carol.Id], await alice.WhoIsOnlineAsync([carol.Id, nobody]));
        Assert.Equal(new HashSet<NodeId> { bob.Id, dave.Id }, (await alice.WhoIsOnlineAsync([bob.Id, dave.Id])).ToHashSet());

        // None named: every other node of the cluster, each once (the local one first), never the asker.
        IReadOnlyList<NodeId> all = await alice.WhoIsOnlineAsync();
        Assert.Equal(3, all.Count);
        Assert.Equal(dave.Id, all[0]);
        Assert.Equal(new HashSet<NodeId> { dave.Id, bob.Id, carol.Id }, all.ToHashSet());
    }

    [Fact]
    public async Task A_presence_list_across_the_cluster_stops_at_MaxPresenceAnswer()
    {
        await using ClusterRig rig = await StartAsync();
        RouterOptions options = rig.RouterOptions("capped");
        options.MaxPresenceAnswer = 2;
        await using var capped = new PeerKit.Routing.Router(options);
        await capped.StartAsync();

        var (asker, _) = await rig.StartClientAsync(capped.ListenAddresses[0], []);
        var others = new List<NodeId>();
        for (int i = 0; i < 4; i++)
        {
            others.Add((await rig.StartClientAsync(i % 3)).Client.Id);
        }

        IReadOnlyList<NodeId> listed = await asker.WhoIsOnlineAsync();
        Assert.Equal(2, listed.Count);
        Assert.Equal(2, listed.Distinct().Count());
        Assert.All(listed, id => Assert.Contains(id, others));

        // A router with the default cap lists all four and the capped router's client.
        var (free, _) = await rig.StartClientAsync(1);
        Assert.Equal(others.Append(asker.Id).ToHashSet(), (await free.WhoIsOnlineAsync()).ToHashSet());
    }

    [Fact]
    public async Task A_presence_list_reads_only_its_own_clusters_keys_even_with_a_prefix_that_looks_like_a_pattern()
    {
        // "t[1]*:" read as a SCAN pattern would also match the keys of a cluster prefixed "t1abc:" (same length).
        await using ClusterRig rig = await StartAsync(routers: 2, prefix: "t[1]*:");
        var (alice, _) = await rig.StartClientAsync(0);
        var (bob, _) = await rig.StartClientAsync(1);
        var stranger = new NodeId(Enumerable.Repeat((byte)7, 32).ToArray());
        await using (StackExchange.Redis.ConnectionMultiplexer redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{rig.Redis.Port}"))
        {
            Assert.True(await redis.GetDatabase().StringSetAsync($"t1abc:session:{Convert.ToHexString(stranger.ToArray())}", "r0"));
        }

        Assert.Equal([bob.Id], await alice.WhoIsOnlineAsync());
        Assert.Empty(await alice.WhoIsOnlineAsync([stranger]));
    }
}
