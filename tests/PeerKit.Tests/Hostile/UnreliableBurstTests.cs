using System.Net;
using PeerKit.Links;
using PeerKit.Links.Udp;
using Xunit.Abstractions;

namespace PeerKit.Tests.Hostile;

/// <summary>
/// Issue 13, "defaults that do not lose what a user sends": with the default options, a burst of unreliable messages
/// to a receiver reading as fast as it can arrives whole. The queues on both sides are bounded in bytes, sized for it.
/// </summary>
public sealed class UnreliableBurstTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Caught: with the defaults, 93% of a 50,000 × 64 B burst was lost (the sender's 256 KiB unreliable lane and the
    /// receiver's 256-frame queue; the benchmark needed 8 MiB and 65,536 frames to carry it). Now both queues are
    /// bounded at 8 MiB and the burst arrives whole; the drop counters stay 0.
    /// </summary>
    [Fact]
    public async Task A_burst_of_50000_unreliable_64_byte_messages_arrives_whole_with_default_options()
    {
        const int count = 50_000;
        using NodeKey serverKey = NodeKey.Generate();
        using NodeKey clientKey = NodeKey.Generate();
        await using UdpEndpoint server = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), serverKey);
        await using UdpEndpoint client = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), clientKey);
        UdpLink sender = await client.ConnectAsync(server.LocalEndPoint).WaitAsync(Timeout);
        UdpLink receiver = await server.AcceptAsync().AsTask().WaitAsync(Timeout);

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var receiving = Task.Factory.StartNew(
            () =>
            {
                // A tight loop on a thread of its own: the receiver reads as fast as it can.
                int received = 0;
                int markers = 0;
                while (true)
                {
                    if (!receiver.TryReceive(out LinkFrame frame))
                    {
                        if (done.Task.IsCompleted && markers > 0)
                        {
                            return received;
                        }

                        Thread.Yield();
                        continue;
                    }

                    using (frame)
                    {
                        if (frame.Length == 64)
                        {
                            received++;
                        }
                        else
                        {
                            markers++;
                            done.TrySetResult();
                        }
                    }
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        byte[] message = new byte[64];
        for (int i = 0; i < count; i++)
        {
            BitConverter.TryWriteBytes(message, i);
            await sender.SendAsync(message, Reliability.Unreliable);
        }

        await sender.FlushAsync().AsTask().WaitAsync(Timeout);
        await sender.SendAsync(new byte[] { 1 }, Reliability.ReliableOrdered); // the end marker, once the burst has left
        int arrived = await receiving.WaitAsync(Timeout);
        UdpLinkStatus sent = sender.GetStatus();
        UdpLinkStatus got = receiver.GetStatus();
        output.WriteLine($"{arrived} of {count} arrived; dropped by the sender {sent.UnreliableDropped}, by the receiver {got.UnreliableDroppedOnReceive}, lost packets {sent.PacketsLost}");
        Assert.Equal(0, sent.UnreliableDropped);
        Assert.Equal(0, got.UnreliableDroppedOnReceive);
        Assert.Equal(count, arrived);
    }
}
