using System.Net;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using PeerKit.Links;
using PeerKit.Links.Tcp;

namespace PeerKit.Benchmarks;

/// <summary>
/// The link alone, without sessions: frames per second from one <see cref="TcpLink"/> to another on loopback,
/// against the same <see cref="SslStream"/> baseline as <see cref="SessionThroughputBenchmarks"/>. Separates the
/// cost of the TCP link (framing, encryption, socket calls) from the cost of the session above it.
/// </summary>
/// <remarks>One operation sends <see cref="BatchSize"/> frames, one awaited <see cref="TcpLink.SendAsync"/> after
/// another, and waits until a receiver task has taken them all with <see cref="TcpLink.ReceiveAsync"/>.</remarks>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class TcpLinkThroughputBenchmarks
{
    /// <summary>Frames per operation.</summary>
    public const int BatchSize = 10_000;

    private const string Small = "64B";
    private const string Large = "1KiB";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly byte[] _small = Frame(SessionThroughputBenchmarks.SmallSize, 1);
    private readonly byte[] _large = Frame(SessionThroughputBenchmarks.LargeSize, 2);
    private readonly byte[] _smallPrefixed = SslPipe.LengthPrefixed(Frame(SessionThroughputBenchmarks.SmallSize, 1));
    private readonly byte[] _largePrefixed = SslPipe.LengthPrefixed(Frame(SessionThroughputBenchmarks.LargeSize, 2));

    private NodeKey? _dialerKey;
    private NodeKey? _listenerKey;
    private TcpLink? _sender;
    private TcpLink? _receiver;
    private Task? _reader;
    private Batch? _batch;
    private SslPipe? _ssl;

    /// <summary>A TcpLink pair on loopback with a receiver task; checks that frames arrive intact.</summary>
    [GlobalSetup(Targets = new[] { nameof(TcpLink_64B), nameof(TcpLink_1KiB) })]
    public void SetupLink() => SetupLinkAsync().GetAwaiter().GetResult();

    /// <summary>An SslStream pair over TCP loopback with a reader task; checks that frames arrive intact.</summary>
    [GlobalSetup(Targets = new[] { nameof(SslStream_64B), nameof(SslStream_1KiB) })]
    public void SetupSsl() => SetupSslAsync().GetAwaiter().GetResult();

    /// <summary>Closes whatever the setup opened.</summary>
    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    /// <summary>SslStream, 4-byte length + 64 bytes per write (baseline).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = BatchSize), BenchmarkCategory(Small)]
    public Task SslStream_64B() => _ssl!.SendBatchAsync(_smallPrefixed, BatchSize);

    /// <summary>TcpLink, 64-byte frames.</summary>
    [Benchmark(OperationsPerInvoke = BatchSize), BenchmarkCategory(Small)]
    public Task TcpLink_64B() => SendBatchAsync(_small, BatchSize, verify: false);

    /// <summary>SslStream, 4-byte length + 1 KiB per write (baseline).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = BatchSize), BenchmarkCategory(Large)]
    public Task SslStream_1KiB() => _ssl!.SendBatchAsync(_largePrefixed, BatchSize);

    /// <summary>TcpLink, 1 KiB frames.</summary>
    [Benchmark(OperationsPerInvoke = BatchSize), BenchmarkCategory(Large)]
    public Task TcpLink_1KiB() => SendBatchAsync(_large, BatchSize, verify: false);

    private async Task SendBatchAsync(byte[] frame, int count, bool verify)
    {
        var batch = new Batch(count, verify ? frame : null);
        Volatile.Write(ref _batch, batch);
        TcpLink link = _sender!;
        for (int i = 0; i < count; i++)
        {
            await link.SendAsync(frame).ConfigureAwait(false);
        }

        await batch.Completion.WaitAsync(Timeout).ConfigureAwait(false);
    }

    private async Task SetupLinkAsync()
    {
        _dialerKey = NodeKey.Generate();
        _listenerKey = NodeKey.Generate();
        await using TcpLinkListener listener = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0), _listenerKey);
        ValueTask<TcpLink> accepted = listener.AcceptAsync();
        _sender = await TcpLink.ConnectAsync(listener.LocalEndPoint, _dialerKey, _listenerKey.Id).WaitAsync(Timeout).ConfigureAwait(false);
        _receiver = await accepted.AsTask().WaitAsync(Timeout).ConfigureAwait(false);
        _reader = Task.Run(ReadLoopAsync);
        await SendBatchAsync(_small, 1, verify: true).ConfigureAwait(false);
        await SendBatchAsync(_large, 1, verify: true).ConfigureAwait(false);
        await SendBatchAsync(_small, BatchSize, verify: false).ConfigureAwait(false);
    }

    private async Task SetupSslAsync()
    {
        _ssl = await SslPipe.CreateAsync().ConfigureAwait(false);
        Console.WriteLine($"// SslStream baseline: {_ssl.Description}");
        await _ssl.SendBatchAsync(_smallPrefixed, 1, verify: true).ConfigureAwait(false);
        await _ssl.SendBatchAsync(_largePrefixed, 1, verify: true).ConfigureAwait(false);
    }

    private async Task ReadLoopAsync()
    {
        TcpLink link = _receiver!;
        try
        {
            while (true)
            {
                using LinkFrame frame = await link.ReceiveAsync().ConfigureAwait(false);
                Volatile.Read(ref _batch)?.OnMessage(frame.Span);
            }
        }
        catch (LinkClosedException)
        {
        }
    }

    private async Task CleanupAsync()
    {
        if (_sender is not null)
        {
            await _sender.DisposeAsync().ConfigureAwait(false);
        }

        if (_receiver is not null)
        {
            await _receiver.DisposeAsync().ConfigureAwait(false);
        }

        if (_reader is not null)
        {
            await _reader.ConfigureAwait(false);
        }

        if (_ssl is not null)
        {
            await _ssl.DisposeAsync().ConfigureAwait(false);
        }

        _dialerKey?.Dispose();
        _listenerKey?.Dispose();
        (_sender, _receiver, _reader, _ssl, _dialerKey, _listenerKey) = (null, null, null, null, null, null);
    }

    private static byte[] Frame(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
