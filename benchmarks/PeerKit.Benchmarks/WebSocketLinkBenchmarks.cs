using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using PeerKit.Links;
using PeerKit.Links.Tcp;
using PeerKit.Links.WebSockets;

namespace PeerKit.Benchmarks;

/// <summary>
/// The WebSocket link against the TCP link (baseline) on loopback: the same framing and Noise session, once over a
/// socket and once inside binary WebSocket messages (<see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/>
/// on a TCP pair, served through a <see cref="WebSocketLinkAcceptor"/>: the managed WebSocket Kestrel also uses, without
/// the HTTP upgrade). Throughput: <see cref="BatchSize"/> frames sent one after another, until a receiver task took
/// them all. Round trip: one 64-byte frame there and back.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class WebSocketLinkBenchmarks
{
    /// <summary>Frames per throughput operation.</summary>
    public const int BatchSize = 10_000;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly byte[] _small = new byte[64];
    private readonly byte[] _large = new byte[1024];
    private NodeKey? _clientKey;
    private NodeKey? _serverKey;
    private WebSocketLinkAcceptor? _acceptor;
    private (IMessageLink Sender, IMessageLink Receiver) _tcp;
    private (IMessageLink Sender, IMessageLink Receiver) _ws;
    private readonly List<Task> _tasks = [];

    /// <summary>A TCP link pair and a WebSocket link pair on loopback; the receivers echo round-trip frames.</summary>
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    /// <summary>Closes both pairs.</summary>
    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    /// <summary>TcpLink, 64-byte frames (baseline).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = BatchSize), BenchmarkCategory("Throughput64B")]
    public Task Tcp_64B() => SendBatchAsync(_tcp, _small);

    /// <summary>WebSocketLink, 64-byte frames.</summary>
    [Benchmark(OperationsPerInvoke = BatchSize), BenchmarkCategory("Throughput64B")]
    public Task WebSocket_64B() => SendBatchAsync(_ws, _small);

    /// <summary>TcpLink, 1 KiB frames (baseline).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = BatchSize), BenchmarkCategory("Throughput1KiB")]
    public Task Tcp_1KiB() => SendBatchAsync(_tcp, _large);

    /// <summary>WebSocketLink, 1 KiB frames.</summary>
    [Benchmark(OperationsPerInvoke = BatchSize), BenchmarkCategory("Throughput1KiB")]
    public Task WebSocket_1KiB() => SendBatchAsync(_ws, _large);

    /// <summary>TcpLink, one 64-byte frame there and back (baseline).</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("RoundTrip")]
    public Task Tcp_RoundTrip() => RoundTripAsync(_tcp);

    /// <summary>WebSocketLink, one 64-byte frame there and back.</summary>
    [Benchmark, BenchmarkCategory("RoundTrip")]
    public Task WebSocket_RoundTrip() => RoundTripAsync(_ws);

    private static async Task SendBatchAsync((IMessageLink Sender, IMessageLink Receiver) pair, byte[] frame)
    {
        // The first byte says "count, do not echo"; the receiver answers once with the last frame.
        frame[0] = 1;
        for (int i = 0; i < BatchSize - 1; i++)
        {
            await pair.Sender.SendAsync(frame).ConfigureAwait(false);
        }

        frame[0] = 2;
        await pair.Sender.SendAsync(frame).ConfigureAwait(false);
        using LinkFrame done = await pair.Sender.ReceiveAsync().AsTask().WaitAsync(Timeout).ConfigureAwait(false);
    }

    private async Task RoundTripAsync((IMessageLink Sender, IMessageLink Receiver) pair)
    {
        _small[0] = 2;
        await pair.Sender.SendAsync(_small).ConfigureAwait(false);
        using LinkFrame echo = await pair.Sender.ReceiveAsync().ConfigureAwait(false);
    }

    private static async Task EchoAsync(IMessageLink link)
    {
        byte[] ack = new byte[1];
        try
        {
            while (true)
            {
                using LinkFrame frame = await link.ReceiveAsync().ConfigureAwait(false);
                if (frame.Length > 0 && frame.Span[0] == 2)
                {
                    await link.SendAsync(ack).ConfigureAwait(false);
                }
            }
        }
        catch (LinkClosedException)
        {
        }
    }

    private async Task SetupAsync()
    {
        _clientKey = NodeKey.Generate();
        _serverKey = NodeKey.Generate();
        await using (TcpLinkListener listener = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0), _serverKey))
        {
            ValueTask<TcpLink> accepted = listener.AcceptAsync();
            TcpLink sender = await TcpLink.ConnectAsync(listener.LocalEndPoint, _clientKey, _serverKey.Id).WaitAsync(Timeout).ConfigureAwait(false);
            _tcp = (sender, await accepted.AsTask().WaitAsync(Timeout).ConfigureAwait(false));
        }

        _acceptor = new WebSocketLinkAcceptor(_serverKey);
        using var tcpListener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        tcpListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        tcpListener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Task connecting = client.ConnectAsync(tcpListener.LocalEndPoint!);
        Socket server = await tcpListener.AcceptAsync().ConfigureAwait(false);
        server.NoDelay = true;
        await connecting.ConfigureAwait(false);
        var clientSocket = WebSocket.CreateFromStream(new NetworkStream(client, ownsSocket: true), new WebSocketCreationOptions { IsServer = false });
        var serverSocket = WebSocket.CreateFromStream(new NetworkStream(server, ownsSocket: true), new WebSocketCreationOptions { IsServer = true });
        _tasks.Add(_acceptor.ServeAsync((IPEndPoint)client.LocalEndPoint!, () => Task.FromResult(serverSocket)));
        WebSocketLink wsSender = await WebSocketLink.AuthenticateAsync(clientSocket, _clientKey, isInitiator: true, _serverKey.Id).WaitAsync(Timeout).ConfigureAwait(false);
        _ws = (wsSender, await _acceptor.AcceptAsync().AsTask().WaitAsync(Timeout).ConfigureAwait(false));

        _tasks.Add(Task.Run(() => EchoAsync(_tcp.Receiver)));
        _tasks.Add(Task.Run(() => EchoAsync(_ws.Receiver)));
        await SendBatchAsync(_tcp, _large).ConfigureAwait(false);
        await SendBatchAsync(_ws, _large).ConfigureAwait(false);
    }

    private async Task CleanupAsync()
    {
        foreach (IMessageLink link in new[] { _tcp.Sender, _tcp.Receiver, _ws.Sender, _ws.Receiver })
        {
            if (link is not null)
            {
                await link.DisposeAsync().ConfigureAwait(false);
            }
        }

        if (_acceptor is not null)
        {
            await _acceptor.DisposeAsync().ConfigureAwait(false);
        }

        await Task.WhenAll(_tasks).WaitAsync(Timeout).ConfigureAwait(false);
        _clientKey?.Dispose();
        _serverKey?.Dispose();
    }
}
