using System.Net;
using PeerKit.Links;
using PeerKit.Links.Udp;
using PeerKit.Tests.Nodes;
using static PeerKit.Tests.Nodes.NodeTestKit;

namespace PeerKit.Tests.Hostile;

/// <summary>
/// Issue 13, "memory comes back": within 30 s after floods end, the managed heap is back within 64 MiB of its level
/// before them. Runs alone (<see cref="ProcessWideMemory"/>): it measures the whole heap.
/// </summary>
[Collection(ProcessWideMemory.Name)]
public sealed class MemoryComesBackTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const long Slack = 64L * 1024 * 1024;

    /// <summary>
    /// Slow-reader floods of 256 KiB messages from 8 TCP peers (each held up by its session queues and link in bytes,
    /// all of them by the node's budget) and unreliable 1 MiB frames cut into fragments and lost in part over UDP
    /// (partial frames, a full unreliable receive queue). The issue asks for 64 MiB; the test also holds PeerKit to 32
    /// MiB, which it caught: received frame buffers up to 1 MiB went back to <c>ArrayPool.Shared</c>, which kept the
    /// heap 51 MiB above its level (7 MiB now, with buffers over 64 KiB in a pool of PeerKit's own that trims itself).
    /// </summary>
    [Fact]
    public async Task After_slow_reader_and_fragment_floods_the_heap_comes_back_within_64_MiB_in_30_seconds()
    {
        long before = Heap();
        long peak = await FloodAsync();
        long after = Heap();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (after > before + (Slack / 2) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
            after = Heap();
        }

        output.WriteLine($"heap before {before >> 20} MiB, during the floods {peak >> 20} MiB, after {after >> 20} MiB");
        Assert.True(peak > before + Slack, $"the floods held {(peak - before) >> 20} MiB: too little to show anything");
        Assert.True(after <= before + Slack, $"the heap is {(after - before) >> 20} MiB above its level before the floods");
        Assert.True(after <= before + (Slack / 2), $"the heap is {(after - before) >> 20} MiB above its level before the floods (PeerKit's pools keep at most 16 MiB)");
    }

    /// <summary>Connects, trying again if the listener turned the connection away (admission is not what this tests).</summary>
    private static async Task<Peer> ConnectAsync(PeerNode sender, PeerNode target)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await sender.ConnectAsync(target.Address()).WaitAsync(Wait);
            }
            catch (PeerConnectException) when (attempt < 5)
            {
                await Task.Delay(200);
            }
        }
    }

    private static long Heap()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static async Task<long> FloodAsync()
    {
        long peak = 0;
        PeerNodeOptions options = Options("target", new ChatProtocol()).Listening();
        await using (PeerNode target = await StartAsync(options))
        {
            var senders = new List<PeerNode>();
            var sending = new List<Task>();
            string text = new('x', 256 * 1024);
            for (int i = 0; i < 8; i++)
            {
                PeerNode sender = await StartAsync(Options("flooder" + i, new ChatProtocol()));
                senders.Add(sender);
                Peer peer = await ConnectAsync(sender, target);
                sending.Add(Task.Run(async () =>
                {
                    try
                    {
                        for (int n = 0; n < 200; n++)
                        {
                            await peer.SendAsync(new Shout(text)); // nobody reads the pull reader
                        }
                    }
                    catch (Exception e) when (e is PeerDisconnectedException or OperationCanceledException)
                    {
                    }
                }));
            }

            // UDP: unreliable 1 MiB frames in fragments, a fifth of the packets lost, nobody reading.
            using NodeKey serverKey = NodeKey.Generate();
            using NodeKey clientKey = NodeKey.Generate();
            var udp = new UdpLinkOptions { FragmentUnreliable = true };
            await using (UdpEndpoint server = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), serverKey, udp))
            await using (UdpEndpoint client = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), clientKey, udp))
            {
                UdpLink link = await client.ConnectAsync(server.LocalEndPoint).WaitAsync(Wait);
                _ = await server.AcceptAsync().AsTask().WaitAsync(Wait);
                byte[] large = new byte[1 << 20];
                var end = DateTime.UtcNow + TimeSpan.FromSeconds(3);
                while (DateTime.UtcNow < end)
                {
                    link.TrySend(large, Reliability.Unreliable);
                    await Task.Delay(5);
                    peak = Math.Max(peak, GC.GetTotalMemory(false));
                }
            }

            await EventuallyAsync(() => target.MemoryStatus.Used > 64L * 1024 * 1024 || sending.All(t => t.IsCompleted), "the TCP floods fill the queues");
            peak = Math.Max(peak, GC.GetTotalMemory(false));
            foreach (PeerNode sender in senders)
            {
                await sender.DisposeAsync();
            }

            await Task.WhenAll(sending).WaitAsync(Wait);
        }

        return peak;
    }
}
