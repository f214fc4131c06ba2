using System.Collections.Concurrent;
using System.Threading.Channels;

namespace PeerKit.Tests.Radios;

public sealed class RadioNodeTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static async Task<P2PPacket> ReadAsync(RadioNode node)
    {
        using var cts = new CancellationTokenSource(Wait);
        return await node.Packets.ReadAsync(cts.Token);
    }

    [Fact]
    public async Task Broadcast_reaches_every_other_node_with_port_data_and_rssi_in_both_conventions()
    {
        using var medium = new SimulatedMedium(new SimulatedMediumOptions { Seed = 1 });
        using RadioNode a = RadioNode.Open(medium.OpenRadio(1, 0, 0, 0));
        using RadioNode b = RadioNode.Open(medium.OpenRadio(2, 1, 0, 0));
        using RadioNode c = RadioNode.Open(medium.OpenRadio(3, 10, 0, 0));
        using RadioNode d = RadioNode.Open(medium.OpenRadio(4, 0, 2, 0));

        a.SendBroadcast(7, "Hello World"u8);

        P2PPacket atB = await ReadAsync(b), atC = await ReadAsync(c), atD = await ReadAsync(d);
        Assert.Equal(7, atB.Port);
        Assert.Equal(11, atB.Size);
        Assert.Equal("Hello World"u8.ToArray(), atB.Data.ToArray());
        Assert.Equal(1u, atB.Sender);
        Assert.False(atB.IsAddressed);
        Assert.Equal(40, atB.Rssi);       // 40 means -40 dBm
        Assert.Equal(-40, atB.RssiDbm);
        Assert.Equal(70, atC.Rssi);
        Assert.Equal(-70, atC.RssiDbm);
        Assert.Equal("Hello World"u8.ToArray(), atD.Data.ToArray());
        Assert.False(a.Packets.TryRead(out _)); // a radio does not hear itself
        Assert.Equal(60, RadioNode.P2PMaxDataSize);
    }

    [Fact]
    public void Port_above_15_or_more_than_60_bytes_is_a_typed_error()
    {
        using var medium = new SimulatedMedium();
        using RadioNode a = RadioNode.Open(medium.OpenRadio(1));

        Assert.Throws<ArgumentOutOfRangeException>(() => a.SendBroadcast(16, "x"u8));
        Assert.Throws<ArgumentOutOfRangeException>(() => a.SendBroadcast(-1, "x"u8));
        RadioException tooLarge = Assert.Throws<RadioException>(() => a.SendBroadcast(0, new byte[61]));
        Assert.Equal(RadioError.TooLarge, tooLarge.Error);
        Assert.Contains("60", tooLarge.Message);
        Assert.Throws<ArgumentException>(() => a.SendBroadcast(15, "x"u8)); // the unicast layer's port
        a.SendBroadcast(0, new byte[60]);
    }

    [Fact]
    public async Task Registering_a_callback_replaces_the_previous_one()
    {
        using var medium = new SimulatedMedium();
        using RadioNode a = RadioNode.Open(medium.OpenRadio(1));
        using RadioNode b = RadioNode.Open(medium.OpenRadio(2, 1));
        int first = 0, second = 0;
        b.RegisterCallback((in P2PPacket _) => Interlocked.Increment(ref first));
        b.RegisterCallback((in P2PPacket _) => Interlocked.Increment(ref second));

        a.SendBroadcast(0, "one"u8);
        await ReadAsync(b);

        Assert.Equal(0, Volatile.Read(ref first));
        Assert.Equal(1, Volatile.Read(ref second));
        b.RegisterCallback(null);
        a.SendBroadcast(0, "two"u8);
        await ReadAsync(b);
        Assert.Equal(1, Volatile.Read(ref second));
    }

    [Fact]
    public async Task A_throwing_callback_does_not_stop_the_receive_loop()
    {
        using var medium = new SimulatedMedium();
        using RadioNode a = RadioNode.Open(medium.OpenRadio(1));
        using RadioNode b = RadioNode.Open(medium.OpenRadio(2, 1));
        b.RegisterCallback((in P2PPacket p) => throw new InvalidOperationException("callback bug " + p.Data[0]));

        for (byte i = 0; i < 5; i++)
        {
            a.SendBroadcast(0, [i]);
        }

        for (byte i = 0; i < 5; i++)
        {
            Assert.Equal(i, (await ReadAsync(b)).Data[0]);
        }

        Assert.Equal(5, b.CallbackFailures);
        Assert.Equal("callback bug 4", b.LastCallbackException?.Message);
    }

    [Fact]
    public async Task A_slow_consumer_meets_a_bounded_queue_and_the_drops_are_counted()
    {
        using var medium = new SimulatedMedium();
        using RadioNode a = RadioNode.Open(medium.OpenRadio(1));
        int packetSize = System.Runtime.CompilerServices.Unsafe.SizeOf<P2PPacket>();
        using RadioNode b = RadioNode.Open(medium.OpenRadio(2, 1), new RadioNodeOptions { QueueBytes = 4 * packetSize });

        for (byte i = 0; i < 20; i++)
        {
            a.SendBroadcast(0, [i]);
        }

        var deadline = DateTime.UtcNow + Wait;
        while (b.DroppedPackets < 16 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(16, b.DroppedPackets);
        for (byte i = 0; i < 4; i++)
        {
            Assert.True(b.Packets.TryRead(out P2PPacket p));
            Assert.Equal(i, p.Data[0]); // the first four, in order
        }

        Assert.False(b.Packets.TryRead(out _));
    }

    [Fact]
    public async Task A_radio_closed_under_the_node_ends_Packets_with_a_typed_error_instead_of_a_reader_waiting_forever()
    {
        using var medium = new SimulatedMedium();
        Radio radio = medium.OpenRadio(1);
        using RadioNode node = RadioNode.Open(radio);
        Task<int> reading = Task.Run(async () =>
        {
            int count = 0;
            await foreach (P2PPacket packet in node.Packets.ReadAllAsync())
            {
                count++;
            }

            return count;
        });

        radio.Dispose(); // as a dongle pulled out: the receive loop's next call fails
        RadioException error = await Assert.ThrowsAsync<RadioException>(() => reading.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(RadioError.NoDevice, error.Error);
        Assert.Same(error, node.ReceiveError);
        Assert.True(node.Packets.Completion.IsCompleted);
    }

    [Fact]
    public void Receiving_allocates_nothing_per_packet()
    {
        using var medium = new SimulatedMedium(new SimulatedMediumOptions { ManualClock = true });
        using RadioNode node = RadioNode.OpenWithoutReceiveLoop(medium.OpenRadio(1));
        long seen = 0;
        node.RegisterCallback((in P2PPacket p) => seen += p.Size);
        byte[] bytes = new byte[62];
        bytes[0] = 0xFF;
        bytes[1] = 0x80;
        NativeRadioFrame frame = NativeRadioFrame.Create(bytes, -55, 7);

        for (int i = 0; i < 1000; i++)
        {
            node.Process(in frame);
            node.Packets.TryRead(out _);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            node.Process(in frame);
            node.Packets.TryRead(out _);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(11_000 * 60, seen);
    }

    [Fact]
    public void The_managed_acceptance_rule_matches_the_native_one_for_every_header()
    {
        byte[] frame = new byte[2];
        for (int b0 = 0; b0 < 256; b0++)
        {
            for (int b1 = 0; b1 < 256; b1++)
            {
                frame[0] = (byte)b0;
                frame[1] = (byte)b1;
                Assert.True(P2PFrame.NativeAccepts(frame) == P2PFrame.IsP2P(frame), $"{b0:X2} {b1:X2}");
            }
        }

        Assert.False(P2PFrame.NativeAccepts(frame.AsSpan(0, 1)) || P2PFrame.IsP2P(frame.AsSpan(0, 1)));
    }

    [Fact]
    public async Task Foreign_frames_on_the_channel_are_ignored_and_counted()
    {
        using var medium = new SimulatedMedium();
        using Radio crtp = medium.OpenRadio(9);
        using RadioNode a = RadioNode.Open(medium.OpenRadio(1));
        using RadioNode b = RadioNode.Open(medium.OpenRadio(2, 1));

        crtp.Send([0x30, 0x01, 0x02]); // a CRTP param packet
        crtp.Send([0xFF]);             // the null packet
        await Task.Delay(20);          // sent together, they would collide
        a.SendBroadcast(1, "p2p"u8);

        P2PPacket p = await ReadAsync(b);
        Assert.Equal("p2p"u8.ToArray(), p.Data.ToArray());
        Assert.Equal(2, b.ForeignFrames);
    }

    [Fact]
    public async Task Loss_and_rssi_follow_distance()
    {
        using var medium = new SimulatedMedium(new SimulatedMediumOptions { Seed = 3, QueueFrames = 4096 });
        using RadioNode a = RadioNode.Open(medium.OpenRadio(1));
        using RadioNode near = RadioNode.Open(medium.OpenRadio(2, 5));
        using RadioNode far = RadioNode.Open(medium.OpenRadio(3, 0, 26));
        const int count = 300;

        for (int i = 0; i < count; i++)
        {
            a.SendBroadcast(0, [(byte)i]);
        }

        a.SendBroadcast(1, "end"u8);
        List<P2PPacket> atNear = [], atFar = [];
        var deadline = DateTime.UtcNow + Wait;
        while (DateTime.UtcNow < deadline && !(Settled(near, atNear) && Settled(far, atFar)))
        {
            await Task.Delay(20);
            atNear.AddRange(Drain(near));
            atFar.AddRange(Drain(far));
        }

        // Every frame is accounted for by the medium, and every frame the radio took reached the queue.
        static bool Settled(RadioNode node, List<P2PPacket> read)
        {
            RadioStatistics s = node.Radio.GetStatistics();
            return s.Received + s.LostSignal + s.LostCollision + s.DroppedQueueFull == count + 1 && read.Count == s.Received;
        }

        int nearData = atNear.Count(p => p.Port == 0), farData = atFar.Count(p => p.Port == 0);
        Assert.True(nearData >= count * 98 / 100, $"near got {nearData}");
        Assert.InRange(farData, count / 5, count * 4 / 5);
        Assert.True(atFar.All(p => p.Rssi > atNear[0].Rssi), "farther means weaker (a larger positive RSSI)");
        RadioStatistics stats = far.Radio.GetStatistics();
        Assert.Equal(0, stats.LostCollision); // one sender: nothing collides
        Assert.Equal(count + 1, stats.Received + stats.LostSignal + stats.DroppedQueueFull);
        Assert.Equal(atFar.Count, stats.Received);
    }

    private static List<P2PPacket> Drain(RadioNode node)
    {
        var list = new List<P2PPacket>();
        while (node.Packets.TryRead(out P2PPacket p))
        {
            list.Add(p);
        }

        return list;
    }

    [Fact]
    public async Task Addressed_sends_arrive_exactly_once_in_order_under_30_percent_loss()
    {
        using var medium = new SimulatedMedium(new SimulatedMediumOptions { Seed = 11, ExtraLoss = 0.3 });
        using RadioNode a = RadioNode.Open(medium.OpenRadio(1));
        using RadioNode b = RadioNode.Open(medium.OpenRadio(2, 1));
        using RadioNode c = RadioNode.Open(medium.OpenRadio(3, 0, 1));
        const int count = 100;

        for (int i = 0; i < count; i++)
        {
            await a.SendAsync(2, 4, new[] { (byte)i, (byte)(i >> 8) });
        }

        // b acknowledges before it queues the packet: give the last one a moment.
        List<P2PPacket> atB = Drain(b);
        var deadline = DateTime.UtcNow + Wait;
        while (atB.Count < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
            atB.AddRange(Drain(b));
        }

        await Task.Delay(50);
        atB.AddRange(Drain(b)); // and nothing more arrives
        Assert.Equal(Enumerable.Range(0, count).ToArray(), atB.Select(p => p.Data[0] | (p.Data[1] << 8)).ToArray());
        Assert.All(atB, p => Assert.True(p.IsAddressed && p.Sender == 1 && p.Port == 4));
        Assert.True(b.DuplicatesSuppressed > 0, "with 30% loss some acknowledgements were lost and copies suppressed");
        Assert.Empty(Drain(c)); // addressed to b only
    }

    [Fact]
    public async Task An_addressed_send_to_nobody_fails_with_NotAcknowledged()
    {
        using var medium = new SimulatedMedium();
        using RadioNode a = RadioNode.Open(medium.OpenRadio(1), new RadioNodeOptions { MaxRetries = 2, AckTimeout = TimeSpan.FromMilliseconds(5) });

        RadioException e = await Assert.ThrowsAsync<RadioException>(() => a.SendAsync(42, 0, new byte[3]));
        Assert.Equal(RadioError.NotAcknowledged, e.Error);
        Assert.Equal(RadioError.TooLarge, (await Assert.ThrowsAsync<RadioException>(() => a.SendAsync(2, 0, new byte[57]))).Error);
    }

    [Fact]
    public void A_missing_libusb_and_a_missing_dongle_are_typed_errors()
    {
        RadioException noLibUsb = Assert.Throws<RadioException>(() => Radio.OpenCrazyradio(new CrazyradioOptions { LibUsbPath = "/nonexistent/libusb-1.0.so.0" }));
        Assert.Equal(RadioError.NoLibUsb, noLibUsb.Error);
        Assert.Contains("apt-get install libusb-1.0-0", noLibUsb.Message);

        // The real libusb (if installed) finds no Crazyradio on this machine.
        try
        {
            using Radio radio = Radio.OpenCrazyradio();
        }
        catch (RadioException e)
        {
            Assert.Contains(e.Error, new[] { RadioError.NoLibUsb, RadioError.NoDevice, RadioError.NoPermission, RadioError.Io });
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
        }
    }

    [Fact]
    public void Duplicate_radio_ids_and_bad_settings_are_typed_errors()
    {
        using var medium = new SimulatedMedium();
        using Radio one = medium.OpenRadio(1);
        Assert.Equal(RadioError.InUse, Assert.Throws<RadioException>(() => medium.OpenRadio(1)).Error);
        Assert.Equal(RadioError.InvalidArgument, Assert.Throws<RadioException>(() => one.Channel = 126).Error);
        Assert.Equal(RadioError.InvalidArgument, Assert.Throws<RadioException>(() => medium.Time = 5).Error); // real clock
        Assert.Equal(RadioError.InvalidArgument, Assert.Throws<RadioException>(() => new SimulatedMedium(new SimulatedMediumOptions { ExtraLoss = 2 })).Error);
    }
}
