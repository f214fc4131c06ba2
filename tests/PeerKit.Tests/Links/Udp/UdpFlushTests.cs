using PeerKit.Links;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary><see cref="UdpLink.FlushAsync"/>: waits until no frame waits for its first transmission.</summary>
public sealed class UdpFlushTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task After_FlushAsync_a_burst_has_left_so_a_marker_on_another_lane_arrives_after_all_of_it()
    {
        // 5 ms each way: the congestion window and pacing hold most of the burst in the lane for several round trips.
        await using var h = new UdpHarness(seed: 500, new Impairment { Delay = TimeSpan.FromMilliseconds(5) }, new UdpLinkOptions
        {
            TimerResolution = TimeSpan.FromMilliseconds(1),
            MaxAckDelay = TimeSpan.FromMilliseconds(2),
            UnreliableQueueLimit = 8 << 20,
            ReceiveQueueCapacity = 10_000,
        });
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        const int count = 5_000;
        byte[] frame = new byte[64];
        for (int i = 0; i < count; i++)
        {
            await client.SendAsync(frame, Reliability.Unreliable);
        }

        Assert.True(client.GetStatus().QueuedUnreliable > 0, "the burst is larger than one flush sends");
        await client.FlushAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(0, client.GetStatus().QueuedUnreliable);

        await client.SendAsync(new byte[] { 1, 2, 3 }, Reliability.ReliableOrdered);
        int before = 0;
        while (true)
        {
            using LinkFrame received = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
            if (received.Length == 3)
            {
                break;
            }

            before++;
        }

        Assert.Equal(count, before); // no loss on this network, and none of the burst was behind the marker
    }

    [Fact]
    public async Task FlushAsync_returns_at_once_when_nothing_is_queued()
    {
        await using var h = new UdpHarness(seed: 501);
        (UdpLink client, _) = await h.ConnectAsync();
        Assert.True(client.FlushAsync().IsCompletedSuccessfully);
    }

    [Fact]
    public async Task FlushAsync_can_be_cancelled_while_flow_control_holds_frames_back_and_the_frames_stay_queued()
    {
        // The server never reads, so after its 4 KiB window the client's reliable frames wait for credit.
        await using var h = new UdpHarness(seed: 502, options: new UdpLinkOptions
        {
            TimerResolution = TimeSpan.FromMilliseconds(1),
            MaxAckDelay = TimeSpan.FromMilliseconds(2),
            ReceiveWindow = 4096,
        });
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        for (int i = 0; i < 200; i++)
        {
            await client.SendAsync(new byte[100]);
        }

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.FlushAsync(cancel.Token).AsTask());
        Assert.True(client.GetStatus().QueuedReliableOrdered > 0);

        // Reading grants credit, and the lanes empty.
        Task<int> reading = Task.Run(async () =>
        {
            for (int i = 0; i < 200; i++)
            {
                (await server.ReceiveAsync()).Dispose();
            }

            return 200;
        });
        await client.FlushAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(200, await reading.WaitAsync(Timeout));
    }

    [Fact]
    public async Task FlushAsync_throws_when_the_link_closes_while_it_waits_and_on_a_closed_link()
    {
        await using var h = new UdpHarness(seed: 503, options: new UdpLinkOptions
        {
            TimerResolution = TimeSpan.FromMilliseconds(1),
            ReceiveWindow = 4096,
            CloseTimeout = TimeSpan.FromMilliseconds(50),
        });
        (UdpLink client, _) = await h.ConnectAsync();
        for (int i = 0; i < 200; i++)
        {
            await client.SendAsync(new byte[100]); // held back by the 4 KiB window: the server never reads
        }

        Task waiting = client.FlushAsync().AsTask();
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
        await client.DisposeAsync().AsTask().WaitAsync(Timeout);
        await Assert.ThrowsAsync<LinkClosedException>(() => waiting.WaitAsync(Timeout));
        await Assert.ThrowsAsync<LinkClosedException>(() => client.FlushAsync().AsTask());
    }
}
