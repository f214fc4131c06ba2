using System.Net;
using System.Net.Sockets;
using PeerKit.Links;
using PeerKit.Links.Tcp;

namespace PeerKit.Tests.Hostile;

/// <summary>Issue 13, findings 2, 3, 4 and 7 on the TCP link and its listener.</summary>
[Collection(ProcessWideMemory.Name)]
public sealed class TcpFloodTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Finding 2: four bytes claiming a 16 MiB frame made the link rent a 32 MiB buffer before any byte of it came,
    /// held through the hello timeout, per connection (8 connections: 256 MiB). Now the buffer grows as bytes arrive.
    /// </summary>
    [Fact]
    public async Task A_length_prefix_alone_does_not_allocate_the_frame_it_claims()
    {
        using var serverKey = NodeKey.Generate();
        await using var listener = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0), serverKey);
        const int connections = 8;
        var sockets = new List<Socket>();
        var links = new List<IAsyncDisposable>();
        try
        {
            for (int i = 0; i < connections; i++)
            {
                var (socket, client) = await RawClientAsync(listener.LocalEndPoint);
                sockets.Add(socket);
                links.Add(client);
                links.Add(await listener.AcceptAsync().AsTask().WaitAsync(Wait));
            }

            long before = GC.GetTotalAllocatedBytes(precise: true);
            byte[] header = [0x01, 0x00, 0x00, 0x10]; // 16 MiB + 16 bytes of ciphertext claimed
            foreach (Socket socket in sockets)
            {
                await socket.SendAsync(header, SocketFlags.None);
            }

            await Task.Delay(500);
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            output.WriteLine($"{allocated / 1024} KiB allocated for {connections} length prefixes claiming 16 MiB");
            // Before: at least 8 × 32 MiB. After: 8 × 64 KiB, plus whatever other tests allocate meanwhile.
            Assert.True(allocated < 96L * 1024 * 1024, $"{allocated / (1024 * 1024)} MiB allocated for {connections} length prefixes");
        }
        finally
        {
            foreach (IAsyncDisposable link in links)
            {
                await link.DisposeAsync();
            }
        }
    }

    /// <summary>The growing buffer still reassembles a frame sent in pieces, byte for byte.</summary>
    [Fact]
    public async Task A_large_frame_sent_in_pieces_arrives_whole()
    {
        using var serverKey = NodeKey.Generate();
        using var clientKey = NodeKey.Generate();
        await using var listener = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0), serverKey);
        await using TcpLink client = await TcpLink.ConnectAsync(listener.LocalEndPoint, clientKey);
        await using TcpLink server = await listener.AcceptAsync().AsTask().WaitAsync(Wait);
        byte[] frame = new byte[3 * 1024 * 1024 + 17];
        new Random(13).NextBytes(frame);
        await client.SendAsync(frame);
        using LinkFrame received = await server.ReceiveAsync().AsTask().WaitAsync(Wait);
        Assert.True(frame.AsSpan().SequenceEqual(received.Span));
    }

    /// <summary>
    /// Finding 3: queues were bounded by count only: a receiver that never reads held 256 frames of 256 KiB (64 MiB)
    /// in the link alone. Now the link stops reading once the frames waiting pass its byte limit.
    /// </summary>
    [Fact]
    public async Task A_receiver_that_never_reads_holds_at_most_its_byte_limit()
    {
        using var serverKey = NodeKey.Generate();
        using var clientKey = NodeKey.Generate();
        const int limit = 1024 * 1024;
        const int frameSize = 256 * 1024;
        var options = new TcpLinkOptions { ReceiveQueueBytes = limit, ReceiveQueueCapacity = 10_000 };
        await using var listener = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0), serverKey, options);
        await using TcpLink client = await TcpLink.ConnectAsync(listener.LocalEndPoint, clientKey);
        await using TcpLink server = await listener.AcceptAsync().AsTask().WaitAsync(Wait);

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        byte[] frame = new byte[frameSize];
        int sent = 0;
        try
        {
            for (int i = 0; i < 200; i++)
            {
                await client.SendAsync(frame, cancellationToken: stop.Token);
                sent++;
            }
        }
        catch (OperationCanceledException)
        {
            // The sender is held up by back-pressure: expected.
        }

        Assert.True(sent < 200, "the sender was never held up");
        long queued = server.QueuedBytes;
        Assert.True(queued <= limit + frameSize + LinkInbox.FrameCost, $"{queued} bytes queued");
        Assert.True(queued > 0);

        // Reading frees room: the queue drains and the link keeps working.
        for (int i = 0; i < 4; i++)
        {
            using LinkFrame received = await server.ReceiveAsync().AsTask().WaitAsync(Wait);
            Assert.Equal(frameSize, received.Length);
        }
    }

    /// <summary>
    /// Finding 4: frame buffers of 16 and 32 MiB went back to <c>ArrayPool.Shared</c>, which kept 1.18 GiB after the
    /// attacks. Buffers over 1 MiB are now left to the GC; smaller ones are still pooled.
    /// </summary>
    [Fact]
    public void Frame_buffers_over_a_mebibyte_are_not_kept_by_a_pool()
    {
        Assert.False(FrameBuffer.IsPooled(16 * 1024 * 1024 + 1));
        WeakReference weak = RentAndDisposeLargeFrame();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(weak.IsAlive, "a 16 MiB frame buffer outlived its frame");

        byte[] small = FrameBuffer.Rent(4096);
        FrameBuffer.Return(small);
        Assert.Same(small, FrameBuffer.Rent(4096));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference RentAndDisposeLargeFrame()
    {
        byte[] large = FrameBuffer.Rent(16 * 1024 * 1024);
        Assert.Equal(16 * 1024 * 1024, large.Length);
        new LinkFrame(large, 100).Dispose();
        return new WeakReference(large);
    }

    /// <summary>
    /// Finding 7: with 200 silent TCP connections held open (re-opened as soon as they are closed), a fresh client
    /// waited behind the 50 first-come handshake slots of 5 s each. Now silent connections wait for their first byte
    /// without a handshake slot, are closed after 1 s, and every one closed is counted.
    /// </summary>
    [Fact]
    public async Task A_fresh_client_gets_in_within_two_seconds_while_200_silent_connections_are_held_open()
    {
        using var serverKey = NodeKey.Generate();
        using var clientKey = NodeKey.Generate();
        await using var listener = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0), serverKey, backlog: 512);
        await using var flood = new SilentTcpFlood(listener.LocalEndPoint, 200);
        await flood.StartAsync();
        await Task.Delay(1500); // the flood is in full swing, past the first-message deadline once

        var started = System.Diagnostics.Stopwatch.StartNew();
        await using TcpLink client = await TcpLink.ConnectAsync(listener.LocalEndPoint, clientKey).WaitAsync(Wait);
        TimeSpan took = started.Elapsed;
        output.WriteLine($"fresh client in after {took}; silent closed {listener.SilentCount}, refused {listener.RefusedCount}, opened {flood.Opened}");
        await using TcpLink server = await listener.AcceptAsync().AsTask().WaitAsync(Wait);
        Assert.True(took < TimeSpan.FromSeconds(2), $"the fresh client needed {took}");
        Assert.Equal(client.LocalId, server.RemoteId);
        Assert.True(listener.SilentCount >= 150, $"only {listener.SilentCount} silent connections were closed and counted");
        Assert.Equal(listener.SilentCount + listener.RefusedCount, listener.RejectedCount);
    }

    /// <summary>Connects and runs the handshake as a client, returning the raw socket under the link.</summary>
    internal static async Task<(Socket Socket, TcpLink Link)> RawClientAsync(IPEndPoint server)
    {
        using var key = NodeKey.Generate();
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server);
        TcpLink link = await TcpLink.AuthenticateAsync(socket, key, isInitiator: true);
        return (socket, link);
    }
}
