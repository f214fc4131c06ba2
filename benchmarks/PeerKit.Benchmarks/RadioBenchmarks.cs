using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace PeerKit.Benchmarks;

/// <summary>
/// The radio (issue 16). Medium: one 62-byte P2P frame from one radio to another through the simulated medium, in
/// process with the manual clock (the baseline) and through the Unix datagram sockets a medium shared by processes
/// uses (its real clock paces frames as the air would: 285 µs each at 2 Mbit/s, about 3,500 frames/s). Send: the
/// managed <see cref="RadioNode.SendBroadcast"/> against the bare <see cref="Radio.Send"/> of the same frame (the
/// baseline). Receive: what the receive thread does per packet (<see cref="RadioNode.Process"/>: acceptance rule,
/// packet, callback, queue, then a reader's TryRead) against the bounded channel's write and read alone (the baseline).
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class RadioBenchmarks
{
    private const string Medium = "Medium: frame through";
    private const string Send = "Send: one P2P packet";
    private const string Receive = "Receive: one P2P packet";
    private const int Frames = 256;

    private static readonly byte[] Frame = CreateFrame();
    private SimulatedMedium _manual = null!;
    private Radio _from = null!;
    private Radio _to = null!;
    private SimulatedMedium _shared = null!;
    private Radio _sharedFrom = null!;
    private RadioNode _sharedTo = null!;
    private string _directory = null!;
    private SimulatedMedium _sendMedium = null!;
    private Radio _sendRadio = null!;
    private RadioNode _sendNode = null!;
    private RadioNode _receiveNode = null!;
    private NativeRadioFrame _received;
    private Channel<P2PPacket> _channel = null!;
    private ulong _now;
    private long _seen;

    /// <summary>Opens the media and radios, and checks that each path moves a frame before anything is measured.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _manual = new SimulatedMedium(new SimulatedMediumOptions { ManualClock = true, QueueFrames = 4096 });
        _from = _manual.OpenRadio(1);
        _to = _manual.OpenRadio(2, 1);

        _directory = Path.Combine(Path.GetTempPath(), "pkbench-" + Environment.ProcessId);
        Directory.CreateDirectory(_directory);
        _shared = new SimulatedMedium(new SimulatedMediumOptions { Path = _directory, QueueFrames = 4096 });
        _sharedFrom = _shared.OpenRadio(1);
        _sharedTo = RadioNode.Open(_shared.OpenRadio(2, 1), new RadioNodeOptions { QueueBytes = 0 });
        _sharedTo.RegisterCallback((in P2PPacket p) => Interlocked.Increment(ref _seen));

        _sendMedium = new SimulatedMedium(new SimulatedMediumOptions { ManualClock = true });
        _sendRadio = _sendMedium.OpenRadio(1);
        _sendNode = RadioNode.OpenWithoutReceiveLoop(_sendMedium.OpenRadio(2, 500)); // alone: nobody in range

        _receiveNode = RadioNode.OpenWithoutReceiveLoop(_sendMedium.OpenRadio(3, 1000));
        _receiveNode.RegisterCallback((in P2PPacket p) => _seen += p.Size);
        _received = NativeRadioFrame.Create(Frame, -55, 1);
        _channel = Channel.CreateBounded<P2PPacket>(new BoundedChannelOptions(800) { FullMode = BoundedChannelFullMode.Wait, SingleWriter = true });

        if (InProcess() != Frames || Shared() != Frames)
        {
            throw new InvalidOperationException("A frame did not make it through the medium.");
        }
    }

    /// <summary>Baseline: the in-process medium with the manual clock, per frame.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Frames)]
    [BenchmarkCategory(Medium)]
    public int InProcess()
    {
        int received = 0;
        for (int i = 0; i < Frames; i++)
        {
            _from.Send(Frame);
            _now += 300;
            _manual.Time = _now;
            if (_to.TryReceive(out _, 0))
            {
                received++;
            }
        }

        return received;
    }

    /// <summary>The medium shared by processes (Unix datagram sockets, real clock), per frame: paced by the air.</summary>
    [Benchmark(OperationsPerInvoke = Frames)]
    [BenchmarkCategory(Medium)]
    public int Shared()
    {
        long before = Interlocked.Read(ref _seen);
        for (int i = 0; i < Frames; i++)
        {
            _sharedFrom.Send(Frame);
        }

        SpinWait spin = default;
        var deadline = Environment.TickCount64 + 5000;
        while (Interlocked.Read(ref _seen) - before < Frames && Environment.TickCount64 < deadline)
        {
            spin.SpinOnce();
        }

        return (int)(Interlocked.Read(ref _seen) - before);
    }

    /// <summary>Baseline: the native send of a prebuilt 62-byte frame.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory(Send)]
    public void Radio_Send() => _sendRadio.Send(Frame);

    /// <summary>RadioNode.SendBroadcast: port and size checks, framing on the stack, the native send.</summary>
    [Benchmark]
    [BenchmarkCategory(Send)]
    public void RadioNode_SendBroadcast() => _sendNode.SendBroadcast(0, Frame.AsSpan(2));

    /// <summary>Baseline: a bounded channel's TryWrite and TryRead of a packet.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory(Receive)]
    public bool Channel_write_read()
    {
        _channel.Writer.TryWrite(default);
        return _channel.Reader.TryRead(out _);
    }

    /// <summary>The receive thread's work per packet, then the reader's TryRead.</summary>
    [Benchmark]
    [BenchmarkCategory(Receive)]
    public bool RadioNode_receive()
    {
        _receiveNode.Process(in _received);
        return _receiveNode.Packets.TryRead(out _);
    }

    /// <summary>Closes everything and removes the shared medium's directory.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _from.Dispose();
        _to.Dispose();
        _manual.Dispose();
        _sharedFrom.Dispose();
        _sharedTo.Dispose();
        _shared.Dispose();
        _sendRadio.Dispose();
        _sendNode.Dispose();
        _receiveNode.Dispose();
        _sendMedium.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static byte[] CreateFrame()
    {
        byte[] frame = new byte[62];
        frame[0] = 0xFF;
        frame[1] = 0x80;
        for (int i = 2; i < frame.Length; i++)
        {
            frame[i] = (byte)i;
        }

        return frame;
    }
}
