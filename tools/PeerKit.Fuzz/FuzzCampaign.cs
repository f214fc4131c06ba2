using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PeerKit.Links;
using PeerKit.Links.Noise;
using PeerKit.Links.Tcp;
using PeerKit.Links.Udp;

namespace PeerKit.Fuzz;

/// <summary>What a fuzz run does.</summary>
public sealed record FuzzSettings
{
    /// <summary>Mutated UDP datagrams to send (TCP inputs run beside them, as many as fit in the same time).</summary>
    public long UdpInputs { get; init; } = 1_000_000;

    /// <summary>The seed of the mutations (a run is repeatable up to timing).</summary>
    public int Seed { get; init; } = 13;

    /// <summary>TCP inputs sent at least, even when the UDP inputs are done sooner (each is a connection, slower).</summary>
    public long MinTcpInputs { get; init; } = 200;

    /// <summary>The managed heap may not exceed this during the run.</summary>
    public long MaxHeapBytes { get; init; } = 256L << 20;

    /// <summary>Where progress goes (null: nowhere).</summary>
    public TextWriter? Progress { get; init; }
}

/// <summary>What a fuzz run saw.</summary>
public sealed class FuzzReport
{
    /// <summary>Mutated UDP datagrams sent.</summary>
    public long UdpInputs { get; set; }

    /// <summary>Mutated TCP inputs sent (each on its own connection: a handshake message, or a frame after a real handshake).</summary>
    public long TcpInputs { get; set; }

    /// <summary>All inputs.</summary>
    public long Inputs => UdpInputs + TcpInputs;

    /// <summary>How long the mutations took.</summary>
    public TimeSpan Elapsed { get; set; }

    /// <summary>How each input ended, by counter or reason.</summary>
    public SortedDictionary<string, long> Outcomes { get; } = new(StringComparer.Ordinal);

    /// <summary>The largest managed heap seen (sampled every 50 ms).</summary>
    public long PeakManagedHeap { get; set; }

    /// <summary>The largest working set seen.</summary>
    public long PeakWorkingSet { get; set; }

    /// <summary>Messages the legitimate UDP and TCP peers sent and got, exactly once and in order.</summary>
    public long LegitimateSent { get; set; }

    /// <summary>Messages the legitimate peers received (must equal <see cref="LegitimateSent"/>).</summary>
    public long LegitimateReceived { get; set; }

    /// <summary>What went wrong; empty when the run passed.</summary>
    public List<string> Problems { get; } = [];

    /// <summary>Whether every check held.</summary>
    public bool Passed => Problems.Count == 0;

    /// <summary>Writes the figures.</summary>
    public void Print(TextWriter output)
    {
        double seconds = Math.Max(Elapsed.TotalSeconds, 1e-9);
        output.WriteLine($"inputs: {Inputs:N0} ({UdpInputs:N0} UDP datagrams, {TcpInputs:N0} TCP connections) in {Elapsed.TotalSeconds:F1} s: {Inputs / seconds:N0} inputs/s ({UdpInputs / seconds:N0} UDP/s, {TcpInputs / seconds:N0} TCP/s)");
        output.WriteLine($"peak managed heap {PeakManagedHeap / 1048576.0:F1} MiB, peak working set {PeakWorkingSet / 1048576.0:F1} MiB");
        output.WriteLine($"legitimate messages: {LegitimateSent:N0} sent, {LegitimateReceived:N0} received exactly once in order");
        foreach ((string name, long count) in Outcomes)
        {
            output.WriteLine($"  {name,-44} {count,12:N0}");
        }

        output.WriteLine(Passed ? "PASSED" : "FAILED: " + string.Join("; ", Problems));
    }
}

/// <summary>
/// The mutation fuzzer (issue 13): captures real packets from genuine exchanges (UDP INIT, RESPONSE, FINISH and
/// encrypted data packets through a recording relay; TCP handshake messages and frames from a real session), then
/// sends mutations of them at a live UDP endpoint and TCP listener, each of which also holds an established link
/// carrying numbered reliable messages. It checks that nothing crashes or throws unhandled, that every input ends in
/// a documented rejection (counters, handshake failures, link close reasons), that the established links deliver
/// every message exactly once in order, and that the heap stays bounded.
/// </summary>
public static class FuzzCampaign
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>The documented ways a fuzzed TCP connection ends (docs/security.md, docs/links.md).</summary>
    private static readonly HashSet<HandshakeFailure> s_documentedFailures =
        [HandshakeFailure.InvalidMessage, HandshakeFailure.AuthenticationFailed, HandshakeFailure.UnsupportedProtocol, HandshakeFailure.MessageTooLarge, HandshakeFailure.ConnectionClosed, HandshakeFailure.Timeout];

    private static readonly HashSet<LinkCloseReason> s_documentedCloses =
        [LinkCloseReason.RemoteClosed, LinkCloseReason.NetworkError, LinkCloseReason.ProtocolError, LinkCloseReason.FrameTooLarge, LinkCloseReason.Timeout, LinkCloseReason.Requested];

    /// <summary>Runs the fuzzer and returns what it saw.</summary>
    public static async Task<FuzzReport> RunAsync(FuzzSettings settings)
    {
        var report = new FuzzReport();
        long unhandled = 0;
        UnhandledExceptionEventHandler onUnhandled = (_, _) => Interlocked.Increment(ref unhandled);
        EventHandler<UnobservedTaskExceptionEventArgs> onUnobserved = (_, e) =>
        {
            if (e.Exception.InnerExceptions.Any(x => x.GetType().Namespace?.StartsWith("PeerKit", StringComparison.Ordinal) == true || x is OutOfMemoryException))
            {
                Interlocked.Increment(ref unhandled);
            }
        };
        AppDomain.CurrentDomain.UnhandledException += onUnhandled;
        TaskScheduler.UnobservedTaskException += onUnobserved;
        try
        {
            await RunCoreAsync(settings, report).ConfigureAwait(false);
        }
        finally
        {
            AppDomain.CurrentDomain.UnhandledException -= onUnhandled;
            TaskScheduler.UnobservedTaskException -= onUnobserved;
        }

        if (unhandled > 0)
        {
            report.Problems.Add($"{unhandled} unhandled or unobserved exceptions");
        }

        return report;
    }

    private static async Task RunCoreAsync(FuzzSettings settings, FuzzReport report)
    {
        using NodeKey serverKey = NodeKey.Generate();
        using NodeKey clientKey = NodeKey.Generate();
        using NodeKey attackerKey = NodeKey.Generate();
        using var sampler = new MemorySampler();

        // ---- UDP: a server, a dialer reaching it through a recording relay, one established link.
        await using UdpEndpoint server = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), serverKey);
        await using UdpEndpoint client = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), clientKey);
        using var proxy = new UdpRecordingProxy(server.LocalEndPoint);
        await using UdpLink udpLink = await client.ConnectAsync(proxy.LocalEndPoint, serverKey.Id).WaitAsync(Wait).ConfigureAwait(false);
        await using UdpLink udpAccepted = await server.AcceptAsync().AsTask().WaitAsync(Wait).ConfigureAwait(false);

        // ---- TCP: a listener, one established link, and a recorded session for captures.
        await using TcpLinkListener listener = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0), serverKey);
        var handshakeFailures = new ConcurrentDictionary<string, long>();
        long undocumented = 0;
        listener.HandshakeFailed += (_, e) =>
        {
            string key = e.Exception is HandshakeException h ? "tcp handshake failed: " + h.Failure : "tcp handshake failed: " + e.Exception.GetType().Name;
            handshakeFailures.AddOrUpdate(key, 1, (_, n) => n + 1);
            if (e.Exception is not HandshakeException { } he || !s_documentedFailures.Contains(he.Failure))
            {
                Interlocked.Increment(ref undocumented);
            }
        };
        await using TcpLink tcpLink = await TcpLink.ConnectAsync(listener.LocalEndPoint, clientKey, serverKey.Id).WaitAsync(Wait).ConfigureAwait(false);
        await using TcpLink tcpAccepted = await listener.AcceptAsync().AsTask().WaitAsync(Wait).ConfigureAwait(false);
        TcpCaptures tcpCaptures = await CaptureTcpAsync(listener.LocalEndPoint, attackerKey, serverKey.Id).ConfigureAwait(false);

        // Links the fuzzer's own handshakes open are accepted and watched until they close.
        using var stop = new CancellationTokenSource();
        var closes = new ConcurrentDictionary<string, long>();
        Task acceptLoop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                TcpLink fuzzed;
                try
                {
                    fuzzed = await listener.AcceptAsync(stop.Token).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    return;
                }

                _ = Task.Run(async () =>
                {
                    await using (fuzzed.ConfigureAwait(false))
                    {
                        try
                        {
                            while (true)
                            {
                                using LinkFrame frame = await fuzzed.ReceiveAsync().ConfigureAwait(false);
                                closes.AddOrUpdate("tcp frame delivered", 1, (_, n) => n + 1);
                            }
                        }
                        catch (LinkClosedException)
                        {
                        }

                        LinkCloseReason reason = await fuzzed.Completion.ConfigureAwait(false);
                        closes.AddOrUpdate("tcp link closed: " + reason, 1, (_, n) => n + 1);
                        if (!s_documentedCloses.Contains(reason))
                        {
                            Interlocked.Increment(ref undocumented);
                        }
                    }
                });
            }
        });

        // Some genuine traffic of every shape through the relay, so data packets are captured.
        await udpLink.SendAsync(new byte[] { 1, 2, 3 }).ConfigureAwait(false);
        await udpLink.SendAsync(new byte[5000], Reliability.ReliableOrdered).ConfigureAwait(false);
        await udpLink.SendAsync(new byte[100], Reliability.Unreliable).ConfigureAwait(false);
        await udpAccepted.SendAsync(new byte[700]).ConfigureAwait(false);
        for (int i = 0; i < 3; i++)
        {
            using LinkFrame f = await udpAccepted.ReceiveAsync().AsTask().WaitAsync(Wait).ConfigureAwait(false);
        }

        using (LinkFrame f = await udpLink.ReceiveAsync().AsTask().WaitAsync(Wait).ConfigureAwait(false))
        {
        }

        await Task.Delay(200).ConfigureAwait(false);
        UdpCaptures udpCaptures = CaptureUdp(proxy, attackerKey, serverKey);

        // Legitimate peers: numbered reliable messages over both links for the whole run.
        var legit = new LegitimateTraffic(udpLink, udpAccepted, tcpLink, tcpAccepted);
        legit.Start();

        UdpEndpointStatistics before = server.GetStatistics();
        var watch = Stopwatch.StartNew();
        using var tcpStop = new CancellationTokenSource();
        Task<long> tcpFuzz = Task.Run(() => FuzzTcpAsync(listener.LocalEndPoint, serverKey.Id, attackerKey, tcpCaptures, settings.Seed + 1, settings.MinTcpInputs, tcpStop.Token));
        report.UdpInputs = FuzzUdp(server.LocalEndPoint, udpCaptures, settings, watch);
        tcpStop.Cancel();
        report.TcpInputs = await tcpFuzz.ConfigureAwait(false);
        report.Elapsed = watch.Elapsed;

        // The established links still deliver, exactly once, in order.
        (long sent, long received, string? problem) = await legit.StopAsync().ConfigureAwait(false);
        report.LegitimateSent = sent;
        report.LegitimateReceived = received;
        if (problem is not null)
        {
            report.Problems.Add(problem);
        }

        if (udpAccepted.Completion.IsCompleted || tcpAccepted.Completion.IsCompleted)
        {
            report.Problems.Add("an established link closed during the run");
        }

        // A fresh peer still gets in over both.
        using (NodeKey freshKey = NodeKey.Generate())
        {
            await using UdpEndpoint fresh = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), freshKey);
            try
            {
                await using UdpLink l = await fresh.ConnectAsync(server.LocalEndPoint, serverKey.Id).WaitAsync(Wait).ConfigureAwait(false);
                await using TcpLink t = await TcpLink.ConnectAsync(listener.LocalEndPoint, freshKey, serverKey.Id).WaitAsync(Wait).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                report.Problems.Add($"a fresh peer could not connect after the run: {e.GetType().Name}: {e.Message}");
            }
        }

        await Task.Delay(300).ConfigureAwait(false);
        stop.Cancel();
        UdpEndpointStatistics after = server.GetStatistics();
        Add(report, "udp dropped malformed", after.DroppedMalformed - before.DroppedMalformed);
        Add(report, "udp dropped unknown connection", after.DroppedUnknownConnection - before.DroppedUnknownConnection);
        Add(report, "udp dropped invalid (authentication)", after.DroppedInvalid - before.DroppedInvalid);
        Add(report, "udp dropped replayed", after.DroppedReplayed - before.DroppedReplayed);
        Add(report, "udp handshakes refused", after.HandshakesRefused - before.HandshakesRefused);
        Add(report, "udp handshakes failed", after.HandshakesFailed - before.HandshakesFailed);
        Add(report, "udp cookies sent", after.CookiesSent - before.CookiesSent);
        Add(report, "udp initiations rate-limited", after.InitiationsRateLimited - before.InitiationsRateLimited);
        Add(report, "udp replies suppressed (must be 0)", after.RepliesSuppressed - before.RepliesSuppressed);
        Add(report, "udp responses resent (init repeated)", after.ResponsesResent - before.ResponsesResent);
        Add(report, "udp finishes repeated (ping to the peer)", after.FinishesRepeated - before.FinishesRepeated);
        Add(report, "udp datagrams received", after.DatagramsReceived - before.DatagramsReceived);
        Add(report, "udp peak pending handshakes", after.PeakPendingHandshakes);
        foreach ((string name, long count) in handshakeFailures)
        {
            Add(report, name, count);
        }

        foreach ((string name, long count) in closes)
        {
            Add(report, name, count);
        }

        if (after.RepliesSuppressed != before.RepliesSuppressed)
        {
            report.Problems.Add("a reply larger than its cause was built");
        }

        if (Interlocked.Read(ref undocumented) > 0)
        {
            report.Problems.Add($"{undocumented} undocumented rejections (see the outcomes)");
        }

        report.PeakManagedHeap = sampler.PeakManagedHeap;
        report.PeakWorkingSet = sampler.PeakWorkingSet;
        if (report.PeakManagedHeap > settings.MaxHeapBytes)
        {
            report.Problems.Add($"the managed heap reached {report.PeakManagedHeap / 1048576} MiB (limit {settings.MaxHeapBytes / 1048576} MiB)");
        }

        try
        {
            await acceptLoop.WaitAsync(Wait).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            report.Problems.Add("the accept loop did not stop");
        }
    }

    private static void Add(FuzzReport report, string name, long count) => report.Outcomes[name] = report.Outcomes.GetValueOrDefault(name) + count;

    // ------------------------------------------------------------------ UDP

    private sealed record UdpCaptures(byte[][] Packets, Mutator.LengthField[][] Lengths);

    private static UdpCaptures CaptureUdp(UdpRecordingProxy proxy, NodeKey attackerKey, NodeKey serverKey)
    {
        var packets = new List<byte[]>();
        packets.AddRange(proxy.Captured(UdpWire.TypeInit));
        packets.AddRange(proxy.Captured(UdpWire.TypeResponse));
        packets.AddRange(proxy.Captured(UdpWire.TypeFinish));
        packets.AddRange(proxy.Captured(UdpWire.TypeData));

        // An initiation with a cookie, and a retry, made by the real code.
        var options = new UdpLinkOptions();
        using UdpHandshake init = UdpHandshake.Initiate(attackerKey, options, localCid: 99, now: 0, options.HandshakeTimeout);
        packets.Add(init.Packet.ToArray());
        byte[] retry = new byte[UdpWire.RetrySize];
        retry[0] = UdpWire.TypeRetry;
        BinaryPrimitives.WriteUInt32BigEndian(retry.AsSpan(1), 99);
        RandomFill(retry.AsSpan(5));
        init.EchoCookie(retry);
        packets.Add(init.Packet.ToArray());
        packets.Add(retry);

        Mutator.LengthField[][] lengths = [.. packets.Select(p => p[0] == UdpWire.TypeInit ? new[] { new Mutator.LengthField(7, 1) } : Array.Empty<Mutator.LengthField>())];
        return new UdpCaptures([.. packets], lengths);
    }

    private static void RandomFill(Span<byte> span) => Random.Shared.NextBytes(span);

    private static long FuzzUdp(IPEndPoint target, UdpCaptures captures, FuzzSettings settings, Stopwatch watch)
    {
        var random = new Random(settings.Seed);
        var mutator = new Mutator(random);
        using var attacker = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        attacker.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        attacker.SendBufferSize = 1 << 20;
        byte[] output = new byte[4096];
        byte[] sink = new byte[65536];
        long sent = 0;
        long nextReport = 100_000;
        for (; sent < settings.UdpInputs; sent++)
        {
            int i = random.Next(captures.Packets.Length);
            int length = mutator.Mutate(captures.Packets[i], captures.Packets[random.Next(captures.Packets.Length)], captures.Lengths[i], output);
            try
            {
                attacker.SendTo(output.AsSpan(0, length), SocketFlags.None, target);
            }
            catch (SocketException)
            {
                // A full buffer: the input is still counted as sent; the kernel may drop it, as a network would.
            }

            if ((sent & 255) == 255)
            {
                while (attacker.Available > 0)
                {
                    attacker.Receive(sink); // replies (cookies, responses): read so the socket keeps working
                }

                Thread.Sleep(0);
                if ((sent & 4095) == 4095)
                {
                    Thread.Sleep(1); // let the endpoint's receive loop keep pace on a small machine
                }
            }

            if (sent == nextReport)
            {
                nextReport += 100_000;
                settings.Progress?.WriteLine($"  {sent:N0} UDP inputs, {sent / watch.Elapsed.TotalSeconds:N0}/s");
            }
        }

        return sent;
    }

    // ------------------------------------------------------------------ TCP

    private sealed record TcpCaptures(byte[] First, byte[] Third, byte[][] Frames);

    /// <summary>Records a genuine TCP session's bytes: preamble and message 1, message 3, and encrypted frames.</summary>
    private static async Task<TcpCaptures> CaptureTcpAsync(IPEndPoint target, NodeKey key, NodeId serverId)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(target).ConfigureAwait(false);
        await using var network = new NetworkStream(socket);
        var recording = new RecordingStream(network);
        using HandshakeResult keys = await StreamHandshake.RunAsync(recording, initiator: true, key, serverId, LinkOptions.DefaultMaxFrameSize, NoiseCipherState.Default, CancellationToken.None).ConfigureAwait(false);
        var frames = new List<byte[]>();
        foreach (int size in new[] { 0, 1, 64, 1000, 70_000 })
        {
            frames.Add(Frame(keys.Send, new byte[size]));
        }

        return new TcpCaptures(recording.Writes[0], recording.Writes[1], [.. frames]);
    }

    private static byte[] Frame(NoiseCipherState cipher, ReadOnlySpan<byte> plaintext)
    {
        byte[] wire = new byte[4 + plaintext.Length + NoiseCipherState.TagSize];
        BinaryPrimitives.WriteInt32BigEndian(wire, plaintext.Length + NoiseCipherState.TagSize);
        cipher.Encrypt(ReadOnlySpan<byte>.Empty, plaintext, wire.AsSpan(4));
        return wire;
    }

    /// <summary>
    /// TCP inputs, one per connection, until <paramref name="stopAfterMinimum"/> once <paramref name="minInputs"/> were sent: half are mutated handshake messages (message 1
    /// with its preamble, or a genuine message 1 then a mutated captured message 3), half are mutated frames sent after
    /// a real handshake. The client waits briefly for the listener's verdict, then resets the connection (no TIME_WAIT).
    /// </summary>
    private static async Task<long> FuzzTcpAsync(IPEndPoint target, NodeId serverId, NodeKey key, TcpCaptures captures, int seed, long minInputs, CancellationToken stopAfterMinimum)
    {
        var random = new Random(seed);
        var mutator = new Mutator(random);
        Mutator.LengthField[] firstLengths = [new(3, 1), new(4, 1), new(StreamHandshake.PreambleSize, 2)];
        Mutator.LengthField[] thirdLengths = [new(0, 2)];
        Mutator.LengthField[] frameLengths = [new(0, 4)];
        byte[] output = new byte[80_000];
        byte[] sink = new byte[4096];
        long inputs = 0;
        var limit = Stopwatch.StartNew();
        CancellationToken stop = CancellationToken.None;
        while ((!stopAfterMinimum.IsCancellationRequested || inputs < minInputs) && limit.Elapsed < TimeSpan.FromMinutes(30))
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.LingerState = new LingerOption(true, 0);
            try
            {
                await socket.ConnectAsync(target, stop).ConfigureAwait(false);
                int choice = random.Next(4);
                if (choice == 0)
                {
                    int length = mutator.Mutate(captures.First, captures.Third, firstLengths, output);
                    await socket.SendAsync(output.AsMemory(0, length)).ConfigureAwait(false);
                }
                else if (choice == 1)
                {
                    await socket.SendAsync(captures.First).ConfigureAwait(false);
                    int length = mutator.Mutate(captures.Third, captures.First, thirdLengths, output);
                    await socket.SendAsync(output.AsMemory(0, length)).ConfigureAwait(false);
                }
                else
                {
                    await using var stream = new NetworkStream(socket, ownsSocket: false);
                    using HandshakeResult keys = await StreamHandshake.RunAsync(stream, initiator: true, key, serverId, LinkOptions.DefaultMaxFrameSize, NoiseCipherState.Default, stop).ConfigureAwait(false);
                    byte[] genuine = Frame(keys.Send, new byte[random.Next(3) switch { 0 => 0, 1 => random.Next(1, 200), _ => random.Next(200, 70_000) }]);
                    int length = mutator.Mutate(genuine, captures.Frames[random.Next(captures.Frames.Length)], frameLengths, output);
                    await stream.WriteAsync(output.AsMemory(0, length)).ConfigureAwait(false);
                }

                inputs++;
                socket.Shutdown(SocketShutdown.Send);
                using var verdict = CancellationTokenSource.CreateLinkedTokenSource(stop);
                verdict.CancelAfter(30);
                while (await socket.ReceiveAsync(sink, SocketFlags.None, verdict.Token).ConfigureAwait(false) > 0)
                {
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or IOException or HandshakeException)
            {
                // The listener closed, reset or did not answer in time: its verdict is in its counters.
            }
        }

        return inputs;
    }

    /// <summary>A stream that keeps a copy of every write (a handshake's messages).</summary>
    private sealed class RecordingStream(Stream inner) : Stream
    {
        public List<byte[]> Writes { get; } = [];

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            Writes.Add(buffer.AsSpan(offset, count).ToArray());
            inner.Write(buffer, offset, count);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes.Add(buffer.ToArray());
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    }
}
