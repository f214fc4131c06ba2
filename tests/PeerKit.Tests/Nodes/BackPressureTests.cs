using PeerKit.Links;
using static PeerKit.Tests.Nodes.NodeTestKit;

namespace PeerKit.Tests.Nodes;

/// <summary>Bounded queues from the handler back to the sender, and sends that allocate nothing.</summary>
public sealed class BackPressureTests
{
    [Fact]
    public async Task A_slow_handler_makes_the_sender_wait_instead_of_queueing_without_bound()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = new GatedProtocol(gate.Task);
        PeerNodeOptions slowOptions = Options("slow", slow);
        slowOptions.InboundQueueCapacity = 4;
        await using PeerNode node = await StartAsync(slowOptions);
        await using PeerNode sender = await StartAsync(Options("sender", new GatedProtocol(Task.CompletedTask)));
        Peer peer = await sender.ConnectInProcessAsync(node, new LinkOptions { ReceiveQueueCapacity = 4 }).WaitAsync(Wait);

        // 1 in the handler + 4 in the protocol queue + 1 held by the session + 4 in the link: the sender stalls after about 10.
        int sent = 0;
        Task sending = Task.Run(async () =>
        {
            for (int i = 0; i < 1000; i++)
            {
                await peer.SendAsync(new Boom(i));
                Interlocked.Increment(ref sent);
            }
        });
        await EventuallyAsync(() => Volatile.Read(ref sent) >= 4, "the first sends go through");
        int stalledAt;
        do
        {
            stalledAt = Volatile.Read(ref sent);
            await Task.Delay(300);
        }
        while (Volatile.Read(ref sent) != stalledAt);

        Assert.InRange(stalledAt, 4, 20);
        Assert.False(sending.IsCompleted);

        gate.SetResult();
        await sending.WaitAsync(Wait);
        await EventuallyAsync(() => slow.Handled == 1000, "every message is handled once the handler is fast again");
        Assert.Equal(Enumerable.Range(0, 1000), slow.Values);
    }

    [Fact]
    public async Task Sending_a_scalar_message_allocates_nothing()
    {
        // The receiving end is a raw link read on this same thread (no reader parked on another thread), so what is
        // measured is the session's send path (code lookup, encoding into a pooled buffer, the link's pooled copy),
        // not the cost of waking a reader thread.
        await using PeerNode sender = await StartAsync(Options("sender", new GatedProtocol(Task.CompletedTask)));
        await using RawPeer raw = RawPeer.Attach(sender, options: new LinkOptions { ReceiveQueueCapacity = 1024 });
        Peer peer = await raw.HandshakeAsync(new Capability("gated", 1));
        for (int i = 0; i < 100; i++)
        {
            await peer.SendAsync(new Boom(i)); // warm up pools and code paths
            Assert.True(raw.Link.TryReceive(out LinkFrame frame));
            frame.Dispose();
        }

        var boom = new Boom(42); // a class: made once, outside the measurement
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 500; i++)
        {
            ValueTask send = peer.SendAsync(boom);
            Assert.True(send.IsCompletedSuccessfully, "the link had room, so the send completed synchronously");
            Assert.True(raw.Link.TryReceive(out LinkFrame frame));
            frame.Dispose();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(600, peer.Status.MessagesOut);
    }

    private sealed class GatedProtocol(Task gate) : IProtocol
    {
        private readonly List<int> _values = [];

        public ProtocolDescriptor Descriptor { get; } = new("gated", 1, 0, -1, [ProtocolMessageInfo.Create<Boom>()]);

        public int Handled { get { lock (_values) { return _values.Count; } } }

        public IReadOnlyList<int> Values { get { lock (_values) { return [.. _values]; } } }

        public async ValueTask RunAsync(Peer peer, MessageReadWriter readWriter, CancellationToken cancellationToken)
        {
            while (true)
            {
                using ProtocolMessage message = await readWriter.ReadAsync(cancellationToken);
                await gate.WaitAsync(cancellationToken);
                lock (_values)
                {
                    _values.Add(message.Decode<Boom>().Value);
                }
            }
        }
    }
}
