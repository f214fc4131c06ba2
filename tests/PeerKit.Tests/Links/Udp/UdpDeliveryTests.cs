using System.Diagnostics;
using PeerKit.Links;
using PeerKit.Links.Udp;
using Xunit.Abstractions;

namespace PeerKit.Tests.Links.Udp;

public sealed class UdpDeliveryTests
{
    private const int Count = 100_000;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static readonly Impairment Harsh = new()
    {
        Loss = 0.20,
        Duplication = 0.05,
        Reordering = 0.10,
        Delay = TimeSpan.FromMilliseconds(1),
        Jitter = TimeSpan.FromMilliseconds(1),
    };

    private readonly ITestOutputHelper _output;

    public UdpDeliveryTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task Reliable_ordered_arrives_exactly_once_in_order_under_loss_duplication_and_reordering()
    {
        await using var h = new UdpHarness(seed: 100, Harsh with { Corruption = 0.02 });
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        var watch = Stopwatch.StartNew();
        Task sending = UdpHarness.SendNumbersAsync(client, Count, Reliability.ReliableOrdered);
        for (int expected = 0; expected < Count; expected++)
        {
            using LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(expected, UdpHarness.ReadNumber(frame));
        }

        await sending.WaitAsync(Timeout);
        await Task.Delay(100);
        Assert.False(server.TryReceive(out _));
        UdpLinkStatus status = client.GetStatus();
        _output.WriteLine($"{Count} frames in {watch.Elapsed}; lost {status.PacketsLost} of {status.PacketsSent} packets; network dropped {h.Network.Dropped} of {h.Network.Sent}");
        Assert.True(status.PacketsLost > 0, "the network lost packets, so the link must have retransmitted");
        Assert.True(server.GetStatus().PacketsDroppedReplayed > 0, "duplicated packets are dropped by the replay window");
        UdpEndpointStatistics stats = h.Server.GetStatistics();
        Assert.True(stats.DroppedInvalid + stats.DroppedMalformed + stats.DroppedUnknownConnection > 0, "corrupted packets are dropped");
    }

    [Fact]
    public async Task Reliable_unordered_arrives_exactly_once_under_loss_duplication_and_reordering()
    {
        await using var h = new UdpHarness(seed: 101, Harsh);
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        Task sending = UdpHarness.SendNumbersAsync(client, Count, Reliability.ReliableUnordered);
        bool[] seen = new bool[Count];
        int outOfOrder = 0;
        int last = -1;
        for (int n = 0; n < Count; n++)
        {
            using LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
            int i = UdpHarness.ReadNumber(frame);
            Assert.False(seen[i], $"frame {i} arrived twice");
            seen[i] = true;
            if (i < last)
            {
                outOfOrder++;
            }

            last = i;
        }

        await sending.WaitAsync(Timeout);
        await Task.Delay(100);
        Assert.False(server.TryReceive(out _));
        Assert.True(outOfOrder > 0, "with losses, an unordered lane delivers later frames before retransmitted ones");
    }

    [Fact]
    public async Task Unreliable_frames_are_never_duplicated()
    {
        await using var h = new UdpHarness(seed: 102, Harsh with { Duplication = 0.3 });
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        const int count = 20_000;
        Task<List<int>> receiving = CollectUntilMarkerAsync(server);
        await UdpHarness.SendNumbersAsync(client, count, Reliability.Unreliable, delayEvery: 20);
        await client.SendAsync(new byte[] { 0xFF }, Reliability.ReliableOrdered); // a marker that always arrives
        List<int> received = await receiving.WaitAsync(Timeout);
        Assert.Equal(received.Count, received.Distinct().Count()); // never twice
        long droppedBySender = client.GetStatus().UnreliableDropped;
        _output.WriteLine($"{received.Count} of {count} unreliable frames arrived; {droppedBySender} dropped by the sender (queue full)");
        Assert.InRange(received.Count, (count - droppedBySender) / 2, count - 1); // some were lost (20% loss), most arrived
        Assert.True(server.GetStatus().PacketsDroppedReplayed > 0, "duplicated packets were dropped by the replay window");
    }

    [Fact]
    public async Task Sequenced_frames_never_arrive_older_after_newer()
    {
        await using var h = new UdpHarness(seed: 103, Harsh with { Reordering = 0.3 });
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        const int count = 20_000;
        Task<List<int>> receiving = CollectUntilMarkerAsync(server);
        await UdpHarness.SendNumbersAsync(client, count, Reliability.UnreliableSequenced, delayEvery: 20);
        await client.SendAsync(new byte[] { 0xFF }, Reliability.ReliableOrdered);
        List<int> received = await receiving.WaitAsync(Timeout);
        for (int i = 1; i < received.Count; i++)
        {
            Assert.True(received[i] > received[i - 1], $"frame {received[i]} arrived after frame {received[i - 1]}");
        }

        _output.WriteLine($"{received.Count} of {count} sequenced frames arrived");
        Assert.InRange(received.Count, (count - client.GetStatus().UnreliableDropped) / 4, count - 1);
    }

    /// <summary>Receives numbered frames until a one-byte marker, then whatever trails it for 200 ms.</summary>
    private static async Task<List<int>> CollectUntilMarkerAsync(UdpLink link)
    {
        var received = new List<int>();
        while (true)
        {
            using LinkFrame frame = await link.ReceiveAsync();
            if (frame.Length == 1)
            {
                break;
            }

            received.Add(UdpHarness.ReadNumber(frame));
        }

        await Task.Delay(200);
        while (link.TryReceive(out LinkFrame late))
        {
            using (late)
            {
                received.Add(UdpHarness.ReadNumber(late));
            }
        }

        return received;
    }

    [Fact]
    public async Task One_lane_losing_does_not_stall_another()
    {
        await using var h = new UdpHarness(seed: 104);
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        // Every packet carrying the 100-byte frame (and its retransmissions) is lost until the path heals.
        h.Network.Filter = (from, data) => from == h.ClientTransport && data[0] == 5 && data.Length > 100;
        await client.SendAsync(Enumerable.Repeat((byte)1, 100).ToArray(), Reliability.ReliableOrdered); // lost: the ordered lane stalls
        await Task.Delay(50);
        await client.SendAsync(new byte[] { 2 }, Reliability.ReliableOrdered); // waits for 1
        await client.SendAsync(new byte[] { 3 }, Reliability.ReliableUnordered);
        await client.SendAsync(new byte[] { 4 }, Reliability.Unreliable);
        var got = new List<byte>();
        for (int i = 0; i < 2; i++)
        {
            using LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
            got.Add(frame.Span[0]);
        }

        Assert.Equal(new byte[] { 3, 4 }, got.Order().ToArray()); // the other lanes delivered at once
        await Task.Delay(100);
        Assert.False(server.TryReceive(out _)); // 2 arrived but waits for 1
        h.Network.Filter = null;
        for (int i = 0; i < 2; i++)
        {
            using LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
            got.Add(frame.Span[0]);
        }

        Assert.Equal(new byte[] { 1, 2 }, got.Skip(2).ToArray()); // after the retransmission, in order
    }

    [Theory]
    [InlineData(16 * 1024 * 1024)]
    [InlineData(1024 * 1024)]
    public async Task Large_reliable_frames_survive_ten_percent_loss(int size)
    {
        await using var h = new UdpHarness(seed: 105 + (size >> 20), new Impairment { Loss = 0.10, Reordering = 0.02, Delay = TimeSpan.FromMilliseconds(1) }, UdpHarness.FastOptions() is var o ? new UdpLinkOptions
        {
            TimerResolution = o.TimerResolution,
            MinRetransmitTimeout = o.MinRetransmitTimeout,
            InitialRetransmitTimeout = o.InitialRetransmitTimeout,
            HandshakeRetransmitInterval = o.HandshakeRetransmitInterval,
            MaxAckDelay = o.MaxAckDelay,
            Mtu = 1400,
        } : null);
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        byte[] payload = new byte[size];
        new Random(size).NextBytes(payload);
        var watch = Stopwatch.StartNew();
        await client.SendAsync(payload).AsTask().WaitAsync(Timeout);
        await client.SendAsync(payload.AsMemory(0, 1000)).AsTask().WaitAsync(Timeout);
        using (LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout))
        {
            Assert.Equal(size, frame.Length);
            Assert.True(frame.Span.SequenceEqual(payload), "the frame arrived altered");
        }

        using (LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout))
        {
            Assert.True(frame.Span.SequenceEqual(payload.AsSpan(0, 1000)));
        }

        UdpLinkStatus status = client.GetStatus();
        _output.WriteLine($"{size} bytes in {watch.Elapsed}; lost {status.PacketsLost} of {status.PacketsSent} packets; cwnd {status.CongestionWindow}; bw {status.BandwidthEstimate:N0} B/s");
        Assert.True(status.PacketsLost > 0);
    }
}
