using PeerKit.Routing;
using static PeerKit.Router.Tests.Loopback;

namespace PeerKit.Router.Tests;

/// <summary>
/// Sending through a <see cref="RouterClient"/> to a connected node costs no more than sending on its
/// <see cref="Peer"/>: no deferred send is built when nothing waits (allocation measured on the sending thread).
/// </summary>
public class SendAllocationTests
{
    private const int Sends = 2_000;

    [Fact]
    public async Task Sending_to_a_connected_node_allocates_no_more_than_sending_on_its_session()
    {
        await using var router = await StartRouterAsync();
        var (alice, _) = await StartClientAsync(router.ListenAddresses[0]);
        var (bob, bobChat) = await StartClientAsync(router.ListenAddresses[0]);
        await using (alice)
        await using (bob)
        {
            Peer peer = await alice.ConnectAsync(bob.Id);
            byte[] packet = new byte[32];

            // Warm up both ways (JIT, pools, the first sends' buffers).
            for (int i = 0; i < 200; i++)
            {
                await alice.SendAsync(bob.Id, new TestChat.Tick(i), Reliability.Unreliable);
                await alice.SendPacketAsync(bob.Id, packet, reliable: false);
                await peer.SendAsync(new TestChat.Tick(i), Reliability.Unreliable);
            }

            // Noise only adds (a send the link cannot take at once waits on a task): the least of several rounds is the cost.
            long onSession = long.MaxValue, throughClient = long.MaxValue, packets = long.MaxValue;
            for (int round = 0; round < 5; round++)
            {
                onSession = Math.Min(onSession, Measure(() => Complete(peer.SendAsync(new TestChat.Tick(1), Reliability.Unreliable))));
                throughClient = Math.Min(throughClient, Measure(() => Complete(alice.SendAsync(bob.Id, new TestChat.Tick(1), Reliability.Unreliable))));
                packets = Math.Min(packets, Measure(() => Complete(alice.SendPacketAsync(bob.Id, packet, reliable: false))));
            }

            // A deferred send (a closure, its delegate and the queueing path's state) costs well over 100 bytes a send;
            // the session's own sends vary by tens of bytes a send (a send the link cannot take at once waits on a task).
            Assert.True(throughClient - onSession < Sends * 64L, $"SendAsync through the client allocated {throughClient} B for {Sends} sends; on the session {onSession} B");
            Assert.True(packets - onSession < Sends * 64L, $"SendPacketAsync allocated {packets} B for {Sends} sends; SendAsync on the session {onSession} B");

            // And the messages went: bob hears reliable ones sent the same way.
            Assert.Contains(await alice.SendAsync(bob.Id, new TestChat.Line("after")), (SendResult[])[SendResult.Relay, SendResult.P2P]);
            await EventuallyAsync(() => bobChat.Lines.Any(l => l.Text == "after"), "bob hears the line sent after the measurement");
        }
    }

    // Waiting on a send that did not complete at once allocates (a task); the sends here complete at once.
    private static void Complete(ValueTask sent)
    {
        if (!sent.IsCompletedSuccessfully)
        {
            sent.AsTask().Wait();
        }
    }

    private static void Complete(ValueTask<SendResult> sent)
    {
        if (!sent.IsCompletedSuccessfully)
        {
            sent.AsTask().Wait();
        }
    }

    private static long Measure(Action send)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Sends; i++)
        {
            send();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
