using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using PeerKit.Links;
using PeerKit.Links.Noise;
using PeerKit.Links.Tcp;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Hostile;

/// <summary>
/// Issue 13, finding 9 and "cheap rejection": rejecting a garbage handshake throws nothing inside PeerKit, and every
/// rejection is counted and readable. Exceptions are counted with <see cref="AppDomain.FirstChanceException"/>,
/// keeping only those thrown in this test's execution context (an <see cref="AsyncLocal{T}"/> set before the listener
/// and the endpoint start flows into their accept loops, handshakes and socket callbacks), so tests running in
/// parallel do not count.
/// </summary>
public sealed class CheapRejectionTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private static readonly AsyncLocal<object?> s_owner = new();
    private static readonly byte[] Preamble = [(byte)'P', (byte)'K', (byte)'L', StreamHandshake.Version, (byte)NoiseCipherState.Default];

    [Fact]
    public async Task Garbage_tcp_handshakes_are_rejected_without_an_exception_and_each_is_counted()
    {
        object owner = new();
        s_owner.Value = owner;
        var thrown = new ConcurrentQueue<Exception>();
        void OnFirstChance(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
        {
            if (ReferenceEquals(s_owner.Value, owner))
            {
                thrown.Enqueue(e.Exception);
            }
        }

        using NodeKey serverKey = NodeKey.Generate();
        using NodeKey attackerKey = NodeKey.Generate();
        await using TcpLinkListener listener = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0), serverKey);
        var failures = new ConcurrentQueue<HandshakeFailedEventArgs>();
        listener.HandshakeFailed += (_, e) => failures.Enqueue(e);
        s_owner.Value = null; // the attacker's own socket calls below are not PeerKit's

        Func<Socket, Task>[] attacks =
        [
            s => SendAsync(s, [1, 2, 3, 4, 5, 6, 7, 8]),                                          // not a PeerKit handshake
            s => SendAsync(s, [(byte)'P', (byte)'K', (byte)'L', 99, 1]),                          // another version
            s => SendAsync(s, [(byte)'P', (byte)'K', (byte)'L', StreamHandshake.Version, 77]),   // an unknown cipher
            s => SendAsync(s, [.. Preamble, 0xFF, 0xFF]),                                         // a 64 KiB message announced
            s => SendAsync(s, [.. Preamble, 0, 65, 0x04, .. new byte[64]]),                        // message 1: not a point
            s => SendAsync(s, [.. Preamble, 0, 65, 0x05, .. new byte[64]]),                        // message 1: not uncompressed
            s => SendAsync(s, [.. Preamble, 0, 10, .. new byte[10]]),                              // message 1: too short
            s => SendAsync(s, [.. Preamble, 0, 65, 0x04]),                                         // cut short, then closed
            s => ForgedThirdMessageAsync(s, attackerKey),                                          // message 3 fails authentication
        ];

        // Once before counting: first calls may load and compile code.
        await RunAsync(listener, attacks);
        await WaitForAsync(() => failures.Count >= attacks.Length);
        long before = listener.FailedHandshakeCount;
        while (failures.TryDequeue(out _))
        {
        }

        const int Rounds = 10;
        AppDomain.CurrentDomain.FirstChanceException += OnFirstChance;
        try
        {
            for (int round = 0; round < Rounds; round++)
            {
                await RunAsync(listener, attacks);
            }

            await WaitForAsync(() => failures.Count >= Rounds * attacks.Length);
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= OnFirstChance;
        }

        Assert.True(thrown.IsEmpty, $"{thrown.Count} exceptions thrown while rejecting: " + string.Join("; ", thrown.Take(5).Select(e => $"{e.GetType().Name}: {e.Message}")));
        Assert.Equal(Rounds * attacks.Length, listener.FailedHandshakeCount - before);
        HandshakeFailure[] reasons = [.. failures.Select(f => Assert.IsAssignableFrom<HandshakeException>(f.Exception).Failure)];
        Assert.Equal(Rounds * 2, reasons.Count(r => r == HandshakeFailure.UnsupportedProtocol));
        Assert.Equal(Rounds, reasons.Count(r => r == HandshakeFailure.MessageTooLarge));
        Assert.Equal(Rounds, reasons.Count(r => r == HandshakeFailure.AuthenticationFailed));
        Assert.Equal(Rounds, reasons.Count(r => r == HandshakeFailure.ConnectionClosed));
        Assert.Equal(Rounds * 4, reasons.Count(r => r == HandshakeFailure.InvalidMessage));
        Assert.All(failures, f => Assert.NotNull(f.RemoteEndPoint));

        // And the listener still serves.
        await using TcpLink link = await TcpLink.ConnectAsync(listener.LocalEndPoint, attackerKey, serverKey.Id).WaitAsync(Wait);
        await using TcpLink accepted = await listener.AcceptAsync().AsTask().WaitAsync(Wait);
    }

    [Fact]
    public async Task Garbage_udp_handshakes_are_rejected_without_an_exception_and_counted_in_the_failed_handshake_metric()
    {
        object owner = new();
        s_owner.Value = owner;
        var thrown = new ConcurrentQueue<Exception>();
        void OnFirstChance(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
        {
            if (ReferenceEquals(s_owner.Value, owner))
            {
                thrown.Enqueue(e.Exception);
            }
        }

        using NodeKey serverKey = NodeKey.Generate();
        using NodeKey attackerKey = NodeKey.Generate();
        var options = new UdpLinkOptions { InitiationBurstPerSource = 1000, MaxPendingHandshakesPerSource = 1000 };
        await using UdpEndpoint server = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), serverKey, options);
        s_owner.Value = null;

        long metric = 0;
        using var meter = new MeterListener();
        meter.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PeerKit.Diagnostics.PeerKitDiagnostics.MeterName && instrument.Name == "peerkit.handshakes.failed")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        meter.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref metric, value));
        meter.Start();

        using var attacker = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        attacker.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        attacker.ReceiveTimeout = 2000;
        const int Rounds = 20;
        AppDomain.CurrentDomain.FirstChanceException += OnFirstChance;
        try
        {
            byte[] buffer = new byte[2048];
            for (uint cid = 1; cid <= Rounds; cid++)
            {
                // An initiation whose key is not a point: dropped as malformed, no state.
                using UdpHandshake good = UdpHandshake.Initiate(attackerKey, options, cid + 1000, now: 0, options.HandshakeTimeout);
                byte[] bad = good.Packet.ToArray();
                bad[UdpWire.InitHeaderSize + 5] ^= 0x40;
                attacker.SendTo(bad, server.LocalEndPoint);

                // A real initiation, then a forged FINISH for it: fails authentication, counted, changes nothing.
                attacker.SendTo(good.Packet, server.LocalEndPoint);
                int length = attacker.Receive(buffer);
                Assert.Equal(UdpWire.TypeResponse, buffer[0]);
                uint serverCid = BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(5));
                byte[] forged = new byte[UdpWire.FinishHeaderSize + NoiseHandshake.MessageSize(2, UdpWire.HandshakePayloadSize)];
                Random.Shared.NextBytes(forged);
                forged[0] = UdpWire.TypeFinish;
                BinaryPrimitives.WriteUInt32BigEndian(forged.AsSpan(1), serverCid);
                attacker.SendTo(forged, server.LocalEndPoint);
            }

            await WaitForAsync(() => server.GetStatistics().HandshakesFailed >= Rounds);
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= OnFirstChance;
        }

        Assert.True(thrown.IsEmpty, $"{thrown.Count} exceptions thrown while rejecting: " + string.Join("; ", thrown.Take(5).Select(e => $"{e.GetType().Name}: {e.Message}")));
        UdpEndpointStatistics stats = server.GetStatistics();
        Assert.Equal(Rounds, stats.HandshakesFailed);
        Assert.True(stats.DroppedMalformed >= Rounds, $"{stats.DroppedMalformed} malformed");
        Assert.Equal(Rounds, stats.PendingHandshakes); // the forged FINISHes changed nothing
        Assert.True(Interlocked.Read(ref metric) >= Rounds, $"peerkit.handshakes.failed rose by {metric}");
    }

    [Fact]
    public async Task Forged_udp_responses_to_a_dialer_are_rejected_without_an_exception_and_counted()
    {
        object owner = new();
        s_owner.Value = owner;
        var thrown = new ConcurrentQueue<Exception>();
        void OnFirstChance(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
        {
            if (ReferenceEquals(s_owner.Value, owner))
            {
                thrown.Enqueue(e.Exception);
            }
        }

        using NodeKey dialerKey = NodeKey.Generate();
        await using UdpEndpoint dialer = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), dialerKey);
        using var fake = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        fake.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        fake.ReceiveTimeout = 5000;
        using var cancel = new CancellationTokenSource();
        Task<UdpLink> connecting = dialer.ConnectAsync((IPEndPoint)fake.LocalEndPoint!, cancellationToken: cancel.Token);
        s_owner.Value = null;

        byte[] init = new byte[2048];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        int length = fake.ReceiveFrom(init, ref from);
        Assert.Equal(UdpWire.TypeInit, init[0]);
        const int Forged = 10;
        AppDomain.CurrentDomain.FirstChanceException += OnFirstChance;
        try
        {
            for (int i = 0; i < Forged; i++)
            {
                byte[] response = new byte[UdpWire.ResponseHeaderSize + NoiseHandshake.MessageSize(1, UdpWire.HandshakePayloadSize)];
                Random.Shared.NextBytes(response);
                response[0] = UdpWire.TypeResponse;
                init.AsSpan(3, 4).CopyTo(response.AsSpan(1)); // the dialer's connection id
                response[UdpWire.ResponseHeaderSize] = 0x04;   // shaped like a key; not a point
                fake.SendTo(response, from);
            }

            await WaitForAsync(() => dialer.GetStatistics().HandshakesFailed >= Forged);
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= OnFirstChance;
        }

        Assert.True(thrown.IsEmpty, $"{thrown.Count} exceptions thrown while rejecting: " + string.Join("; ", thrown.Take(5).Select(e => $"{e.GetType().Name}: {e.Message}")));
        Assert.Equal(Forged, dialer.GetStatistics().HandshakesFailed);
        Assert.False(connecting.IsCompleted, "a forged response ended the dial");
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<Exception>(() => connecting);
    }

    private static async Task RunAsync(TcpLinkListener listener, Func<Socket, Task>[] attacks)
    {
        foreach (Func<Socket, Task> attack in attacks)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(listener.LocalEndPoint);
            await attack(socket);
            socket.Shutdown(SocketShutdown.Send);
            await DrainAsync(socket); // until the listener closes the connection: the rejection happened
        }
    }

    private static async Task SendAsync(Socket socket, byte[] bytes) => await socket.SendAsync(bytes);

    private static async Task ForgedThirdMessageAsync(Socket socket, NodeKey key)
    {
        using var noise = new NoiseHandshake(NoiseCipherState.Default, initiator: true, key, Preamble);
        byte[] message = new byte[2 + NoiseHandshake.MessageSize(0, 0)];
        BinaryPrimitives.WriteUInt16BigEndian(message, (ushort)noise.WriteMessage(ReadOnlySpan<byte>.Empty, message.AsSpan(2)));
        await socket.SendAsync((byte[])[.. Preamble, .. message]);
        byte[] header = new byte[2];
        await ReceiveExactlyAsync(socket, header);
        await ReceiveExactlyAsync(socket, new byte[BinaryPrimitives.ReadUInt16BigEndian(header)]);
        byte[] forged = new byte[2 + NoiseHandshake.MessageSize(2, 5)];
        Random.Shared.NextBytes(forged);
        BinaryPrimitives.WriteUInt16BigEndian(forged, (ushort)(forged.Length - 2));
        await socket.SendAsync(forged);
    }

    private static async Task ReceiveExactlyAsync(Socket socket, byte[] buffer)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read)).AsTask().WaitAsync(Wait);
            Assert.True(n > 0, "the listener closed before answering message 1");
            read += n;
        }
    }

    private static async Task DrainAsync(Socket socket)
    {
        byte[] buffer = new byte[1024];
        try
        {
            while (await socket.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(Wait) > 0)
            {
            }
        }
        catch (SocketException)
        {
            // A reset is a close too.
        }
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (int i = 0; i < 400 && !condition(); i++)
        {
            await Task.Delay(25);
        }
    }
}
