using PeerKit.Links.Udp;
using static PeerKit.Tests.Nodes.NodeTestKit;

namespace PeerKit.Tests.Nodes;

/// <summary>Sessions run unchanged over the UDP link: a udp:// listen or dial address beside tcp://.</summary>
public sealed class UdpSessionTests
{
    [Fact]
    public async Task Two_nodes_run_a_session_over_udp()
    {
        var bobChat = new ChatProtocol { Echo = true };
        PeerNodeOptions bobOptions = Options("bob", bobChat);
        bobOptions.ListenAddresses.Add(NodeAddress.Parse("udp://127.0.0.1:0"));
        bobOptions.ListenAddresses.Add(NodeAddress.Parse("tcp://127.0.0.1:0"));
        await using PeerNode bob = await StartAsync(bobOptions);
        // Alice does not listen: she dials from a UDP endpoint of her own, made on first use.
        await using PeerNode alice = await StartAsync(Options("alice", new ChatProtocol()));

        NodeAddress udpAddress = bob.ListenAddresses.Single(a => a.Scheme == NodeAddress.Udp);
        Assert.NotEqual(0, udpAddress.Port);
        Assert.Equal(bob.Id, udpAddress.Id);
        Peer peer = await alice.ConnectAsync(udpAddress).WaitAsync(Wait);
        Assert.IsType<UdpLink>(peer.Link);
        Assert.True(peer.Link.Capabilities.IsSecure);
        Assert.False(peer.Link.Capabilities.IsReliableStream);

        await peer.SendAsync(new Say("over datagrams"));
        Assert.Equal("over datagrams", (await bobChat.Said.Reader.ReadAsync().AsTask().WaitAsync(Wait)).Text);
        using (ProtocolMessage shout = await peer.ReadAsync().AsTask().WaitAsync(Wait))
        {
            Assert.Equal("OVER DATAGRAMS", shout.Decode<Shout>().Text);
        }

        // An unreliable message on a link that is not lossy here (loopback) arrives too.
        await EventuallyAsync(() => bob.PeerCount == 1, "bob sees alice");
        Peer aliceAtBob = bob.Peers[0];
        await aliceAtBob.SendAsync(new Position(1, 2));
        using (ProtocolMessage position = await peer.ReadAsync().AsTask().WaitAsync(Wait))
        {
            Assert.Equal(new Position(1, 2), position.Decode<Position>());
        }

        Assert.True(await peer.PingAsync().WaitAsync(Wait) > TimeSpan.Zero);
        await peer.DisconnectAsync(DisconnectReason.Requested);
        PeerDisconnect end = await aliceAtBob.Completion.WaitAsync(Wait);
        Assert.Equal(new PeerDisconnect(DisconnectReason.Requested, IsRemote: true), end);
    }

    [Fact]
    public async Task Dialing_udp_with_the_wrong_id_is_an_unexpected_identity()
    {
        PeerNodeOptions bobOptions = Options("bob", new ChatProtocol());
        bobOptions.ListenAddresses.Add(NodeAddress.Parse("udp://127.0.0.1:0"));
        await using PeerNode bob = await StartAsync(bobOptions);
        await using PeerNode alice = await StartAsync(Options("alice", new ChatProtocol()));
        var error = await Assert.ThrowsAsync<PeerConnectException>(() => alice.ConnectAsync(bob.Address() with { Id = alice.Id }).WaitAsync(Wait));
        Assert.Equal(DisconnectReason.UnexpectedIdentity, error.Reason);
    }
}
