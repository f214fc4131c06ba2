using System.Buffers.Binary;
using System.Net;
using PeerKit.Links;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

public sealed class UdpRobustnessTests
{
    private static readonly TimeSpan Timeout = UdpHarness.Timeout;

    private static UdpLinkOptions Fast(int mtu = 1200, bool fragmentUnreliable = false, TimeSpan? idle = null, TimeSpan? keepAlive = null, int sendQueueLimit = 4 << 20, int unreliableQueueLimit = 256 << 10, int receiveQueue = 256, int receiveWindow = 4 << 20, bool ignoreFlowControl = false, int maxFrame = 16 << 20, TimeSpan? minRto = null) => new()
    {
        TimerResolution = TimeSpan.FromMilliseconds(1),
        MinRetransmitTimeout = minRto ?? TimeSpan.FromMilliseconds(15),
        InitialRetransmitTimeout = TimeSpan.FromMilliseconds(100),
        HandshakeRetransmitInterval = TimeSpan.FromMilliseconds(40),
        MaxAckDelay = TimeSpan.FromMilliseconds(2),
        CloseTimeout = TimeSpan.FromMilliseconds(500),
        Mtu = mtu,
        FragmentUnreliable = fragmentUnreliable,
        IdleTimeout = idle ?? TimeSpan.FromSeconds(20),
        KeepAliveInterval = keepAlive ?? TimeSpan.FromSeconds(5),
        SendQueueLimit = sendQueueLimit,
        UnreliableQueueLimit = unreliableQueueLimit,
        ReceiveQueueCapacity = receiveQueue,
        ReceiveWindow = receiveWindow,
        IgnoreFlowControl = ignoreFlowControl,
        MaxFrameSize = maxFrame,
    };

    [Fact]
    public async Task Fragmented_unreliable_frame_missing_one_fragment_is_dropped_whole()
    {
        await using var h = new UdpHarness(seed: 200, options: Fast(fragmentUnreliable: true));
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        Assert.Equal(client.Capabilities.MaxFrameSize, client.Capabilities.MaxUnreliableFrameSize);
        Assert.True(SpinWait.SpinUntil(() => !client.GetStatus().PathMtuSearching, Timeout)); // no probe is counted below
        int fullPackets = 0;
        h.Network.Filter = (from, data) => from == h.ClientTransport && data[0] == 5 && data.Length > 1000 && Interlocked.Increment(ref fullPackets) == 3;

        byte[] first = Enumerable.Repeat((byte)1, 5000).ToArray();
        byte[] second = Enumerable.Repeat((byte)2, 5000).ToArray();
        await client.SendAsync(first, Reliability.Unreliable);
        await Task.Delay(100);
        Assert.True(Volatile.Read(ref fullPackets) >= 3, "the third fragment was dropped");
        await client.SendAsync(second, Reliability.Unreliable);
        await client.SendAsync(new byte[] { 9 }, Reliability.ReliableOrdered);

        var frames = new List<byte[]>();
        for (int i = 0; i < 2; i++)
        {
            using LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
            frames.Add(frame.ToArray());
        }

        await Task.Delay(100);
        Assert.False(server.TryReceive(out _));
        Assert.Contains(frames, f => f.AsSpan().SequenceEqual(second));
        Assert.Contains(frames, f => f.Length == 1 && f[0] == 9);
        Assert.DoesNotContain(frames, f => f.Length > 0 && f[0] == 1);
    }

    [Fact]
    public async Task Oversize_unreliable_frame_without_fragmentation_throws_and_the_link_stays_open()
    {
        await using var h = new UdpHarness(seed: 201);
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        int max = client.Capabilities.MaxUnreliableFrameSize;
        FrameTooLargeException e = await Assert.ThrowsAsync<FrameTooLargeException>(() => client.SendAsync(new byte[max + 1], Reliability.Unreliable).AsTask());
        Assert.Equal(max, e.MaxFrameSize);
        Assert.Throws<FrameTooLargeException>(() => client.TrySend(new byte[max + 1], Reliability.UnreliableSequenced));
        await client.SendAsync(new byte[max], Reliability.Unreliable);
        using LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(max, frame.Length);
        await Assert.ThrowsAsync<FrameTooLargeException>(() => client.SendAsync(new byte[client.Capabilities.MaxFrameSize + 1]).AsTask());
        Assert.False(client.Completion.IsCompleted);
    }

    [Fact]
    public async Task Tampered_replayed_unknown_and_garbage_datagrams_are_dropped_and_counted()
    {
        await using var h = new UdpHarness(seed: 202);
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        await Task.Delay(50);
        byte[]? captured = null;
        // Take the packet carrying the frame off the wire (the link sends the frame again later).
        h.Network.Filter = (from, data) => from == h.ClientTransport && data[0] == 5 && data.Length > 100 && captured is null && (captured = data.ToArray()) is not null;
        await client.SendAsync(Enumerable.Repeat((byte)7, 100).ToArray());
        while (Volatile.Read(ref captured) is null)
        {
            await Task.Delay(1);
        }

        h.Network.Filter = (from, data) => from == h.ClientTransport && data[0] == 5 && data.Length > 100; // and its retransmissions
        UdpEndpointStatistics before = h.Server.GetStatistics();
        IPEndPoint from = h.ClientTransport.LocalEndPoint;
        foreach (int position in new[] { 20, captured!.Length - 1, 5, 1 })
        {
            byte[] tampered = captured.ToArray();
            tampered[position] ^= 0x01; // body, tag, packet number (associated data), connection id
            h.Network.Inject(from, h.ServerTransport, tampered);
        }

        byte[] unknown = captured.ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(unknown.AsSpan(1), BinaryPrimitives.ReadUInt32BigEndian(unknown.AsSpan(1)) ^ 0x5A5A5A5A);
        h.Network.Inject(from, h.ServerTransport, unknown);
        h.Network.Inject(from, h.ServerTransport, [5, 0, 0]); // short
        var random = new Random(202);
        for (int i = 0; i < 500; i++)
        {
            byte[] garbage = new byte[random.Next(0, 300)];
            random.NextBytes(garbage);
            h.Network.Inject(from, h.ServerTransport, garbage);
        }

        await Task.Delay(200);
        Assert.False(server.TryReceive(out _)); // nothing forged reached the user
        h.Network.Inject(from, h.ServerTransport, captured); // the genuine packet: delivered once
        using (LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout))
        {
            Assert.Equal(100, frame.Length);
        }

        h.Network.Inject(from, h.ServerTransport, captured); // replayed
        h.Network.Filter = null; // the retransmissions get through now: the frame is not delivered twice
        await Task.Delay(300);

        UdpEndpointStatistics after = h.Server.GetStatistics();
        Assert.Equal(1, after.DroppedReplayed - before.DroppedReplayed);
        Assert.Equal(3, after.DroppedInvalid - before.DroppedInvalid);
        Assert.True(after.DroppedUnknownConnection - before.DroppedUnknownConnection >= 2, "the unknown id and the tampered id");
        Assert.True(after.DroppedMalformed - before.DroppedMalformed >= 100);
        Assert.True(server.GetStatus().PacketsDroppedReplayed >= 1);
        Assert.Equal(3, server.GetStatus().PacketsDroppedInvalid);

        // Nothing else reached the user, and the link still works.
        Assert.False(server.TryReceive(out _));
        Assert.False(server.Completion.IsCompleted);
        await client.SendAsync(new byte[] { 42 });
        using LinkFrame next = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(42, next.Span[0]);
    }

    [Fact]
    public async Task Silent_peer_times_out_while_keepalives_hold_an_idle_link_open()
    {
        await using var h = new UdpHarness(seed: 203, options: Fast(idle: TimeSpan.FromMilliseconds(400), keepAlive: TimeSpan.FromMilliseconds(50)));
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        await Task.Delay(1200); // three idle timeouts with nothing to send: keepalives keep it open
        Assert.False(client.Completion.IsCompleted);
        Assert.False(server.Completion.IsCompleted);

        await client.SendAsync(new byte[] { 1 });
        while (client.GetStatus().QueuedReliableOrdered > 0) // until acknowledged
        {
            await Task.Delay(5);
        }

        h.ClientTransport.Detached = true; // the client's machine vanishes
        Assert.Equal(LinkCloseReason.Timeout, await server.Completion.WaitAsync(Timeout));
        Assert.Equal(LinkCloseReason.Timeout, await client.Completion.WaitAsync(Timeout));
        using (LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout))
        {
            Assert.Equal(1, frame.Span[0]); // frames received before the timeout stay receivable
        }

        LinkClosedException e = await Assert.ThrowsAsync<LinkClosedException>(() => server.ReceiveAsync().AsTask().WaitAsync(Timeout));
        Assert.Equal(LinkCloseReason.Timeout, e.Reason);
        Assert.IsType<TimeoutException>(e.InnerException);
        Assert.Equal(LinkCloseReason.Timeout, (await Assert.ThrowsAsync<LinkClosedException>(() => server.SendAsync(new byte[1]).AsTask())).Reason);
        Assert.Equal(0, h.Server.GetStatistics().Links);
    }

    [Fact]
    public async Task Closing_delivers_what_was_sent_then_the_peer_sees_remote_closed()
    {
        await using var h = new UdpHarness(seed: 204, new Impairment { Loss = 0.1 });
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        for (byte i = 0; i < 50; i++)
        {
            await client.SendAsync(new byte[] { i });
        }

        await client.DisposeAsync();
        Assert.Equal(LinkCloseReason.Requested, await client.Completion.WaitAsync(Timeout));
        for (byte i = 0; i < 50; i++)
        {
            using LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(i, frame.Span[0]);
        }

        Assert.Equal(LinkCloseReason.RemoteClosed, await server.Completion.WaitAsync(Timeout));
        Assert.Equal(LinkCloseReason.RemoteClosed, (await Assert.ThrowsAsync<LinkClosedException>(() => server.ReceiveAsync().AsTask().WaitAsync(Timeout))).Reason);
        Assert.Equal(LinkCloseReason.RemoteClosed, (await Assert.ThrowsAsync<LinkClosedException>(() => server.SendAsync(new byte[1]).AsTask())).Reason);
        Assert.Equal(LinkCloseReason.Requested, (await Assert.ThrowsAsync<LinkClosedException>(() => client.SendAsync(new byte[1]).AsTask())).Reason);
        Assert.Equal(LinkCloseReason.Requested, (await Assert.ThrowsAsync<LinkClosedException>(() => client.ReceiveAsync().AsTask())).Reason);
        Assert.False(client.TrySend(new byte[1]));
        await client.DisposeAsync(); // twice is fine
        await server.DisposeAsync();
        Assert.Equal(0, h.Client.GetStatistics().Links);
        Assert.Equal(0, h.Server.GetStatistics().Links);
    }

    [Fact]
    public async Task A_restarted_peer_connects_again()
    {
        await using var h = new UdpHarness(seed: 205, options: Fast(idle: TimeSpan.FromMilliseconds(500), keepAlive: TimeSpan.FromMilliseconds(100)));
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        await client.SendAsync(new byte[] { 1 });
        (await server.ReceiveAsync().AsTask().WaitAsync(Timeout)).Dispose();

        // The client process dies without a word; a new one starts, with the same key, on a new port.
        h.ClientTransport.Detached = true;
        SimTransport restarted = h.Network.CreateNode();
        await using UdpEndpoint again = UdpEndpoint.Start(restarted, h.ClientKey, h.Options);
        UdpLink client2 = await again.ConnectAsync(h.ServerAddress, h.ServerKey.Id).WaitAsync(Timeout);
        UdpLink server2 = await h.Server.AcceptAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(h.ClientKey.Id, server2.RemoteId);
        Assert.Equal(restarted.LocalEndPoint, server2.RemoteAddress);
        await client2.SendAsync(new byte[] { 2 });
        using (LinkFrame frame = await server2.ReceiveAsync().AsTask().WaitAsync(Timeout))
        {
            Assert.Equal(2, frame.Span[0]);
        }

        // The old link notices its peer is gone.
        Assert.Equal(LinkCloseReason.Timeout, await server.Completion.WaitAsync(Timeout));
        Assert.False(server2.Completion.IsCompleted, server2.Completion.IsCompleted ? $"{await server2.Completion} {server2.GetStatus()}" : null);
    }

    [Fact]
    public async Task Link_follows_the_peer_to_a_new_address()
    {
        await using var h = new UdpHarness(seed: 206);
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        var rebound = new IPEndPoint(IPAddress.Parse("10.0.0.99"), 5555);
        h.ClientTransport.Rebind(rebound); // the NAT gives the client a new public address
        await client.SendAsync(new byte[] { 1 });
        using (LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout))
        {
            Assert.Equal(1, frame.Span[0]);
        }

        // The server moves once the client has answered a challenge sent to the new address.
        Assert.True(SpinWait.SpinUntil(() => rebound.Equals(server.RemoteAddress), Timeout), $"still at {server.RemoteAddress}");
        UdpLinkStatus status = server.GetStatus();
        Assert.Equal(1, status.PathMigrations);
        Assert.InRange(status.PathChallengesSent, 1, 10);
        await server.SendAsync(new byte[] { 2 });
        using (LinkFrame frame = await client.ReceiveAsync().AsTask().WaitAsync(Timeout))
        {
            Assert.Equal(2, frame.Span[0]);
        }
    }

    [Fact]
    public async Task A_close_reaches_the_peer_through_heavy_loss()
    {
        // 40% loss: three unacknowledged copies of a close would all be lost 6.4% of the time, so eight closes in a
        // row would fail about two runs in five; the close is resent until acknowledged instead.
        await using var h = new UdpHarness(seed: 208);
        for (int i = 0; i < 8; i++)
        {
            h.Network.Impairment = Impairment.None;
            (UdpLink client, UdpLink server) = await h.ConnectAsync();
            // The close is resent every retransmission timeout for CloseTimeout (500 ms). Before its first round trip
            // is measured the timeout is InitialRetransmitTimeout (100 ms): five copies, all lost 1% of the time, and
            // this test passed only by the luck of its seed (the extra datagrams of path MTU probes drew other losses).
            // Measured, it is 15 ms: some thirty copies.
            await client.SendAsync(new byte[] { 1 });
            (await server.ReceiveAsync().AsTask().WaitAsync(Timeout)).Dispose();
            Assert.True(SpinWait.SpinUntil(() => client.GetStatus().Rtt > TimeSpan.Zero, Timeout));
            h.Network.Impairment = new Impairment { Loss = 0.4 };
            await client.DisposeAsync();
            Assert.Equal(LinkCloseReason.Requested, await client.Completion.WaitAsync(Timeout));
            Assert.Equal(LinkCloseReason.RemoteClosed, await server.Completion.WaitAsync(Timeout));
        }
    }

    [Fact]
    public async Task Disposing_the_endpoint_while_a_link_waits_for_its_close_to_be_acknowledged_ends_both()
    {
        await using var h = new UdpHarness(seed: 209);
        (UdpLink client, _) = await h.ConnectAsync();
        h.ServerTransport.Detached = true; // the peer stops answering: the close is never acknowledged
        Task closing = client.DisposeAsync().AsTask();
        await Task.Delay(20);
        await h.Client.DisposeAsync().AsTask().WaitAsync(Timeout); // stops the timer that resends the close
        await closing.WaitAsync(Timeout);
        Assert.Equal(LinkCloseReason.Requested, await client.Completion.WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_packet_forwarded_from_another_address_does_not_redirect_the_link()
    {
        // The original datagrams take 5 ms; the attacker's copy of the first data packet arrives at once.
        await using var h = new UdpHarness(seed: 207, new Impairment { Delay = TimeSpan.FromMilliseconds(5) });
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        IPEndPoint genuine = h.ClientTransport.LocalEndPoint;
        var attacker = new IPEndPoint(IPAddress.Parse("10.0.0.66"), 6666);
        int forwarded = 0;
        h.Network.Filter = (from, data) =>
        {
            if (from == h.ClientTransport && data[0] == UdpWire.TypeData && Interlocked.Exchange(ref forwarded, 1) == 0)
            {
                h.Network.Inject(attacker, h.ServerTransport, data.ToArray());
            }

            return false;
        };

        await client.SendAsync(new byte[] { 1 });
        using (LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout))
        {
            Assert.Equal(1, frame.Span[0]);
        }

        Assert.Equal(1, Volatile.Read(ref forwarded));
        await Task.Delay(200); // the challenge to the attacker's address goes unanswered
        Assert.Equal(genuine, server.RemoteAddress);
        UdpLinkStatus status = server.GetStatus();
        Assert.True(status.PathChallengesSent >= 1, "the new address was challenged");
        Assert.Equal(0, status.PathMigrations);
        await server.SendAsync(new byte[] { 2 });
        using (LinkFrame frame = await client.ReceiveAsync().AsTask().WaitAsync(Timeout))
        {
            Assert.Equal(2, frame.Span[0]);
        }
    }

    [Fact]
    public async Task Congestion_window_does_not_grow_while_the_application_limits_sending()
    {
        // A retransmission timeout of at least 1 s: a loaded machine that stalls the receive thread cannot fake a loss
        // (which would shrink the window and hide growth).
        await using var h = new UdpHarness(seed: 204, options: Fast(minRto: TimeSpan.FromSeconds(1)));
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        long initial = client.GetStatus().CongestionWindow;
        Assert.Equal(10L * client.Mtu, initial);
        for (int i = 0; i < 100; i++)
        {
            await client.SendAsync(new byte[100]);
            (await server.ReceiveAsync().AsTask().WaitAsync(Timeout)).Dispose();
            await Task.Delay(1); // one small packet at a time: the window is never used
        }

        await Task.Delay(50); // the last acknowledgements
        UdpLinkStatus status = client.GetStatus();
        Assert.True(status.PacketsReceived >= 10, "acknowledgements arrived");
        Assert.Equal(initial, status.CongestionWindow);
    }

    [Fact]
    public async Task Empty_frames_count_against_the_send_queue_limit()
    {
        await using var h = new UdpHarness(seed: 205, options: Fast(sendQueueLimit: 6_400, unreliableQueueLimit: 640));
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        h.ServerTransport.Detached = true; // nothing is acknowledged
        int reliable = 0;
        while (client.TrySend(ReadOnlySpan<byte>.Empty) && reliable < 100_000)
        {
            reliable++;
        }

        int unreliable = 0;
        while (client.TrySend(ReadOnlySpan<byte>.Empty, Reliability.Unreliable) && unreliable < 100_000)
        {
            unreliable++;
        }

        Assert.InRange(reliable, 90, 100); // 6,400 / 64
        // 640 / 64 = 10 may wait; more were accepted only if the congestion window let some leave meanwhile.
        Assert.InRange(unreliable, 10, 99_999);
        Assert.Equal(1, client.GetStatus().UnreliableDropped);
        h.ServerTransport.Detached = false; // the queued reliable frames are delivered once the path is back
        for (int i = 0; i < reliable; i++)
        {
            using LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(0, frame.Length);
        }
    }

    [Fact]
    public async Task Reliable_sends_wait_for_room_and_unreliable_overflow_is_dropped_and_counted()
    {
        // The reliable lane holds more than the initial congestion window (10 packets, 12,000 bytes), so the window is
        // full while the lane is: unreliable frames then cannot leave either, and their lane's limit alone decides
        // what is accepted (with a smaller reliable limit a concurrent flush could send some of them meanwhile).
        // No retransmission timeout fires before the checks either (it would take packets out of flight); after them
        // the first one, at 1 s, resends what the detached server could not acknowledge.
        await using var h = new UdpHarness(seed: 207, options: Fast(sendQueueLimit: 30_000, unreliableQueueLimit: 2_000, minRto: TimeSpan.FromSeconds(1)));
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        h.ServerTransport.Detached = true; // nothing is acknowledged
        byte[] frame = new byte[100];
        ValueTask blocked = default;
        int sent = 0;
        for (; sent < 1000; sent++)
        {
            blocked = client.SendAsync(frame);
            if (!blocked.IsCompleted)
            {
                break;
            }
        }

        Assert.InRange(sent, 175, 190); // 30,000 bytes of 100-byte frames, each counted as 164 bytes
        await Task.Delay(100);
        Assert.False(blocked.IsCompleted);
        UdpLinkStatus status = client.GetStatus();
        Assert.InRange(status.QueuedReliableOrdered, 17_500, 19_000); // the frames' own bytes
        Assert.True(status.BytesInFlight >= status.CongestionWindow - 1200, "the window is full");
        Assert.True(status.OldestQueuedAge >= TimeSpan.FromMilliseconds(80), $"oldest {status.OldestQueuedAge}");
        Assert.False(client.TrySend(frame), "the reliable lane is full");

        int accepted = 0;
        while (client.TrySend(frame, Reliability.Unreliable))
        {
            accepted++;
        }

        Assert.True(accepted <= 12); // 2,000 bytes of 164-byte frames
        Assert.Equal(1, client.GetStatus().UnreliableDropped);
        Assert.True(client.SendAsync(frame, Reliability.Unreliable).IsCompletedSuccessfully); // never waits

        h.ServerTransport.Detached = false; // acknowledgements flow again: the blocked send completes
        await blocked.AsTask().WaitAsync(Timeout);
        for (int i = 0; i <= sent; i++)
        {
            (await server.ReceiveAsync().AsTask().WaitAsync(Timeout)).Dispose();
        }
    }

    [Fact]
    public async Task Slow_reader_holds_the_sender_at_the_receive_window_without_deferrals_or_retransmissions()
    {
        const int window = 8192;
        // A retransmission timeout of at least 1 s: a stalled receive thread on a loaded machine cannot fake a loss.
        await using var h = new UdpHarness(seed: 207, options: Fast(receiveWindow: window, minRto: TimeSpan.FromSeconds(1)));
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        const int count = 3000;
        Task sending = UdpHarness.SendNumbersAsync(client, count, Reliability.ReliableOrdered);

        // Nobody receives: wait (bounded) until the sender is out of credit and what waits at the receiver stopped
        // changing, rather than a fixed time a loaded machine may not be done in.
        var settle = System.Diagnostics.Stopwatch.StartNew();
        long lastUsed = -1;
        long stableSince = 0;
        while (settle.Elapsed < Timeout)
        {
            long used = server.GetStatus().ReceiveWindowUsed;
            if (used != lastUsed || client.GetStatus().SendCredit != 0)
            {
                lastUsed = used;
                stableSince = settle.ElapsedMilliseconds;
            }
            else if (settle.ElapsedMilliseconds - stableSince >= 200)
            {
                break;
            }

            await Task.Delay(10);
        }

        int waiting = 0;
        long waitingCost = 0;
        var early = new List<LinkFrame>();
        UdpLinkStatus held = server.GetStatus(); // the sender is out of credit and nothing was read: both are stable
        UdpLinkStatus blocked = client.GetStatus();
        while (server.TryReceive(out LinkFrame frame))
        {
            waiting++;
            waitingCost += frame.Length + 64;
            early.Add(frame);
        }

        // What waited at the receiver is the window (each frame costs its length + 64), plus at most the frame started last.
        Assert.InRange(waitingCost, window - 200, window + 128);
        Assert.Equal(0, server.GetStatus().PacketsDeferred);
        Assert.Equal(waitingCost, held.ReceiveWindowUsed);
        Assert.Equal(0, blocked.SendCredit);
        Assert.True(client.GetStatus().QueuedReliableOrdered > 80_000, "the rest (about 100 kB) waits at the sender");
        for (int i = 0; i < early.Count; i++)
        {
            Assert.Equal(i, UdpHarness.ReadNumber(early[i]));
            early[i].Dispose();
        }

        for (int i = early.Count; i < count; i++)
        {
            using LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(i, UdpHarness.ReadNumber(frame));
        }

        await sending.WaitAsync(Timeout);
        Assert.Equal(0, server.GetStatus().PacketsDeferred);
        Assert.Equal(0, client.GetStatus().PacketsLost); // a lossless path: flow control alone, no retransmission
    }

    [Fact]
    public async Task Flow_control_recovers_from_lost_grants_under_loss()
    {
        await using var h = new UdpHarness(seed: 206, new Impairment { Loss = 0.2, Reordering = 0.05 }, options: Fast(receiveWindow: 4096));
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        const int count = 2000;
        Task sending = UdpHarness.SendNumbersAsync(client, count, Reliability.ReliableOrdered);
        for (int i = 0; i < count; i++)
        {
            if (i % 100 == 0)
            {
                await Task.Delay(20); // a reader that stalls now and then: the sender runs out of credit
            }

            using LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(i, UdpHarness.ReadNumber(frame));
        }

        await sending.WaitAsync(Timeout);
        Assert.Equal(0, server.GetStatus().PacketsDeferred);
    }

    [Fact]
    public async Task Peer_ignoring_flow_control_gets_packets_deferred_and_nothing_is_lost_when_the_queue_drains()
    {
        await using var h = new UdpHarness(seed: 208, options: Fast(receiveWindow: 2048, ignoreFlowControl: true, maxFrame: 4096), serverOptions: Fast(receiveWindow: 2048, maxFrame: 4096));
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        const int count = 3000;
        Task sending = UdpHarness.SendNumbersAsync(client, count, Reliability.ReliableOrdered);
        await Task.Delay(300); // nobody receives
        Assert.True(server.GetStatus().PacketsDeferred > 0);
        for (int i = 0; i < count; i++)
        {
            using LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(i, UdpHarness.ReadNumber(frame));
        }

        await sending.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Links_negotiate_the_smaller_mtu_and_respect_a_clamped_path()
    {
        await using var h = new UdpHarness(seed: 209, new Impairment { MtuClamp = 600 }, options: Fast(), serverOptions: Fast(mtu: 576));
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        Assert.Equal(576, client.Mtu);
        Assert.Equal(576, server.Mtu);
        Assert.True(client.Capabilities.MaxUnreliableFrameSize < 576);
        byte[] payload = new byte[200_000];
        new Random(209).NextBytes(payload);
        await client.SendAsync(payload);
        using LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
        Assert.True(frame.Span.SequenceEqual(payload));
    }

    [Fact]
    public async Task Status_reports_round_trip_rates_and_windows()
    {
        await using var h = new UdpHarness(seed: 210, new Impairment { Delay = TimeSpan.FromMilliseconds(5), Loss = 0.05 });
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        Task draining = Task.Run(async () =>
        {
            while (true)
            {
                (await server.ReceiveAsync()).Dispose();
            }
        });
        byte[] frame = new byte[1000];
        DateTime end = DateTime.UtcNow.AddSeconds(1.3);
        while (DateTime.UtcNow < end)
        {
            await client.SendAsync(frame);
        }

        UdpLinkStatus status = client.GetStatus();
        Assert.InRange(status.Rtt, TimeSpan.FromMilliseconds(9), TimeSpan.FromMilliseconds(200)); // two 5 ms hops
        Assert.True(status.MinRtt >= TimeSpan.FromMilliseconds(9));
        Assert.True(status.RttVariance > TimeSpan.Zero);
        Assert.True(status.RetransmitTimeout >= TimeSpan.FromMilliseconds(15));
        Assert.True(status.PacketsSent > 100);
        Assert.True(status.PacketsLost > 0);
        Assert.True(status.BytesSentPerSecond > 10_000);
        Assert.True(status.PacketsSentPerSecond > 10);
        Assert.True(status.PacketsReceivedPerSecond > 1); // acknowledgements
        Assert.True(status.BandwidthEstimate > 10_000);
        Assert.True(status.SendRate > 0);
        Assert.True(status.CongestionWindow >= 2 * 1200);
        Assert.True(server.GetStatus().BytesReceivedPerSecond > 10_000);
    }
}
