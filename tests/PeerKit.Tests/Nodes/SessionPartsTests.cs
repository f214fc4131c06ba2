using PeerKit.Links;
using PeerKit.Sessions;
using PeerKit.Transports;

namespace PeerKit.Tests.Nodes;

/// <summary>The hello exchange, the dial failure reasons and the event queue, each alone.</summary>
public sealed class SessionPartsTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static BaseProtocol.Hello Hello(NodeId id, params Capability[] capabilities) =>
        new(BaseProtocol.ProtocolVersion, "node", capabilities, 0, id.ToArray());

    [Fact]
    public async Task Two_hellos_negotiate_the_shared_protocols()
    {
        using NodeKey a = NodeKey.Generate();
        using NodeKey b = NodeKey.Generate();
        (MemoryLink left, MemoryLink right) = MemoryLink.CreatePair(a.Id, b.Id);
        await using (left)
        await using (right)
        {
            IProtocol[] protocols = [new ChatProtocol()];
            Task<HelloOutcome> fromLeft = SessionHandshake.ExchangeAsync(left, Hello(a.Id, new Capability("chat", 1)), protocols, CancellationToken.None);
            HelloOutcome atRight = await SessionHandshake.ExchangeAsync(right, Hello(b.Id, new Capability("chat", 1), new Capability("other", 2)), protocols, CancellationToken.None).WaitAsync(Wait);
            HelloOutcome atLeft = await fromLeft.WaitAsync(Wait);
            Assert.Null(atLeft.Refusal);
            Assert.Null(atRight.Refusal);
            Assert.Equal(BaseProtocol.FirstSubprotocolCode, Assert.Single(atLeft.Shared).Offset);
            Assert.Equal(2, atLeft.Remote!.Capabilities.Length);
        }
    }

    [Fact]
    public async Task A_hello_with_another_nodes_id_is_invalid_identity_and_nothing_shared_is_useless_peer()
    {
        using NodeKey a = NodeKey.Generate();
        using NodeKey b = NodeKey.Generate();
        using NodeKey c = NodeKey.Generate();
        (MemoryLink left, MemoryLink right) = MemoryLink.CreatePair(a.Id, b.Id);
        await using (left)
        await using (right)
        {
            _ = SessionHandshake.ExchangeAsync(right, Hello(c.Id, new Capability("chat", 1)), [], CancellationToken.None);
            HelloOutcome outcome = await SessionHandshake.ExchangeAsync(left, Hello(a.Id), [new ChatProtocol()], CancellationToken.None).WaitAsync(Wait);
            Assert.Equal(DisconnectReason.InvalidIdentity, outcome.Refusal);
            Assert.False(outcome.IsRemote);
        }

        (left, right) = MemoryLink.CreatePair(a.Id, b.Id);
        await using (left)
        await using (right)
        {
            _ = SessionHandshake.ExchangeAsync(right, Hello(b.Id, new Capability("other", 1)), [], CancellationToken.None);
            HelloOutcome outcome = await SessionHandshake.ExchangeAsync(left, Hello(a.Id), [new ChatProtocol()], CancellationToken.None).WaitAsync(Wait);
            Assert.Equal(DisconnectReason.UselessPeer, outcome.Refusal);
        }
    }

    [Fact]
    public async Task A_disconnect_instead_of_a_hello_is_the_remotes_reason()
    {
        using NodeKey a = NodeKey.Generate();
        using NodeKey b = NodeKey.Generate();
        (MemoryLink left, MemoryLink right) = MemoryLink.CreatePair(a.Id, b.Id);
        await using (left)
        await using (right)
        {
            await SessionFrame.TrySendDisconnectAsync(right, DisconnectReason.TooManyPeers, Wait);
            HelloOutcome outcome = await SessionHandshake.ExchangeAsync(left, Hello(a.Id), [], CancellationToken.None).WaitAsync(Wait);
            Assert.Equal(DisconnectReason.TooManyPeers, outcome.Refusal);
            Assert.True(outcome.IsRemote);
        }
    }

    [Fact]
    public void Every_dial_failure_has_one_reason_and_state()
    {
        var address = NodeAddress.Parse("tcp://127.0.0.1:1");
        Assert.Equal((DisconnectReason.NetworkError, ConnectionState.Closed), DialFailure.Classify(new PeerUnreachableException(address, "closed"), stopping: false));
        Assert.Equal((DisconnectReason.UnexpectedIdentity, ConnectionState.Closed), DialFailure.Classify(new IdentityMismatchException(default, default), stopping: false));
        Assert.Equal((DisconnectReason.ReadTimeout, ConnectionState.Timeout), DialFailure.Classify(new HandshakeException(HandshakeFailure.Timeout, "slow"), stopping: false));
        Assert.Equal((DisconnectReason.BreachOfProtocol, ConnectionState.Closed), DialFailure.Classify(new HandshakeException(HandshakeFailure.InvalidMessage, "junk"), stopping: false));
        Assert.Equal((DisconnectReason.ClientQuitting, ConnectionState.Closed), DialFailure.Classify(new OperationCanceledException(), stopping: true));
        Assert.Equal((DisconnectReason.ReadTimeout, ConnectionState.Timeout), DialFailure.Classify(new OperationCanceledException(), stopping: false));
        Assert.Equal((DisconnectReason.NetworkError, ConnectionState.Closed), DialFailure.Classify(new IOException("reset"), stopping: false));
    }

    [Fact]
    public async Task Events_reach_the_callback_and_subscribers_in_order_and_a_throwing_callback_stops_nothing()
    {
        var seen = new List<NodeId>();
        var events = new NodeEvents(16, e =>
        {
            seen.Add(e.PeerId);
            throw new InvalidOperationException("a bad handler");
        });
        using var cancel = new CancellationTokenSource(Wait);
        IAsyncEnumerator<PeerEvent> subscriber = events.ReadAsync(cancel.Token).GetAsyncEnumerator();
        Task<bool> first = subscriber.MoveNextAsync().AsTask(); // subscribes
        await Task.Delay(50);
        NodeId[] ids = [.. Enumerable.Range(1, 3).Select(i => { var b = new byte[NodeId.Size]; b[0] = (byte)i; return new NodeId(b); })];
        foreach (NodeId id in ids)
        {
            events.Publish(new PeerEvent(PeerEventKind.StateChanged, id, null));
        }

        var received = new List<NodeId>();
        Assert.True(await first);
        received.Add(subscriber.Current.PeerId);
        while (received.Count < 3 && await subscriber.MoveNextAsync())
        {
            received.Add(subscriber.Current.PeerId);
        }

        await events.CompleteAsync();
        Assert.Equal(ids, received);
        Assert.Equal(ids, seen);
        Assert.False(await subscriber.MoveNextAsync());
        await subscriber.DisposeAsync();
    }

    [Fact]
    public async Task A_full_event_queue_drops_the_oldest_and_counts_it()
    {
        using var gate = new ManualResetEventSlim();
        var events = new NodeEvents(2, _ => gate.Wait(TimeSpan.FromSeconds(10)));
        for (int i = 0; i < 10; i++)
        {
            events.Publish(new PeerEvent(PeerEventKind.StateChanged, default, null));
        }

        Assert.InRange(events.DroppedCount, 7, 8); // the pump holds at most one, the queue two
        gate.Set();
        await events.CompleteAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }
}
