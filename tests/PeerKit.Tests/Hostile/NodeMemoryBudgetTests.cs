using PeerKit.Tests.Nodes;
using static PeerKit.Tests.Nodes.NodeTestKit;

namespace PeerKit.Tests.Hostile;

/// <summary>
/// Issue 13, "bytes, not counts" and "a node-wide memory budget": what peers make a node hold is bounded in bytes per
/// peer (session queues) and across peers (<see cref="PeerNodeOptions.MemoryBudgetBytes"/>), with a policy when it is spent.
/// Over TCP the link charges the budget and stops reading when it is spent; over UDP it leaves reliable packets
/// unacknowledged and drops unreliable frames.
/// </summary>
public sealed class NodeMemoryBudgetTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Size = 32 * 1024;

    /// <summary>
    /// Caught: the session queues were bounded in messages only (256 each), so a peer whose messages nobody read made
    /// the node hold 256 messages per protocol queue plus 256 in the pull reader's (16 MiB of 32 KiB messages here;
    /// 8 GiB of 16 MiB ones). Now they stop at their bytes: the node holds their 2 × 256 KiB and the link's 4 MiB, the
    /// sender waits, and every message still arrives, in order, once the application reads (with the bytes ignored,
    /// the same test saw 20.5 MiB held against its 4.6 MiB bound).
    /// </summary>
    [Fact]
    public async Task Session_queues_stop_at_their_bytes_and_the_sender_waits_without_loss()
    {
        PeerNodeOptions options = Options("reader", new ChatProtocol()).Listening();
        options.InboundQueueBytes = 256 * 1024;
        options.ReadQueueBytes = 256 * 1024;
        await using PeerNode reader = await StartAsync(options);
        await using PeerNode sender = await StartAsync(Options("sender", new ChatProtocol()));
        Peer toReader = await sender.ConnectAsync(reader.Address()).WaitAsync(Wait);
        await EventuallyAsync(() => reader.PeerCount == 1, "the reader lists the sender");
        Peer fromSender = reader.Peers[0];

        const int count = 1000; // 32 MiB in all
        string text = new('x', Size);
        int sent = 0;
        Task sending = Task.Run(async () =>
        {
            for (int i = 0; i < count; i++)
            {
                await toReader.SendAsync(new Shout(i + ":" + text)); // Shout goes to the pull reader, which nobody reads yet
                Interlocked.Increment(ref sent);
            }
        });

        int stalledAt;
        do
        {
            stalledAt = Volatile.Read(ref sent);
            await Task.Delay(300);
        }
        while (Volatile.Read(ref sent) != stalledAt);

        MemoryBudgetStatus held = reader.MemoryStatus;
        output.WriteLine($"the sender stalled after {stalledAt} messages; the reader holds {held.Used / 1024} KiB (peak {held.Peak / 1024} KiB)");
        Assert.False(sending.IsCompleted);
        // 256 KiB + 256 KiB of session queues, the TCP link's 4 MiB, one message over each, and the read loop's one.
        const long bound = (512 * 1024) + (4 * 1024 * 1024) + (4 * (Size + 1024));
        Assert.InRange(held.Peak, 1, bound);

        for (int i = 0; i < count; i++)
        {
            using ProtocolMessage message = await fromSender.ReadAsync().AsTask().WaitAsync(Wait);
            Assert.StartsWith(i + ":", message.Decode<Shout>().Text, StringComparison.Ordinal);
        }

        await sending.WaitAsync(Wait);
        await EventuallyAsync(() => reader.MemoryStatus.Used == 0, "everything read, nothing is held");
    }

    /// <summary>
    /// Caught: nothing bounded what all peers together made a node hold. Now, with the default policy, the peer
    /// holding the most is disconnected with <see cref="DisconnectReason.MemoryBudgetExceeded"/> when the budget is
    /// spent, and what it held comes back.
    /// </summary>
    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task When_the_budget_is_spent_the_peer_holding_the_most_is_dropped_with_a_typed_reason(string scheme)
    {
        PeerNodeOptions options = Options("reader", new ChatProtocol());
        options.ListenAddresses.Add(NodeAddress.Parse(scheme + "://127.0.0.1:0"));
        options.MemoryBudgetBytes = 1024 * 1024;
        Assert.Equal(MemoryBudgetPolicy.DropLargestPeer, options.MemoryBudgetPolicy);
        await using PeerNode reader = await StartAsync(options);
        var log = new EventLog(reader);
        await using PeerNode quiet = await StartAsync(Options("quiet", new ChatProtocol()));
        await using PeerNode flooder = await StartAsync(Options("flooder", new ChatProtocol()));
        Peer quietPeer = await quiet.ConnectAsync(reader.Address()).WaitAsync(Wait);
        Peer flooding = await flooder.ConnectAsync(reader.Address()).WaitAsync(Wait);

        string text = new('x', Size);
        Task sending = Task.Run(async () =>
        {
            try
            {
                for (int i = 0; i < 1000; i++)
                {
                    await flooding.SendAsync(new Shout(text));
                }
            }
            catch (PeerDisconnectedException)
            {
            }
        });

        PeerDisconnect end = await flooding.Completion.WaitAsync(Wait);
        Assert.Equal(new PeerDisconnect(DisconnectReason.MemoryBudgetExceeded, IsRemote: true), end);
        PeerEvent dropped = await log.WaitForAsync(e => e.Kind == PeerEventKind.PeerDropped && e.PeerId == flooder.Id);
        Assert.Equal(DisconnectReason.MemoryBudgetExceeded, dropped.Reason);
        await sending.WaitAsync(Wait);

        MemoryBudgetStatus status = reader.MemoryStatus;
        output.WriteLine($"peak {status.Peak / 1024} KiB of {status.Limit / 1024} KiB; refused {status.RefusedCount}, evicted {status.EvictedCount}");
        Assert.Equal(1, status.EvictedCount);
        Assert.True(status.RefusedCount >= 1);
        Assert.InRange(status.Peak, status.Limit, status.Limit + (128 * 1024)); // a frame (TCP) or a packet (UDP) may pass it
        await EventuallyAsync(() => reader.MemoryStatus.Used == 0, "the dropped peer's bytes come back");
        Assert.True(quietPeer.IsConnected, "the peer holding nothing stays");
        Assert.Equal(1, reader.PeerCount);
    }

    /// <summary>
    /// Caught: nothing bounded what all peers together made a node hold. With <see cref="MemoryBudgetPolicy.Refuse"/>,
    /// the node stops taking data once the budget is spent (the TCP link stops reading; the sender waits), refuses
    /// new peers with <see cref="DisconnectReason.MemoryBudgetExceeded"/>, drops nobody, and loses nothing.
    /// </summary>
    [Fact]
    public async Task With_the_refuse_policy_the_node_stops_taking_data_and_new_peers_and_loses_nothing()
    {
        PeerNodeOptions options = Options("reader", new ChatProtocol()).Listening();
        options.MemoryBudgetBytes = 1024 * 1024;
        options.MemoryBudgetPolicy = MemoryBudgetPolicy.Refuse;
        await using PeerNode reader = await StartAsync(options);
        await using PeerNode sender = await StartAsync(Options("sender", new ChatProtocol()));
        Peer toReader = await sender.ConnectAsync(reader.Address()).WaitAsync(Wait);
        await EventuallyAsync(() => reader.PeerCount == 1, "the reader lists the sender");
        Peer fromSender = reader.Peers[0];

        const int count = 300; // ~9.6 MiB
        string text = new('x', Size);
        int sent = 0;
        Task sending = Task.Run(async () =>
        {
            for (int i = 0; i < count; i++)
            {
                await toReader.SendAsync(new Shout(i + ":" + text));
                Interlocked.Increment(ref sent);
            }
        });

        await EventuallyAsync(() => reader.MemoryStatus.RefusedCount > 0, "the budget is spent");
        int stalledAt;
        do
        {
            stalledAt = Volatile.Read(ref sent);
            await Task.Delay(300);
        }
        while (Volatile.Read(ref sent) != stalledAt);

        Assert.False(sending.IsCompleted);
        MemoryBudgetStatus status = reader.MemoryStatus;
        output.WriteLine($"stalled after {stalledAt}; peak {status.Peak / 1024} KiB of {status.Limit / 1024} KiB; refused {status.RefusedCount}");
        Assert.InRange(status.Peak, 1, status.Limit + (2 * (Size + 1024))); // one frame may pass it
        Assert.Equal(0, status.EvictedCount);

        await using PeerNode late = await StartAsync(Options("late", new ChatProtocol()));
        var refused = await Assert.ThrowsAsync<PeerConnectException>(() => late.ConnectAsync(reader.Address()).WaitAsync(Wait));
        Assert.Equal(DisconnectReason.MemoryBudgetExceeded, refused.Reason);

        for (int i = 0; i < count; i++)
        {
            using ProtocolMessage message = await fromSender.ReadAsync().AsTask().WaitAsync(Wait);
            Assert.StartsWith(i + ":", message.Decode<Shout>().Text, StringComparison.Ordinal);
        }

        await sending.WaitAsync(Wait);
        Assert.True(fromSender.IsConnected);
    }
}
