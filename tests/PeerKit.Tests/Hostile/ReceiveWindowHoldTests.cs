using PeerKit.Links;
using PeerKit.Links.Udp;
using PeerKit.Memory;
using PeerKit.Tests.Links.Udp;

namespace PeerKit.Tests.Hostile;

/// <summary>
/// Issue 13: what a UDP link holds besides its inbox (frames held for reordering, partial reliable frames) counts
/// against its receive window, so a peer that ignores flow control cannot make it hold more than the window.
/// </summary>
public sealed class ReceiveWindowHoldTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void Frames_held_for_reordering_and_partial_reliable_bytes_count_as_held()
    {
        var inbox = new LinkInbox(0);
        var lanes = new ReceiveLanes(inbox, new FramePool(16), reliableWindow: 64, maxFrameSize: 1 << 20);
        byte[] frame = new byte[1000];
        Assert.False(lanes.IsAwaited(0, 0)); // nothing waits for it: it may be deferred like any other
        for (ulong seq = 1; seq <= 10; seq++)
        {
            Assert.Null(lanes.ReceiveWhole(0, seq, frame)); // seq 0 missing: all ten wait for it
        }

        Assert.Equal(10 * (1000 + LinkInbox.FrameCost), lanes.ReliableHeldCost);
        Assert.True(lanes.IsAwaited(0, 0)); // ten frames wait for it
        Assert.False(lanes.IsAwaited(0, 11));
        Assert.False(lanes.IsAwaited(1, 0)); // the unordered lane holds nothing back

        // Half of a 4,000-byte reliable frame of the unordered lane: its bytes count, and the frame's 64 once.
        Assert.Null(lanes.ReceiveFragment(1, 0, 4000, 1000, 0, frame));
        Assert.Null(lanes.ReceiveFragment(1, 0, 4000, 1000, 1, frame));
        Assert.Equal((10 * (1000 + LinkInbox.FrameCost)) + 2000 + LinkInbox.FrameCost, lanes.ReliableHeldCost);

        Assert.Null(lanes.ReceiveWhole(0, 0, frame)); // the gap fills: eleven frames go to the inbox
        Assert.Equal(2000 + LinkInbox.FrameCost, lanes.ReliableHeldCost);
        Assert.Equal(11 * (1000 + LinkInbox.FrameCost), inbox.CountedCostWaiting);
        Assert.Null(lanes.ReceiveFragment(1, 0, 4000, 1000, 2, frame));
        Assert.Null(lanes.ReceiveFragment(1, 0, 4000, 1000, 3, frame));
        Assert.Equal(0, lanes.ReliableHeldCost);
        lanes.Release();
    }

    [Fact]
    public void What_the_lanes_hold_is_charged_to_the_memory_account_and_given_back()
    {
        var budget = new MemoryBudget(1 << 30, MemoryBudgetPolicy.Refuse);
        MemoryAccount account = budget.Open();
        var inbox = new LinkInbox(0) { Account = account };
        var lanes = new ReceiveLanes(inbox, new FramePool(16), reliableWindow: 64, maxFrameSize: 1 << 20);
        byte[] frame = new byte[1000];
        Assert.Null(lanes.ReceiveWhole(0, 1, frame)); // held for reordering
        Assert.Null(lanes.ReceiveFragment(2, 0, 4000, 1000, 0, frame)); // a partial unreliable frame
        Assert.True(budget.Used >= 2000, $"{budget.Used}");
        Assert.Null(lanes.ReceiveWhole(0, 0, frame));
        Assert.Equal(2, inbox.Count);
        while (inbox.TryReceive(out LinkFrame taken))
        {
            taken.Dispose();
        }

        lanes.Release(); // the partial frame goes
        Assert.Equal(0, budget.Used);
    }

    /// <summary>
    /// Caught: frames held for reordering did not count against the receive window, so behind each gap the receiver
    /// held whatever a peer ignoring flow control sent meanwhile, however fast the application read (up to the
    /// 4,096-frame reorder window of frames of any size: gigabytes). Here a tenth of the packets is delayed by two
    /// one-way delays while the application reads as fast as it can. Now the held frames stay within the window plus
    /// a frame and a packet, and every frame still arrives once, in order.
    /// </summary>
    [Fact]
    public async Task A_peer_ignoring_flow_control_cannot_make_the_receiver_hold_more_than_its_window_behind_a_gap()
    {
        const int window = 4096;
        const int maxFrame = 2048;
        UdpLinkOptions Options(bool ignore) => new()
        {
            TimerResolution = TimeSpan.FromMilliseconds(1),
            MaxAckDelay = TimeSpan.FromMilliseconds(2),
            MinRetransmitTimeout = TimeSpan.FromMilliseconds(20),
            ReceiveWindow = window,
            MaxFrameSize = maxFrame,
            IgnoreFlowControl = ignore,
        };
        await using var h = new UdpHarness(seed: 1301, new Impairment { Delay = TimeSpan.FromMilliseconds(10), Reordering = 0.1 }, Options(ignore: true), Options(ignore: false));
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        var budget = new MemoryBudget(1L << 40, MemoryBudgetPolicy.Refuse);
        MemoryAccount account = budget.Open();
        ((IAccountedLink)server).ChargeTo(account);

        const int count = 1500;
        byte[] payload = new byte[1000];
        Task sending = Task.Run(async () =>
        {
            for (int i = 0; i < count; i++)
            {
                BitConverter.TryWriteBytes(payload, i);
                await client.SendAsync(payload, Reliability.ReliableOrdered);
            }
        });

        long most = 0;
        using var stop = new CancellationTokenSource();
        Task sampling = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                most = Math.Max(most, account.Held);
                await Task.Delay(1);
            }
        });
        for (int i = 0; i < count; i++)
        {
            using LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(UdpHarness.Timeout);
            Assert.Equal(i, BitConverter.ToInt32(frame.Span));
        }

        stop.Cancel();
        await sampling;
        await sending.WaitAsync(UdpHarness.Timeout);

        // The window, one frame started beyond it, and one packet's worth of frames accepted before the check.
        long bound = window + maxFrame + (2 * 1500) + (16 * LinkInbox.FrameCost);
        output.WriteLine($"the receiver held at most {most} bytes; the window allows {bound}");
        Assert.True(most <= bound, $"the receiver held {most} bytes; the window allows {bound}");
    }
}
