using System.Net;
using PeerKit.Links;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>
/// The caller's side of the hot paths allocates nothing per frame (measured on the calling thread, after a warm-up).
/// Pools grow to a new high-water mark now and then (a message record, a queue's array), so the bound is well under
/// one byte per frame rather than zero.
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

        Measure(5_000, Reliability.ReliableOrdered);
        Assert.InRange(Measure(10_000, Reliability.ReliableOrdered), 0, 2_000);
        Measure(200, Reliability.UnreliableSequenced);
        Assert.InRange(Measure(1_000, Reliability.UnreliableSequenced), 0, 1_000);
    }
}
