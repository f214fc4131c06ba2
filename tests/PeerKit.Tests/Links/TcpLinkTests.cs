using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using PeerKit.Links;
using PeerKit.Links.Noise;
using PeerKit.Links.Tcp;

namespace PeerKit.Tests.Links;

public sealed class TcpLinkTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);

    private readonly NodeKey _serverKey = NodeKey.Generate();
    private readonly NodeKey _clientKey = NodeKey.Generate();
    private readonly Channel<HandshakeFailedEventArgs> _failures = Channel.CreateUnbounded<HandshakeFailedEventArgs>();
    private TcpLinkListener? _listener;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_listener is not null)
        {
            await _listener.DisposeAsync().AsTask().WaitAsync(Timeout);
        }

        _serverKey.Dispose();
        _clientKey.Dispose();
    }

    [Fact]
    public async Task Listener_on_port_0_reports_the_real_port()
    {
        TcpLinkListener listener = Listen();
        Assert.NotEqual(0, listener.LocalEndPoint.Port);
        Assert.Equal(IPAddress.Loopback, listener.LocalEndPoint.Address);
        Assert.Equal(_serverKey.Id, listener.LocalId);
        await using TcpLink client = await Connect();
        Assert.Equal(listener.LocalEndPoint, client.RemoteAddress);
    }

    [Fact]
    public async Task Handshake_proves_both_identities()
    {
        (TcpLink client, TcpLink server) = await ConnectPair(expected: _serverKey.Id);
        await using (client)
        await using (server)
        {
            Assert.Equal(_serverKey.Id, client.RemoteId);
            Assert.Equal(_clientKey.Id, client.LocalId);
            Assert.Equal(_clientKey.Id, server.RemoteId);
            Assert.Equal(_serverKey.Id, server.LocalId);
            Assert.True(client.RemoteStaticKey.Span.SequenceEqual(_serverKey.PublicKey));
            Assert.True(server.RemoteStaticKey.Span.SequenceEqual(_clientKey.PublicKey));
            Assert.True(client.HandshakeHash.Span.SequenceEqual(server.HandshakeHash.Span));
            Assert.True(client.Capabilities.IsSecure);
            Assert.True(client.Capabilities.IsReliableStream);
            Assert.Equal(LinkOptions.DefaultMaxFrameSize, client.Capabilities.MaxFrameSize);
        }
    }

    [Fact]
    public async Task Ten_thousand_frames_travel_both_ways_in_order()
    {
        (TcpLink client, TcpLink server) = await ConnectPair();
        await using (client)
        await using (server)
        {
            await StreamLinkChecks.FramesTravelBothWaysInOrderAsync(client, server, 10_000);
        }
    }

    [Fact]
    public async Task Large_and_empty_frames_arrive_intact()
    {
        (TcpLink client, TcpLink server) = await ConnectPair();
        await using (client)
        await using (server)
        {
            await StreamLinkChecks.LargeAndEmptyFramesArriveIntactAsync(client, server);
        }
    }

    [Fact]
    public async Task A_wrong_expected_identity_fails_and_the_listener_keeps_serving()
    {
        Listen();
        using NodeKey stranger = NodeKey.Generate();
        IdentityMismatchException e = await Assert.ThrowsAsync<IdentityMismatchException>(() => Connect(expected: stranger.Id));
        Assert.Equal(stranger.Id, e.Expected);
        Assert.Equal(_serverKey.Id, e.Actual);
        Assert.Equal(HandshakeFailure.IdentityMismatch, e.Failure);

        // The server side sees its handshake cut short.
        HandshakeFailedEventArgs failure = await _failures.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(HandshakeFailure.ConnectionClosed, Assert.IsAssignableFrom<HandshakeException>(failure.Exception).Failure);

        (TcpLink client, TcpLink server) = await ConnectPair(expected: _serverKey.Id);
        await client.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task The_send_limit_is_the_smaller_maximum_and_oversized_sends_throw()
    {
        Listen(new TcpLinkOptions { MaxFrameSize = 1000 });
        (TcpLink client, TcpLink server) = await ConnectPair();
        await using (client)
        await using (server)
        {
            Assert.Equal(1000, client.Capabilities.MaxFrameSize);
            Assert.Equal(1000, server.Capabilities.MaxFrameSize);
            FrameTooLargeException e = await Assert.ThrowsAsync<FrameTooLargeException>(() => client.SendAsync(new byte[1001]).AsTask());
            Assert.Equal(1001, e.FrameSize);
            Assert.Equal(1000, e.MaxFrameSize);
            await Assert.ThrowsAsync<FrameTooLargeException>(() => server.SendAsync(new byte[1001]).AsTask());

            await client.SendAsync(new byte[1000]);
            using LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(1000, frame.Length);
        }
    }

    [Fact]
    public async Task An_oversized_length_prefix_closes_the_link_before_allocating()
    {
        Listen(new TcpLinkOptions { MaxFrameSize = 1024 * 1024 });
        (Socket raw, NetworkStream stream, HandshakeResult keys) = await RawHandshake();
        using (raw)
        using (keys)
        await using (TcpLink server = await _listener!.AcceptAsync().AsTask().WaitAsync(Timeout))
        {
            await StreamLinkChecks.WriteFrameAsync(stream, keys.Send, "before"u8.ToArray());
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            byte[] prefix = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(prefix, int.MaxValue - 64);
            await stream.WriteAsync(prefix);

            Assert.Equal(LinkCloseReason.FrameTooLarge, await server.Completion.WaitAsync(Timeout));
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            Assert.True(allocated < 256L * 1024 * 1024, $"{allocated} bytes were allocated");

            // The frame before the bad prefix is still delivered, then the typed close.
            using (LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout))
            {
                Assert.Equal("before"u8.ToArray(), frame.ToArray());
            }

            LinkClosedException closed = await Assert.ThrowsAsync<LinkClosedException>(() => server.ReceiveAsync().AsTask().WaitAsync(Timeout));
            Assert.Equal(LinkCloseReason.FrameTooLarge, closed.Reason);
            FrameTooLargeException cause = Assert.IsType<FrameTooLargeException>(closed.InnerException);
            Assert.Equal(int.MaxValue - 64 - 16, cause.FrameSize);
            Assert.Equal(1024 * 1024, cause.MaxFrameSize);
            await Assert.ThrowsAsync<LinkClosedException>(() => server.SendAsync(new byte[1]).AsTask());

            // The server closed the connection.
            Assert.Equal(0, await ReadToEndOrReset(stream));
        }
    }

    [Fact]
    public async Task A_replayed_or_tampered_transport_frame_closes_the_link_with_a_protocol_error()
    {
        Listen();
        (Socket raw, NetworkStream stream, HandshakeResult keys) = await RawHandshake();
        using (raw)
        using (keys)
        await using (TcpLink server = await _listener!.AcceptAsync().AsTask().WaitAsync(Timeout))
        {
            byte[] wire = await StreamLinkChecks.WriteFrameAsync(stream, keys.Send, "once"u8.ToArray());
            await stream.WriteAsync(wire); // the same bytes again: a replay

            using (LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout))
            {
                Assert.Equal("once"u8.ToArray(), frame.ToArray());
            }

            LinkClosedException closed = await Assert.ThrowsAsync<LinkClosedException>(() => server.ReceiveAsync().AsTask().WaitAsync(Timeout));
            Assert.Equal(LinkCloseReason.ProtocolError, closed.Reason);
        }

        (Socket raw2, NetworkStream stream2, HandshakeResult keys2) = await RawHandshake();
        using (raw2)
        using (keys2)
        await using (TcpLink server = await _listener!.AcceptAsync().AsTask().WaitAsync(Timeout))
        {
            byte[] plaintext = "tampered"u8.ToArray();
            byte[] wire = new byte[4 + plaintext.Length + 16];
            BinaryPrimitives.WriteInt32BigEndian(wire, plaintext.Length + 16);
            keys2.Send.Encrypt(default, plaintext, wire.AsSpan(4));
            wire[6] ^= 0x20;
            await stream2.WriteAsync(wire);
            Assert.Equal(LinkCloseReason.ProtocolError, await server.Completion.WaitAsync(Timeout));
            Assert.False(server.TryReceive(out _));
        }
    }

    [Fact]
    public async Task Garbage_instead_of_a_handshake_is_a_typed_error_and_the_listener_keeps_serving()
    {
        TcpLinkListener listener = Listen();
        using (var raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await raw.ConnectAsync(listener.LocalEndPoint);
            await raw.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
            HandshakeFailedEventArgs failure = await _failures.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
            HandshakeException e = Assert.IsAssignableFrom<HandshakeException>(failure.Exception);
            Assert.Equal(HandshakeFailure.InvalidMessage, e.Failure);
            Assert.Equal(raw.LocalEndPoint, failure.RemoteEndPoint);
            using var stream = new NetworkStream(raw);
            Assert.Equal(0, await ReadToEndOrReset(stream));
        }

        (TcpLink client, TcpLink server) = await ConnectPair();
        await using (client)
        await using (server)
        {
            await client.SendAsync("still serving"u8.ToArray());
            using LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal("still serving"u8.ToArray(), frame.ToArray());
        }
    }

    [Fact]
    public async Task A_half_open_connection_does_not_block_other_clients_and_times_out()
    {
        TcpLinkListener listener = Listen(new TcpLinkOptions { HandshakeTimeout = TimeSpan.FromMilliseconds(500) });
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync(listener.LocalEndPoint);
        await silent.SendAsync(new byte[] { (byte)'P', (byte)'K' }); // starts, then stalls

        (TcpLink client, TcpLink server) = await ConnectPair();
        await using (client)
        await using (server)
        {
            await server.SendAsync("hello"u8.ToArray());
            using LinkFrame frame = await client.ReceiveAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal("hello"u8.ToArray(), frame.ToArray());
        }

        HandshakeFailedEventArgs failure = await _failures.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(HandshakeFailure.Timeout, Assert.IsAssignableFrom<HandshakeException>(failure.Exception).Failure);
        using var stream = new NetworkStream(silent);
        Assert.Equal(0, await ReadToEndOrReset(stream));
    }

    [Fact]
    public async Task A_silent_server_times_the_client_handshake_out_and_cancellation_is_honoured()
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        silent.Bind(Loopback);
        silent.Listen(8);
        var endPoint = (IPEndPoint)silent.LocalEndPoint!;

        HandshakeException e = await Assert.ThrowsAnyAsync<HandshakeException>(
            () => TcpLink.ConnectAsync(endPoint, _clientKey, null, new TcpLinkOptions { HandshakeTimeout = TimeSpan.FromMilliseconds(300) }).WaitAsync(Timeout));
        Assert.Equal(HandshakeFailure.Timeout, e.Failure);

        using var cts = new CancellationTokenSource();
        Task<TcpLink> connecting = TcpLink.ConnectAsync(endPoint, _clientKey, null, null, cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connecting.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Closing_one_side_drains_then_closes_the_other()
    {
        (TcpLink client, TcpLink server) = await ConnectPair();
        ValueTask<LinkFrame> clientReceive = client.ReceiveAsync();
        await client.SendAsync("one"u8.ToArray());
        await client.SendAsync("two"u8.ToArray());
        await client.DisposeAsync().AsTask().WaitAsync(Timeout);

        Assert.Equal(LinkCloseReason.Requested, await client.Completion.WaitAsync(Timeout));
        Assert.Equal(LinkCloseReason.Requested, (await Assert.ThrowsAsync<LinkClosedException>(() => clientReceive.AsTask().WaitAsync(Timeout))).Reason);
        Assert.Equal(LinkCloseReason.Requested, (await Assert.ThrowsAsync<LinkClosedException>(() => client.SendAsync(new byte[1]).AsTask())).Reason);

        Assert.Equal(LinkCloseReason.RemoteClosed, await server.Completion.WaitAsync(Timeout));
        foreach (string expected in new[] { "one", "two" })
        {
            using LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(frame.Span));
        }

        Assert.Equal(LinkCloseReason.RemoteClosed, (await Assert.ThrowsAsync<LinkClosedException>(() => server.ReceiveAsync().AsTask().WaitAsync(Timeout))).Reason);
        Assert.Equal(LinkCloseReason.RemoteClosed, (await Assert.ThrowsAsync<LinkClosedException>(() => server.SendAsync(new byte[1]).AsTask())).Reason);
        await server.DisposeAsync().AsTask().WaitAsync(Timeout);
    }

    [Fact]
    public async Task A_send_blocked_by_a_peer_that_does_not_read_can_be_cancelled()
    {
        Listen(new TcpLinkOptions { ReceiveQueueCapacity = 1 });
        (TcpLink client, TcpLink server) = await ConnectPair();
        await using (client)
        await using (server)
        {
            byte[] chunk = new byte[1024 * 1024];
            bool cancelledMidFrame = false;
            for (int i = 0; i < 500 && !cancelledMidFrame; i++)
            {
                using var cts = new CancellationTokenSource();
                ValueTask send = client.SendAsync(chunk, cancellationToken: cts.Token);
                if (send.IsCompleted)
                {
                    await send;
                    continue;
                }

                cts.Cancel();
                try
                {
                    await send.AsTask().WaitAsync(Timeout);
                }
                catch (OperationCanceledException)
                {
                    cancelledMidFrame = true;
                }
            }

            Assert.True(cancelledMidFrame, "the sends never blocked");
            Assert.Equal(LinkCloseReason.Aborted, await client.Completion.WaitAsync(Timeout));
            Assert.Equal(LinkCloseReason.Aborted, (await Assert.ThrowsAsync<LinkClosedException>(() => client.SendAsync(new byte[1]).AsTask())).Reason);
        }
    }

    [Fact]
    public async Task Disposing_releases_a_blocked_send_and_a_pending_receive()
    {
        Listen(new TcpLinkOptions { ReceiveQueueCapacity = 1 });
        (TcpLink client, TcpLink server) = await ConnectPair();
        await using (server)
        {
            byte[] chunk = new byte[1024 * 1024];
            ValueTask<LinkFrame> receive = client.ReceiveAsync();
            Task? blocked = null;
            for (int i = 0; i < 500; i++)
            {
                ValueTask send = client.SendAsync(chunk);
                if (!send.IsCompleted)
                {
                    blocked = send.AsTask();
                    break;
                }

                await send;
            }

            Assert.NotNull(blocked);
            await client.DisposeAsync().AsTask().WaitAsync(Timeout);
            Exception? e = await Record.ExceptionAsync(() => blocked.WaitAsync(Timeout));
            // The blocked write either finished before the close or fails with the typed close.
            if (e is not null)
            {
                Assert.IsType<LinkClosedException>(e);
            }

            Assert.Equal(LinkCloseReason.Requested, (await Assert.ThrowsAsync<LinkClosedException>(() => receive.AsTask().WaitAsync(Timeout))).Reason);

            // The server stopped reading its socket while its queue was full, so it learns of the close only by
            // draining: whole frames, then the close (clean, or a network error for the frame cut short).
            LinkClosedException closed = await Assert.ThrowsAsync<LinkClosedException>(async () =>
            {
                while (true)
                {
                    using LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
                    Assert.Equal(chunk.Length, frame.Length);
                }
            });
            Assert.Contains(closed.Reason, new[] { LinkCloseReason.RemoteClosed, LinkCloseReason.NetworkError });
            Assert.Equal(closed.Reason, await server.Completion.WaitAsync(Timeout));
        }
    }

    [Fact]
    public async Task Disposing_the_listener_abandons_pending_handshakes_and_ends_accepts()
    {
        TcpLinkListener listener = Listen();
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync(listener.LocalEndPoint);
        ValueTask<TcpLink> accepting = listener.AcceptAsync();
        await listener.DisposeAsync().AsTask().WaitAsync(Timeout);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => accepting.AsTask().WaitAsync(Timeout));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => listener.AcceptAsync().AsTask().WaitAsync(Timeout));
        using var stream = new NetworkStream(silent);
        Assert.Equal(0, await ReadToEndOrReset(stream));
        await Assert.ThrowsAsync<SocketException>(() => TcpLink.ConnectAsync(listener.LocalEndPoint, _clientKey).WaitAsync(Timeout));
    }

    private TcpLinkListener Listen(TcpLinkOptions? options = null)
    {
        _listener = TcpLinkListener.Start(Loopback, _serverKey, options);
        _listener.HandshakeFailed += (_, e) => _failures.Writer.TryWrite(e);
        return _listener;
    }

    private Task<TcpLink> Connect(NodeId? expected = null)
        => TcpLink.ConnectAsync(_listener!.LocalEndPoint, _clientKey, expected).WaitAsync(Timeout);

    private async Task<(TcpLink Client, TcpLink Server)> ConnectPair(NodeId? expected = null)
    {
        _listener ??= Listen();
        TcpLink client = await Connect(expected);
        TcpLink server = await _listener.AcceptAsync().AsTask().WaitAsync(Timeout);
        return (client, server);
    }

    /// <summary>A client that runs the real handshake over a raw socket, to send what a TcpLink never would.</summary>
    private async Task<(Socket Socket, NetworkStream Stream, HandshakeResult Keys)> RawHandshake()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_listener!.LocalEndPoint);
        var stream = new NetworkStream(socket);
        HandshakeResult keys = await StreamHandshake.RunAsync(stream, true, _clientKey, _serverKey.Id, LinkOptions.DefaultMaxFrameSize, NoiseCipherState.Default, CancellationToken.None).WaitAsync(Timeout);
        return (socket, stream, keys);
    }

    /// <summary>Reads until the peer closes; 0 when it closed (cleanly or with a reset).</summary>
    private static async Task<int> ReadToEndOrReset(NetworkStream stream)
    {
        byte[] buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer).AsTask().WaitAsync(Timeout) > 0)
            {
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }
}
