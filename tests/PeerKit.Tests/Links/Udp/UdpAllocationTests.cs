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

    [Fact]
    public async Task A_burst_of_unreliable_frames_queues_without_allocating()
    {
        // 20,000 frames wait at once: more than the per-link message pool keeps (16,384), so a record per frame
        // would allocate at least 24 bytes for each of thousands of them; the lane's byte queue reuses one buffer.
        var options = new UdpLinkOptions { UnreliableQueueLimit = 8 << 20 };
        using NodeKey serverKey = NodeKey.Generate();
        using NodeKey clientKey = NodeKey.Generate();
        await using UdpEndpoint server = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), serverKey, options);
        await using UdpEndpoint client = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), clientKey, options);
        UdpLink link = await client.ConnectAsync(server.LocalEndPoint).WaitAsync(TimeSpan.FromSeconds(10));
        _ = await server.AcceptAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        byte[] frame = new byte[64];

        async Task<long> BurstAsync()
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20_000; i++)
            {
                Assert.True(link.TrySend(frame, Reliability.Unreliable));
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            await link.FlushAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            return allocated;
        }

        await BurstAsync(); // grows the lane's buffer and the pools
        await BurstAsync();
        Assert.InRange(await BurstAsync(), 0, 20_000);
        Assert.Equal(0, link.GetStatus().UnreliableDropped);
    }
}
