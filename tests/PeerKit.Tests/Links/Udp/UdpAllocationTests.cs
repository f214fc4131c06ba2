using System.Net;
using PeerKit.Links;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>
/// The caller's side of the hot paths allocates nothing per frame (measured on the calling thread, after a warm-up).
/// Pools grow to a new high-water mark now and then (a message record, a queue's array, the thread pool's queue
/// segments under load), so the bound is under one byte per frame on average rather than zero; any per-frame
/// allocation would cost at least 24 bytes per frame.
/// </summary>
public sealed class UdpAllocationTests
{
    [Fact]
    public async Task Sending_and_receiving_allocate_nothing_on_the_callers_thread()
    {
        using NodeKey serverKey = NodeKey.Generate();
        using NodeKey clientKey = NodeKey.Generate();
        await using UdpEndpoint server = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), serverKey);
        await using UdpEndpoint client = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), clientKey);
        UdpLink link = await client.ConnectAsync(server.LocalEndPoint).WaitAsync(TimeSpan.FromSeconds(10));
        UdpLink peer = await server.AcceptAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        byte[] frame = new byte[64];

        long Measure(int iterations, Reliability reliability)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < iterations; i++)
            {
                ValueTask send = link.SendAsync(frame, reliability);
                Assert.True(send.IsCompletedSuccessfully);
                LinkFrame received;
                var spin = default(SpinWait);
                while (!peer.TryReceive(out received))
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                }

                received.Dispose();
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        // Grow the per-link pools: 900 frames in flight at once (the message pool keeps up to 1024).
        for (int i = 0; i < 900; i++)
        {
            await link.SendAsync(frame);
        }

        for (int i = 0; i < 900; i++)
        {
            (await peer.ReceiveAsync()).Dispose();
        }

        Measure(2_000, Reliability.ReliableOrdered);
        Assert.InRange(Measure(10_000, Reliability.ReliableOrdered), 0, 10_000);
        Measure(200, Reliability.UnreliableSequenced);
        Assert.InRange(Measure(1_000, Reliability.UnreliableSequenced), 0, 1_000);
    }
}
