using PeerKit.Links;
using PeerKit.Tests.Nodes;
using PeerKit.Transports;
using static PeerKit.Tests.Nodes.NodeTestKit;

namespace PeerKit.Tests.Transports;

/// <summary>The node reaches peers only through the transport registered for an address's scheme.</summary>
public sealed class TransportSeamTests
{
    [Fact]
    public async Task A_transport_written_outside_the_sdk_carries_sessions_by_its_scheme()
    {
        var network = new PipeTransport.Network();
        var bobChat = new ChatProtocol { Echo = true };
        PeerNodeOptions bobOptions = Options("bob", bobChat);
        bobOptions.Transports[PipeTransport.PipeScheme] = context => new PipeTransport(context, network);
        bobOptions.ListenAddresses.Add(NodeAddress.Parse("pipe://bob:0"));
        await using PeerNode bob = await StartAsync(bobOptions);
        PeerNodeOptions aliceOptions = Options("alice", new ChatProtocol());
        aliceOptions.Transports[PipeTransport.PipeScheme] = context => new PipeTransport(context, network);
        await using PeerNode alice = await StartAsync(aliceOptions);

        NodeAddress address = bob.ListenAddresses.Single();
        Assert.Equal("pipe", address.Scheme);
        Assert.Equal(bob.Id, address.Id);
        Assert.NotEqual(0, address.Port);

        Peer peer = await alice.ConnectAsync(address).WaitAsync(Wait);
        Assert.IsType<MemoryLink>(peer.Link);
        Assert.Equal(1, network.Dials);
        await peer.SendAsync(new Say("through a pipe"));
        Assert.Equal("through a pipe", (await bobChat.Said.Reader.ReadAsync().AsTask().WaitAsync(Wait)).Text);
        using (ProtocolMessage shout = await peer.ReadAsync().AsTask().WaitAsync(Wait))
        {
            Assert.Equal("THROUGH A PIPE", shout.Decode<Shout>().Text);
        }

        Assert.True(bob.TryGetPeer(alice.Id, out Peer? atBob));
        Assert.True(atBob.IsInbound);

        // The transport's errors become the node's reasons.
        var wrong = await Assert.ThrowsAsync<PeerConnectException>(() => alice.ConnectAsync(address with { Id = alice.Id }).WaitAsync(Wait));
        Assert.Equal(DisconnectReason.UnexpectedIdentity, wrong.Reason);
        var nobody = await Assert.ThrowsAsync<PeerConnectException>(() => alice.ConnectAsync(NodeAddress.Parse("pipe://nobody:9")).WaitAsync(Wait));
        Assert.Equal(DisconnectReason.NetworkError, nobody.Reason);
        Assert.IsType<PeerUnreachableException>(nobody.InnerException);
    }

    [Fact]
    public async Task A_scheme_without_a_transport_is_refused_clearly()
    {
        PeerNodeOptions options = Options("node", new ChatProtocol());
        options.ListenAddresses.Add(NodeAddress.Parse("pipe://x:0"));
        var error = Assert.Throws<ArgumentException>(() => new PeerNode(options));
        Assert.Contains("pipe", error.Message);

        await using PeerNode node = await StartAsync(Options("node", new ChatProtocol()));
        await Assert.ThrowsAsync<ArgumentException>(() => node.ConnectAsync(NodeAddress.Parse("pipe://x:1")));
    }

    [Fact]
    public async Task The_in_process_transport_is_registered_by_default()
    {
        var bobChat = new ChatProtocol();
        PeerNodeOptions bobOptions = Options("bob", bobChat);
        bobOptions.ListenAddresses.Add(NodeAddress.Parse("inproc://bob-" + Guid.NewGuid().ToString("N") + ":0"));
        await using PeerNode bob = await StartAsync(bobOptions);
        await using PeerNode alice = await StartAsync(Options("alice", new ChatProtocol()));

        Peer peer = await alice.ConnectAsync(bob.Address()).WaitAsync(Wait);
        Assert.IsType<MemoryLink>(peer.Link);
        await peer.SendAsync(new Say("in process"));
        Assert.Equal("in process", (await bobChat.Said.Reader.ReadAsync().AsTask().WaitAsync(Wait)).Text);

        await bob.DisposeAsync();
        var gone = await Assert.ThrowsAsync<PeerConnectException>(() => alice.ConnectAsync(bob.Address() with { Id = null }).WaitAsync(Wait));
        Assert.Equal(DisconnectReason.NetworkError, gone.Reason);
    }
}
