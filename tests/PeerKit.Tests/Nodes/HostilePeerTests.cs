using System.Net;
using System.Net.Sockets;
using PeerKit.Links;
using PeerKit.Links.Tcp;
using PeerKit.Sessions;
using static PeerKit.Tests.Nodes.NodeTestKit;

namespace PeerKit.Tests.Nodes;

/// <summary>Peers that break the rules are dropped with the right reason, and the node goes on serving the others.</summary>
public sealed class HostilePeerTests
{
    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, DisconnectReason.BreachOfProtocol)] // not a code
    [InlineData(new byte[] { 0x02, 0x09, 0x01, 0, 0, 0, 0, 0, 0, 0 }, DisconnectReason.BreachOfProtocol)] // a ping before the hello
    [InlineData(new byte[] { 0x00, 0x0A, 0xFF }, DisconnectReason.BreachOfProtocol)] // a hello that does not decode
    public async Task Garbage_instead_of_a_hello_is_a_breach_of_protocol(byte[] frame, DisconnectReason expected)
    {
        await using PeerNode node = await StartAsync(Options("node", new ChatProtocol()));
        await using RawPeer raw = RawPeer.Attach(node);
        await raw.SendRawAsync(frame);
        Assert.Equal(expected, await raw.DisconnectReasonAsync());
        var error = await Assert.ThrowsAsync<PeerConnectException>(() => raw.NodeSide.WaitAsync(Wait));
        Assert.Equal(expected, error.Reason);
        await AssertStillServesAsync(node);
    }

    [Fact]
    public async Task A_hello_over_two_kilobytes_is_a_breach_of_protocol()
    {
        await using PeerNode node = await StartAsync(Options("node", new ChatProtocol()));
        await using RawPeer raw = RawPeer.Attach(node);
        await raw.SendAsync(BaseProtocol.HelloCode, raw.Hello(name: new string('x', 3000)));
        Assert.Equal(DisconnectReason.BreachOfProtocol, await raw.DisconnectReasonAsync());
    }

    [Fact]
    public async Task A_hello_naming_another_node_is_an_invalid_identity()
    {
        await using PeerNode node = await StartAsync(Options("node", new ChatProtocol()));
        await using RawPeer raw = RawPeer.Attach(node);
        await raw.SendAsync(BaseProtocol.HelloCode, raw.Hello(nodeId: new byte[32]));
        Assert.Equal(DisconnectReason.InvalidIdentity, await raw.DisconnectReasonAsync());

        await using RawPeer shortId = RawPeer.Attach(node);
        await shortId.SendAsync(BaseProtocol.HelloCode, shortId.Hello(nodeId: [1, 2, 3]));
        Assert.Equal(DisconnectReason.InvalidIdentity, await shortId.DisconnectReasonAsync());
    }

    [Fact]
    public async Task A_hello_with_an_older_base_protocol_is_an_incompatible_version()
    {
        await using PeerNode node = await StartAsync(Options("node", new ChatProtocol()));
        await using RawPeer raw = RawPeer.Attach(node);
        await raw.SendAsync(BaseProtocol.HelloCode, raw.Hello(version: 0));
        Assert.Equal(DisconnectReason.IncompatibleVersion, await raw.DisconnectReasonAsync());
    }

    [Fact]
    public async Task A_peer_that_sends_nothing_times_out_in_the_handshake()
    {
        PeerNodeOptions options = Options("node", new ChatProtocol());
        options.HandshakeTimeout = TimeSpan.FromMilliseconds(200);
        await using PeerNode node = await StartAsync(options);
        var log = new EventLog(node);
        await using RawPeer raw = RawPeer.Attach(node);
        var error = await Assert.ThrowsAsync<PeerConnectException>(() => raw.NodeSide.WaitAsync(Wait));
        Assert.Equal(DisconnectReason.ReadTimeout, error.Reason);
        await log.WaitForAsync(e => e.Kind == PeerEventKind.StateChanged && e.State == ConnectionState.Timeout && e.PeerId == raw.Id);
    }

    [Theory]
    [InlineData(new byte[] { 0x7F, 1, 2, 3 })] // a code beyond every negotiated range
    [InlineData(new byte[] { 0x05 })] // a reserved base-protocol code
    [InlineData(new byte[] { 0x00, 0x08, 0x01 })] // a second hello
    [InlineData(new byte[] { 0x10, 0x0A, 0x05, 0x41 })] // Say (chat code 0) whose string runs past the end
    [InlineData(new byte[] { 0x10, 0x0A, 0x02, 0xC3, 0x28 })] // Say with invalid UTF-8
    [InlineData(new byte[] { 0x13 })] // chat has codes 0-2: 3 is unknown to its dispatch
    public async Task After_the_handshake_a_bad_frame_drops_the_peer_for_breach_of_protocol(byte[] frame)
    {
        await using PeerNode node = await StartAsync(Options("node", new ChatProtocol(length: 4)));
        var log = new EventLog(node);
        await using RawPeer raw = RawPeer.Attach(node);
        Peer peer = await raw.HandshakeAsync();
        await raw.SendRawAsync(frame);
        Assert.Equal(DisconnectReason.BreachOfProtocol, await raw.DisconnectReasonAsync());
        Assert.Equal(new PeerDisconnect(DisconnectReason.BreachOfProtocol, false), await peer.Completion.WaitAsync(Wait));
        PeerEvent dropped = await log.WaitForAsync(e => e.Kind == PeerEventKind.PeerDropped);
        Assert.Equal(DisconnectReason.BreachOfProtocol, dropped.Reason);
        await AssertStillServesAsync(node);
    }

    [Fact]
    public async Task A_failing_protocol_drops_the_peer_with_subprotocol_error_and_the_exception()
    {
        await using PeerNode node = await StartAsync(Options("node", new CounterProtocol { FailOn = 13 }));
        await using PeerNode client = await StartAsync(Options("client", new CounterProtocol()));
        var log = new EventLog(node);
        Peer peer = await client.ConnectInProcessAsync(node).WaitAsync(Wait);
        await peer.SendAsync(new Boom(1));
        await peer.SendAsync(new Boom(13));
        PeerDisconnect end = await peer.Completion.WaitAsync(Wait);
        Assert.Equal(new PeerDisconnect(DisconnectReason.SubprotocolError, IsRemote: true), end);
        PeerEvent dropped = await log.WaitForAsync(e => e.Kind == PeerEventKind.PeerDropped);
        Assert.Equal(DisconnectReason.SubprotocolError, dropped.Reason);
        Assert.IsType<InvalidOperationException>(dropped.Error);
    }

    [Fact]
    public async Task A_handler_failing_on_another_peers_disconnection_drops_its_own_peer_with_subprotocol_error()
    {
        // The relay forwards every Boom to "the other peer", who has left: the PeerDisconnectedException is about
        // someone else, so it is this protocol's failure, not a quiet end of this session.
        var relay = new RelayProtocol();
        await using PeerNode hub = await StartAsync(Options("hub", relay));
        await using PeerNode gone = await StartAsync(Options("gone", new RelayProtocol()));
        await using PeerNode sender = await StartAsync(Options("sender", new RelayProtocol()));
        var log = new EventLog(hub);
        await gone.ConnectInProcessAsync(hub).WaitAsync(Wait);
        await EventuallyAsync(() => hub.PeerCount == 1, "hub sees the peer that will leave");
        relay.Target = hub.Peers[0];
        await gone.DisposeAsync();
        await relay.Target.Completion.WaitAsync(Wait);

        Peer peer = await sender.ConnectInProcessAsync(hub).WaitAsync(Wait);
        await peer.SendAsync(new Boom(1));
        Assert.Equal(new PeerDisconnect(DisconnectReason.SubprotocolError, IsRemote: true), await peer.Completion.WaitAsync(Wait));
        PeerEvent dropped = await log.WaitForAsync(e => e.Kind == PeerEventKind.PeerDropped && e.PeerId == sender.Id);
        Assert.IsType<PeerDisconnectedException>(dropped.Error);
    }

    private sealed class RelayProtocol : IProtocol
    {
        public ProtocolDescriptor Descriptor { get; } = new("relay", 1, 0, -1, [ProtocolMessageInfo.Create<Boom>()]);

        public Peer? Target { get; set; }

        public async ValueTask RunAsync(Peer peer, MessageReadWriter readWriter, CancellationToken cancellationToken)
        {
            while (true)
            {
                using ProtocolMessage message = await readWriter.ReadAsync(cancellationToken);
                await Target!.SendAsync(message.Decode<Boom>(), cancellationToken);
            }
        }
    }

    [Fact]
    public async Task A_silent_peer_is_dropped_after_the_idle_timeout_in_the_timeout_state()
    {
        PeerNodeOptions options = Options("node", new ChatProtocol());
        options.IdleTimeout = TimeSpan.FromMilliseconds(300);
        options.PingInterval = TimeSpan.FromMilliseconds(100);
        await using PeerNode node = await StartAsync(options);
        var log = new EventLog(node);
        await using RawPeer raw = RawPeer.Attach(node);
        Peer peer = await raw.HandshakeAsync();
        // The raw peer now says nothing at all, not even pongs.
        PeerDisconnect end = await peer.Completion.WaitAsync(Wait);
        Assert.Equal(DisconnectReason.ReadTimeout, end.Reason);
        Assert.Equal(ConnectionState.Timeout, peer.State);
        PeerEvent state = await log.WaitForAsync(e => e.Kind == PeerEventKind.StateChanged && e.State == ConnectionState.Timeout);
        Assert.Equal(DisconnectReason.ReadTimeout, state.Reason);
    }

    [Fact]
    public async Task Keepalive_pings_keep_a_quiet_but_live_peer_connected()
    {
        // Idle timeout of 2 s, pings every 100 ms, and nothing else said for 5 s: the pings and pongs keep the session up.
        // (The margin is wide on purpose: shared CI machines stall processes for hundreds of milliseconds.)
        PeerNodeOptions options = Options("node", new ChatProtocol());
        options.IdleTimeout = TimeSpan.FromSeconds(2);
        options.PingInterval = TimeSpan.FromMilliseconds(100);
        await using PeerNode node = await StartAsync(options);
        PeerNodeOptions clientOptions = Options("client", new ChatProtocol());
        clientOptions.IdleTimeout = TimeSpan.FromSeconds(2);
        clientOptions.PingInterval = TimeSpan.FromMilliseconds(100);
        await using PeerNode client = await StartAsync(clientOptions);
        Peer peer = await client.ConnectInProcessAsync(node).WaitAsync(Wait);
        await Task.Delay(5000);
        Assert.True(peer.IsConnected, $"{peer.State}");
        Assert.True(peer.Status.Rtt > TimeSpan.Zero, "keepalive pings measured the round trip");
        Assert.True(peer.Status.SinceLastReceived < options.IdleTimeout);
    }

    [Fact]
    public async Task A_message_over_the_link_limit_is_refused_to_the_sender_and_the_peer_stays()
    {
        PeerNodeOptions options = Options("node", new ChatProtocol()).Listening();
        options.Tcp = new TcpLinkOptions { MaxFrameSize = 1024 };
        await using PeerNode node = await StartAsync(options);
        await using PeerNode client = await StartAsync(Options("client", new ChatProtocol()));
        Peer peer = await client.ConnectAsync(node.Address()).WaitAsync(Wait);
        // The link handshake told the client the node's limit, so the frame never leaves.
        FrameTooLargeException error = await Assert.ThrowsAsync<FrameTooLargeException>(async () => await peer.SendAsync(new Say(new string('x', 4096))));
        Assert.Equal(1024, error.MaxFrameSize);
        Assert.True(peer.IsConnected);
        await peer.SendAsync(new Say("small enough"));
        Assert.True(await peer.PingAsync().WaitAsync(Wait) > TimeSpan.Zero);
    }

    [Theory]
    [InlineData(LinkCloseReason.FrameTooLarge, DisconnectReason.BreachOfProtocol)]
    [InlineData(LinkCloseReason.ProtocolError, DisconnectReason.BreachOfProtocol)]
    [InlineData(LinkCloseReason.NetworkError, DisconnectReason.NetworkError)]
    [InlineData(LinkCloseReason.RemoteClosed, DisconnectReason.NetworkError)]
    public async Task A_link_that_fails_under_a_session_drops_the_peer_with_the_matching_reason(LinkCloseReason linkReason, DisconnectReason expected)
    {
        // Over TCP, an oversized length prefix or a tampered frame closes the link (FrameTooLarge, ProtocolError:
        // see TcpLinkTests); the session turns that into the peer's breach of protocol.
        await using PeerNode node = await StartAsync(Options("node", new ChatProtocol()));
        var log = new EventLog(node);
        (MemoryLink raw, MemoryLink nodeEnd) = MemoryLink.CreatePair(RandomId(), node.Id);
        var faulty = new FaultyLink(nodeEnd);
        await using RawPeer rawPeer = RawPeer.Wrap(raw, node.AddLinkAsync(faulty, isInbound: true));
        Peer peer = await rawPeer.HandshakeAsync();
        faulty.Fail(linkReason);
        Assert.Equal(expected, (await peer.Completion.WaitAsync(Wait)).Reason);
        PeerEvent dropped = await log.WaitForAsync(e => e.Kind == PeerEventKind.PeerDropped);
        Assert.Equal(expected, dropped.Reason);
    }

    private static NodeId RandomId() => NodeId.Parse(Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));

    /// <summary>A link that fails on command with a given close reason, as a transport would.</summary>
    private sealed class FaultyLink(MemoryLink inner) : IMessageLink
    {
        private readonly TaskCompletionSource<LinkCloseReason> _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public NodeId LocalId => inner.LocalId;

        public NodeId RemoteId => inner.RemoteId;

        public EndPoint? RemoteAddress => inner.RemoteAddress;

        public LinkCapabilities Capabilities => inner.Capabilities;

        public Task<LinkCloseReason> Completion => Task.WhenAny(inner.Completion, _failed.Task).Unwrap();

        public void Fail(LinkCloseReason reason) => _failed.TrySetResult(reason);

        public ValueTask SendAsync(ReadOnlyMemory<byte> frame, Reliability reliability = Reliability.ReliableOrdered, CancellationToken cancellationToken = default) =>
            _failed.Task.IsCompleted ? ValueTask.FromException(new LinkClosedException(_failed.Task.Result)) : inner.SendAsync(frame, reliability, cancellationToken);

        public async ValueTask<LinkFrame> ReceiveAsync(CancellationToken cancellationToken = default)
        {
            Task<LinkFrame> receive = inner.ReceiveAsync(cancellationToken).AsTask();
            if (await Task.WhenAny(receive, _failed.Task) == receive)
            {
                return await receive;
            }

            _ = receive.ContinueWith(t => { if (t.IsCompletedSuccessfully) { t.Result.Dispose(); } }, TaskScheduler.Default);
            throw new LinkClosedException(await _failed.Task);
        }

        public bool TryReceive(out LinkFrame frame) => inner.TryReceive(out frame);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    [Fact]
    public async Task Raw_garbage_on_the_tcp_port_fails_the_link_handshake_and_is_counted()
    {
        await using PeerNode node = await StartAsync(Options("node", new ChatProtocol()).Listening());
        IPEndPoint endPoint = await node.Address().ResolveAsync();
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(endPoint);
            await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
            var buffer = new byte[64];
            // The node closes the connection: an orderly close, or a reset when it closes with the rest of the garbage
            // unread (the kernel then answers with RST); either way nothing comes back.
            try
            {
                int read = await socket.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(Wait);
                Assert.Equal(0, read);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
            }
        }

        await EventuallyAsync(() => node.FailedHandshakeCount == 1, "the failed handshake is counted");
        Assert.Equal(0, node.PeerCount);
        await AssertStillServesAsync(node);
    }

    /// <summary>A fresh, well-behaved node can still connect and exchange a message.</summary>
    private static async Task AssertStillServesAsync(PeerNode node)
    {
        await using PeerNode probe = await StartAsync(Options("probe", new ChatProtocol(), new CounterProtocol()));
        Peer peer = node.ListenAddresses.Count > 0
            ? await probe.ConnectAsync(node.Address()).WaitAsync(Wait)
            : await probe.ConnectInProcessAsync(node).WaitAsync(Wait);
        TimeSpan rtt = await peer.PingAsync().WaitAsync(Wait);
        Assert.True(rtt > TimeSpan.Zero);
    }
}
