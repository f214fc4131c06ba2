using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using PeerKit.Benchmarks.Messages;

namespace PeerKit.Benchmarks;

/// <summary>
/// Messages per second from one <see cref="PeerNode"/> to another: over the in-process memory link, over PeerKit's
/// encrypted TCP link (Noise XX, ChaCha20-Poly1305) on loopback, and, as the baseline of each payload size, over an
/// <see cref="SslStream"/> (TLS 1.3, ChaCha20-Poly1305 where the platform lets us choose) on loopback with a
/// 4-byte length prefix per message.
/// </summary>
/// <remarks>
/// <para>One operation sends <see cref="BatchSize"/> messages from A to B, one awaited send after another, and
/// waits until B's receiver has counted them all. <c>OperationsPerInvoke</c> is the batch size, so the reported
/// time (and allocation) is per message. The receiver is a hand-written <see cref="IProtocol"/> whose read loop
/// takes every message from <see cref="MessageReadWriter.ReadAsync"/>, counts it and disposes it; the SslStream
/// baseline has one reader task that reads the length prefix and the payload, and counts.</para>
/// <para>Before anything is measured, each setup sends a message of each size and checks that the receiver
/// decodes the same bytes, then sends a batch and checks the count.</para>
/// </remarks>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class SessionThroughputBenchmarks
{
    /// <summary>Messages per operation.</summary>
    public const int BatchSize = 10_000;

    /// <summary>The small payload's size.</summary>
    public const int SmallSize = 64;

    /// <summary>The large payload's size.</summary>
    public const int LargeSize = 1024;

    private const string Small = "64B";
    private const string Large = "1KiB";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly Blob _small = new(Pattern(SmallSize, 1));
    private readonly Blob _large = new(Pattern(LargeSize, 2));
    private readonly byte[] _smallFrame = SslPipe.LengthPrefixed(Pattern(SmallSize, 1));
    private readonly byte[] _largeFrame = SslPipe.LengthPrefixed(Pattern(LargeSize, 2));

    private PeerNode? _sender;
    private PeerNode? _receiver;
    private Peer? _peer;
    private CountingProtocol? _counter;

    private SslPipe? _ssl;

    // ---- setup ----

    /// <summary>Two nodes connected over a <see cref="Links.MemoryLink"/> pair; checks a round trip.</summary>
    [GlobalSetup(Targets = new[] { nameof(Memory_64B), nameof(Memory_1KiB) })]
    public void SetupMemory() => SetupNodesAsync(tcp: false).GetAwaiter().GetResult();

    /// <summary>Two nodes connected over PeerKit's TCP link on loopback; checks a round trip.</summary>
    [GlobalSetup(Targets = new[] { nameof(PeerKitTcp_64B), nameof(PeerKitTcp_1KiB) })]
    public void SetupTcp() => SetupNodesAsync(tcp: true).GetAwaiter().GetResult();

    /// <summary>An SslStream pair over TCP loopback with a reader task; checks a round trip.</summary>
    [GlobalSetup(Targets = new[] { nameof(SslStream_64B), nameof(SslStream_1KiB) })]
    public void SetupSsl() => SetupSslAsync().GetAwaiter().GetResult();

    /// <summary>Disconnects and disposes whatever the setup made.</summary>
    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    // ---- 64 B ----

    /// <summary>SslStream over TCP loopback, 64-byte payloads (baseline).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = BatchSize), BenchmarkCategory(Small)]
    public Task SslStream_64B() => _ssl!.SendBatchAsync(_smallFrame, BatchSize);

    /// <summary>PeerKit over TCP loopback (Noise XX), 64-byte payloads.</summary>
    [Benchmark(OperationsPerInvoke = BatchSize), BenchmarkCategory(Small)]
    public Task PeerKitTcp_64B() => SendBatchAsync(_small);

    /// <summary>PeerKit over the in-process memory link, 64-byte payloads.</summary>
    [Benchmark(OperationsPerInvoke = BatchSize), BenchmarkCategory(Small)]
    public Task Memory_64B() => SendBatchAsync(_small);

    // ---- 1 KiB ----

    /// <summary>SslStream over TCP loopback, 1 KiB payloads (baseline).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = BatchSize), BenchmarkCategory(Large)]
    public Task SslStream_1KiB() => _ssl!.SendBatchAsync(_largeFrame, BatchSize);

    /// <summary>PeerKit over TCP loopback (Noise XX), 1 KiB payloads.</summary>
    [Benchmark(OperationsPerInvoke = BatchSize), BenchmarkCategory(Large)]
    public Task PeerKitTcp_1KiB() => SendBatchAsync(_large);

    /// <summary>PeerKit over the in-process memory link, 1 KiB payloads.</summary>
    [Benchmark(OperationsPerInvoke = BatchSize), BenchmarkCategory(Large)]
    public Task Memory_1KiB() => SendBatchAsync(_large);

    // ---- PeerKit ----

    private async Task SendBatchAsync(Blob message)
    {
        Batch batch = _counter!.Expect(BatchSize, expected: null);
        Peer peer = _peer!;
        for (int i = 0; i < BatchSize; i++)
        {
            await peer.SendAsync(message).ConfigureAwait(false);
        }

        await batch.Completion.WaitAsync(Timeout).ConfigureAwait(false);
    }

    private async Task SetupNodesAsync(bool tcp)
    {
        _counter = new CountingProtocol();
        var senderOptions = new PeerNodeOptions { Name = "bench-sender" };
        senderOptions.Protocols.Add(new CountingProtocol());
        var receiverOptions = new PeerNodeOptions { Name = "bench-receiver" };
        receiverOptions.Protocols.Add(_counter);
        if (tcp)
        {
            receiverOptions.ListenAddresses.Add(NodeAddress.Parse("tcp://127.0.0.1:0"));
        }

        _sender = new PeerNode(senderOptions);
        _receiver = new PeerNode(receiverOptions);
        await _sender.StartAsync().ConfigureAwait(false);
        await _receiver.StartAsync().ConfigureAwait(false);
        _peer = tcp
            ? await _sender.ConnectAsync(_receiver.ListenAddresses[0]).WaitAsync(Timeout).ConfigureAwait(false)
            : await _sender.ConnectInProcessAsync(_receiver).WaitAsync(Timeout).ConfigureAwait(false);
        Check(tcp ? _peer.Link is Links.Tcp.TcpLink : _peer.Link is Links.MemoryLink, $"unexpected link {_peer.Link}");

        // One message of each size arrives with its bytes intact, then a whole batch is counted.
        foreach (Blob blob in new[] { _small, _large })
        {
            Batch one = _counter.Expect(1, blob.Data.ToArray());
            await _peer.SendAsync(blob).ConfigureAwait(false);
            await one.Completion.WaitAsync(Timeout).ConfigureAwait(false);
        }

        await SendBatchAsync(_small).ConfigureAwait(false);
        Check(_counter.Current!.Received == BatchSize, "the receiver did not count the batch");
    }

    // ---- SslStream baseline ----

    private async Task SetupSslAsync()
    {
        _ssl = await SslPipe.CreateAsync().ConfigureAwait(false);
        Console.WriteLine($"// SslStream baseline: {_ssl.Description}");
        foreach (byte[] frame in new[] { _smallFrame, _largeFrame })
        {
            await _ssl.SendBatchAsync(frame, 1, verify: true).ConfigureAwait(false);
        }

        await _ssl.SendBatchAsync(_smallFrame, BatchSize).ConfigureAwait(false);
    }

    private async Task CleanupAsync()
    {
        if (_peer is not null)
        {
            await _peer.DisconnectAsync().ConfigureAwait(false);
        }

        if (_sender is not null)
        {
            await _sender.DisposeAsync().ConfigureAwait(false);
        }

        if (_receiver is not null)
        {
            await _receiver.DisposeAsync().ConfigureAwait(false);
        }

        if (_ssl is not null)
        {
            await _ssl.DisposeAsync().ConfigureAwait(false);
        }

        (_peer, _sender, _receiver, _ssl) = (null, null, null, null);
    }

    private static byte[] Pattern(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static void Check(bool condition, string failure)
    {
        if (!condition)
        {
            throw new InvalidOperationException("Session throughput check failed: " + failure);
        }
    }

    /// <summary>The receiving protocol: a go-ethereum-style read loop that counts <see cref="Blob"/> messages.</summary>
    private sealed class CountingProtocol : IProtocol
    {
        private Batch? _batch;

        public ProtocolDescriptor Descriptor { get; } = new("throughput", 1, 0, -1, [ProtocolMessageInfo.Create<Blob>()]);

        public Batch? Current => Volatile.Read(ref _batch);

        /// <summary>Starts a new batch; call before sending its first message.</summary>
        public Batch Expect(int count, byte[]? expected)
        {
            var batch = new Batch(count, expected);
            Volatile.Write(ref _batch, batch);
            return batch;
        }

        public async ValueTask RunAsync(Peer peer, MessageReadWriter readWriter, CancellationToken cancellationToken)
        {
            while (true)
            {
                using ProtocolMessage message = await readWriter.ReadAsync(cancellationToken).ConfigureAwait(false);
                Batch? batch = Volatile.Read(ref _batch);
                if (batch is null)
                {
                    continue;
                }

                if (batch.Expects)
                {
                    // Verification messages are decoded like an application would.
                    batch.OnMessage(message.Decode<Blob>().Data.Span);
                }
                else
                {
                    batch.OnMessage(default);
                }
            }
        }
    }
}
