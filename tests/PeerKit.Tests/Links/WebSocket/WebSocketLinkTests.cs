using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Threading.Channels;
using PeerKit.Links;
using PeerKit.Links.Noise;
using PeerKit.Links.Tcp;
using PeerKit.Links.WebSockets;

namespace PeerKit.Tests.Links.WebSocket;

/// <summary>
/// The WebSocket link over real WebSocket framing (<see cref="System.Net.WebSockets.WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/>
/// on a loopback TCP pair; the SDK has no HTTP server), served through a <see cref="WebSocketLinkAcceptor"/> as an
/// HTTP server would. The router's Kestrel listener is tested in PeerKit.Router.Tests.
/// </summary>
public sealed class WebSocketLinkTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly IPEndPoint Client = new(IPAddress.Loopback, 40000);

    private readonly NodeKey _serverKey = NodeKey.Generate();
    private readonly NodeKey _clientKey = NodeKey.Generate();
    private readonly Channel<HandshakeFailedEventArgs> _failures = Channel.CreateUnbounded<HandshakeFailedEventArgs>();
    private readonly List<Task<bool>> _serving = [];
    private readonly List<IDisposable> _sockets = [];
    private WebSocketLinkAcceptor? _acceptor;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_acceptor is not null)
        {
            await _acceptor.DisposeAsync().AsTask().WaitAsync(Timeout);
            // Every request the acceptor served ends once it is disposed: nothing is left holding a WebSocket.
            await Task.WhenAll(_serving).WaitAsync(Timeout);
        }

        foreach (IDisposable socket in _sockets)
        {
            socket.Dispose();
        }

        _serverKey.Dispose();
        _clientKey.Dispose();
    }

    [Fact]
    public async Task Handshake_proves_both_identities_and_frames_travel_both_ways_in_order()
    {
        (WebSocketLink client, WebSocketLink server) = await ConnectPair();
        await using (client)
        await using (server)
        {
            Assert.Equal(_serverKey.Id, client.RemoteId);
            Assert.Equal(_clientKey.Id, server.RemoteId);
            Assert.True(client.HandshakeHash.Span.SequenceEqual(server.HandshakeHash.Span));
            Assert.True(client.Capabilities.IsSecure);
            Assert.True(client.Capabilities.IsReliableStream);
            Assert.Equal(Client, server.RemoteAddress);

            await StreamLinkChecks.FramesTravelBothWaysInOrderAsync(client, server, 2_000);
        }
    }

    [Fact]
    public async Task Large_and_empty_frames_arrive_intact()
    {
        (WebSocketLink client, WebSocketLink server) = await ConnectPair();
        await using (client)
        await using (server)
        {
            await StreamLinkChecks.LargeAndEmptyFramesArriveIntactAsync(client, server);
        }
    }

    [Fact]
    public async Task A_reader_that_falls_behind_holds_at_most_the_receive_queue_bytes_and_then_gets_every_frame_in_order()
    {
        var options = new WebSocketLinkOptions { ReceiveQueueBytes = 64 * 1024, ReceiveQueueCapacity = 10_000 };
        (WebSocketLink client, WebSocketLink server) = await ConnectPair(options);
        await using (client)
        await using (server)
        {
            const int frames = 64;
            byte[] payload = new byte[16 * 1024];
            Task sending = Task.Run(async () =>
            {
                for (int i = 0; i < frames; i++)
                {
                    BinaryPrimitives.WriteInt32BigEndian(payload, i);
                    await client.SendAsync(payload);
                }
            });

            // The sender runs ahead until the WebSocket's and the sockets' buffers fill; the server stops reading at its byte limit.
            await Task.Delay(500);
            Assert.InRange(server.QueuedBytes, 1, options.ReceiveQueueBytes + payload.Length + 64);
            for (int i = 0; i < frames; i++)
            {
                using LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
                Assert.Equal(i, BinaryPrimitives.ReadInt32BigEndian(frame.Span));
            }

            await sending.WaitAsync(Timeout);
        }
    }

    [Fact]
    public async Task The_send_limit_is_the_smaller_maximum_and_an_oversized_length_prefix_closes_the_link_before_allocating()
    {
        var options = new WebSocketLinkOptions { MaxFrameSize = 1024 * 1024 };
        _acceptor = Acceptor(options);
        (System.Net.WebSockets.WebSocket raw, Stream stream, HandshakeResult keys) = await RawHandshake();
        using (raw)
        using (keys)
        await using (WebSocketLink server = await _acceptor.AcceptAsync().AsTask().WaitAsync(Timeout))
        {
            Assert.Equal(1024 * 1024, server.Capabilities.MaxFrameSize);
            await Assert.ThrowsAsync<FrameTooLargeException>(() => server.SendAsync(new byte[1024 * 1024 + 1]).AsTask());

            await StreamLinkChecks.WriteFrameAsync(stream, keys.Send, "before"u8.ToArray());
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            byte[] prefix = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(prefix, int.MaxValue - 64);
            await stream.WriteAsync(prefix);

            Assert.Equal(LinkCloseReason.FrameTooLarge, await server.Completion.WaitAsync(Timeout));
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            Assert.True(allocated < 256L * 1024 * 1024, $"{allocated} bytes were allocated");
            using (LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout))
            {
                Assert.Equal("before"u8.ToArray(), frame.ToArray());
            }

            LinkClosedException closed = await Assert.ThrowsAsync<LinkClosedException>(() => server.ReceiveAsync().AsTask().WaitAsync(Timeout));
            FrameTooLargeException cause = Assert.IsType<FrameTooLargeException>(closed.InnerException);
            Assert.Equal(1024 * 1024, cause.MaxFrameSize);
        }
    }

    [Fact]
    public async Task A_text_message_after_the_handshake_closes_the_link_with_a_protocol_error()
    {
        _acceptor = Acceptor();
        (System.Net.WebSockets.WebSocket raw, Stream stream, HandshakeResult keys) = await RawHandshake();
        using (raw)
        using (keys)
        await using (WebSocketLink server = await _acceptor.AcceptAsync().AsTask().WaitAsync(Timeout))
        {
            await StreamLinkChecks.WriteFrameAsync(stream, keys.Send, "binary"u8.ToArray());
            await raw.SendAsync("now some text"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);

            Assert.Equal(LinkCloseReason.ProtocolError, await server.Completion.WaitAsync(Timeout));
            using (LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout))
            {
                Assert.Equal("binary"u8.ToArray(), frame.ToArray());
            }

            LinkClosedException closed = await Assert.ThrowsAsync<LinkClosedException>(() => server.ReceiveAsync().AsTask().WaitAsync(Timeout));
            Assert.IsType<InvalidDataException>(closed.InnerException);
        }
    }

    [Fact]
    public async Task A_text_message_or_garbage_instead_of_a_handshake_is_an_invalid_message_and_the_acceptor_keeps_serving()
    {
        _acceptor = Acceptor();
        (System.Net.WebSockets.WebSocket text, _) = await Serve();
        await text.SendAsync("PKL\u0001\u0001"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        HandshakeException first = Assert.IsAssignableFrom<HandshakeException>((await _failures.Reader.ReadAsync().AsTask().WaitAsync(Timeout)).Exception);
        Assert.Equal(HandshakeFailure.InvalidMessage, first.Failure);

        (System.Net.WebSockets.WebSocket garbage, _) = await Serve();
        await garbage.SendAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray(), WebSocketMessageType.Binary, true, CancellationToken.None);
        HandshakeException second = Assert.IsAssignableFrom<HandshakeException>((await _failures.Reader.ReadAsync().AsTask().WaitAsync(Timeout)).Exception);
        Assert.Equal(HandshakeFailure.InvalidMessage, second.Failure);
        Assert.Equal(2, _acceptor.FailedHandshakeCount);

        (WebSocketLink client, WebSocketLink server) = await ConnectPair();
        await client.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task A_client_that_never_finishes_the_handshake_is_timed_out_and_its_slot_freed()
    {
        _acceptor = Acceptor(new WebSocketLinkOptions { HandshakeTimeout = TimeSpan.FromMilliseconds(300), MaxPendingHandshakes = 2 });
        (System.Net.WebSockets.WebSocket slow, Task<bool> serving) = await Serve();
        // Half a preamble, then nothing.
        await slow.SendAsync("PK"u8.ToArray(), WebSocketMessageType.Binary, true, CancellationToken.None);
        await EventuallyAsync(() => _acceptor.PendingHandshakeCount == 1);

        // One address holds at most half the slots: a second request from it is refused before its upgrade.
        bool upgraded = false;
        Assert.False(await _acceptor.ServeAsync(Client, () => { upgraded = true; return Task.FromResult<System.Net.WebSockets.WebSocket>(null!); }));
        Assert.False(upgraded);
        Assert.Equal(1, _acceptor.RefusedCount);

        HandshakeException timedOut = Assert.IsAssignableFrom<HandshakeException>((await _failures.Reader.ReadAsync().AsTask().WaitAsync(Timeout)).Exception);
        Assert.Equal(HandshakeFailure.Timeout, timedOut.Failure);
        Assert.True(await serving.WaitAsync(Timeout));
        Assert.Equal(0, _acceptor.PendingHandshakeCount);

        (WebSocketLink client, WebSocketLink server) = await ConnectPair();
        await client.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Closing_one_side_drains_then_closes_the_other_and_the_request_ends()
    {
        (WebSocketLink client, WebSocketLink server) = await ConnectPair();
        Task<bool> serving = _serving[^1];
        await client.SendAsync("one"u8.ToArray());
        await client.SendAsync("two"u8.ToArray());
        await client.DisposeAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(LinkCloseReason.Requested, await client.Completion.WaitAsync(Timeout));

        Assert.Equal(LinkCloseReason.RemoteClosed, await server.Completion.WaitAsync(Timeout));
        foreach (string expected in new[] { "one", "two" })
        {
            using LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(frame.Span));
        }

        Assert.Equal(LinkCloseReason.RemoteClosed, (await Assert.ThrowsAsync<LinkClosedException>(() => server.SendAsync(new byte[1]).AsTask())).Reason);
        Assert.True(await serving.WaitAsync(Timeout)); // the server's request handler returns: the link let go of the WebSocket
        await server.DisposeAsync().AsTask().WaitAsync(Timeout);
    }

    [Fact]
    public async Task A_wrong_expected_identity_fails_before_the_client_reveals_its_key()
    {
        _acceptor = Acceptor();
        using NodeKey stranger = NodeKey.Generate();
        (System.Net.WebSockets.WebSocket client, _) = await Serve();
        IdentityMismatchException e = await Assert.ThrowsAsync<IdentityMismatchException>(() => WebSocketLink.AuthenticateAsync(client, _clientKey, isInitiator: true, stranger.Id).WaitAsync(Timeout));
        Assert.Equal(_serverKey.Id, e.Actual);
        HandshakeException failure = Assert.IsAssignableFrom<HandshakeException>((await _failures.Reader.ReadAsync().AsTask().WaitAsync(Timeout)).Exception);
        Assert.Equal(HandshakeFailure.ConnectionClosed, failure.Failure);
    }

    private WebSocketLinkAcceptor Acceptor(WebSocketLinkOptions? options = null)
    {
        var acceptor = new WebSocketLinkAcceptor(_serverKey, options);
        acceptor.HandshakeFailed += (_, e) => _failures.Writer.TryWrite(e);
        return acceptor;
    }

    /// <summary>A WebSocket pair on loopback; the server half handed to the acceptor as an HTTP server would.</summary>
    private async Task<(System.Net.WebSockets.WebSocket Client, Task<bool> Serving)> Serve()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Task connecting = client.ConnectAsync(listener.LocalEndPoint!);
        Socket server = await listener.AcceptAsync();
        await connecting;
        var clientSocket = System.Net.WebSockets.WebSocket.CreateFromStream(new NetworkStream(client, ownsSocket: true), new WebSocketCreationOptions { IsServer = false });
        var serverSocket = System.Net.WebSockets.WebSocket.CreateFromStream(new NetworkStream(server, ownsSocket: true), new WebSocketCreationOptions { IsServer = true });
        _sockets.Add(clientSocket);
        _sockets.Add(serverSocket);
        Task<bool> serving = _acceptor!.ServeAsync(Client, () => Task.FromResult(serverSocket));
        _serving.Add(serving);
        return (clientSocket, serving);
    }

    private async Task<(WebSocketLink Client, WebSocketLink Server)> ConnectPair(WebSocketLinkOptions? options = null)
    {
        _acceptor ??= Acceptor(options);
        (System.Net.WebSockets.WebSocket socket, _) = await Serve();
        WebSocketLink client = await WebSocketLink.AuthenticateAsync(socket, _clientKey, isInitiator: true, _serverKey.Id, options).WaitAsync(Timeout);
        WebSocketLink server = await _acceptor.AcceptAsync().AsTask().WaitAsync(Timeout);
        return (client, server);
    }

    /// <summary>A client that runs the handshake itself and then writes what it likes.</summary>
    private async Task<(System.Net.WebSockets.WebSocket Socket, Stream Stream, HandshakeResult Keys)> RawHandshake()
    {
        (System.Net.WebSockets.WebSocket socket, _) = await Serve();
        var stream = new WebSocketByteStream(socket);
        HandshakeResult keys = await StreamHandshake.RunAsync(stream, true, _clientKey, _serverKey.Id, LinkOptions.DefaultMaxFrameSize, NoiseCipherState.Default, CancellationToken.None).WaitAsync(Timeout);
        return (socket, stream, keys);
    }

    private static async Task EventuallyAsync(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Timeout, "timed out waiting");
            await Task.Delay(10);
        }
    }
}
