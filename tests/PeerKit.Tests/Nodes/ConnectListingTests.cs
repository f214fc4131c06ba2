using static PeerKit.Tests.Nodes.NodeTestKit;

namespace PeerKit.Tests.Nodes;

/// <summary><c>ConnectAsync</c> returns only once the remote lists the peer too.</summary>
public sealed class ConnectListingTests
{
    [Theory]
    [InlineData("tcp://127.0.0.1:0")]
    [InlineData("udp://127.0.0.1:0")]
    [InlineData("inproc://listing:0")]
    public async Task When_connect_returns_the_remote_already_lists_the_peer(string listen)
    {
        PeerNodeOptions bobOptions = Options("bob", new ChatProtocol());
        bobOptions.ListenAddresses.Add(NodeAddress.Parse(listen));
        await using PeerNode bob = await StartAsync(bobOptions);
        for (int run = 0; run < 20; run++)
        {
            await using PeerNode alice = await StartAsync(Options("alice", new ChatProtocol()));
            Peer peer = await alice.ConnectAsync(bob.Address()).WaitAsync(Wait);

            // No waiting: the listener listed alice before it answered her confirmation.
            Assert.True(bob.TryGetPeer(alice.Id, out Peer? atBob), $"run {run}: bob lists alice");
            Assert.True(atBob.IsConnected);
            Assert.Contains(bob.Peers, p => p.Id == alice.Id);
            Assert.True(peer.IsConnected);
            Assert.Same(peer, Assert.Single(alice.Peers));
            await alice.DisposeAsync();
            await atBob.Completion.WaitAsync(Wait);
        }
    }

    [Fact]
    public async Task When_add_link_returns_on_the_dialing_side_the_other_side_lists_the_peer()
    {
        for (int run = 0; run < 20; run++)
        {
            await using PeerNode alice = await StartAsync(Options("alice", new ChatProtocol()));
            await using PeerNode bob = await StartAsync(Options("bob", new ChatProtocol()));
            (PeerKit.Links.MemoryLink mine, PeerKit.Links.MemoryLink theirs) = PeerKit.Links.MemoryLink.CreatePair(alice.Id, bob.Id);
            Task<Peer> inbound = bob.AddLinkAsync(theirs, isInbound: true);
            await alice.AddLinkAsync(mine, isInbound: false).WaitAsync(Wait);
            Assert.True(bob.TryGetPeer(alice.Id, out _), $"run {run}: bob lists alice");
            await inbound.WaitAsync(Wait);
        }
    }
}
