using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PeerKit.Links;
using PeerKit.Links.Noise;
using PeerKit.Links.Tcp;
using PeerKit.Links.Udp;
using PeerKit.Serialization;

namespace PeerKit.Fuzz;

/// <summary>One flood's figures.</summary>
public sealed record AttackFigures(string Name, long Inputs, long PeakManagedHeap, long PeakWorkingSet, TimeSpan UdpAdmission, TimeSpan TcpAdmission, string? Problem);

/// <summary>What the floods did.</summary>
public sealed class AttackReport
{
    /// <summary>Each flood, in order.</summary>
    public List<AttackFigures> Attacks { get; } = [];

    /// <summary>Legitimate messages sent and received exactly once in order across all floods.</summary>
    public long LegitimateSent { get; set; }

    /// <summary>Legitimate messages received.</summary>
    public long LegitimateReceived { get; set; }

    /// <summary>What went wrong; empty when every check held.</summary>
    public List<string> Problems { get; } = [];

    /// <summary>Whether every check held.</summary>
    public bool Passed => Problems.Count == 0;

    /// <summary>Writes a table of the figures.</summary>
    public void Print(TextWriter output)
    {
        output.WriteLine($"{"attack",-28} {"inputs",12} {"peak heap MiB",14} {"peak WS MiB",12} {"fresh UDP ms",13} {"fresh TCP ms",13}");
        foreach (AttackFigures a in Attacks)
        {
            output.WriteLine($"{a.Name,-28} {a.Inputs,12:N0} {a.PeakManagedHeap / 1048576.0,14:F1} {a.PeakWorkingSet / 1048576.0,12:F1} {a.UdpAdmission.TotalMilliseconds,13:F0} {a.TcpAdmission.TotalMilliseconds,13:F0}{(a.UdpAdmission > TimeSpan.FromSeconds(2) || a.TcpAdmission > TimeSpan.FromSeconds(2) ? "  (over 2 s)" : "")}");
        }

        output.WriteLine($"legitimate messages: {LegitimateSent:N0} sent, {LegitimateReceived:N0} received exactly once in order ({LegitimateSent - LegitimateReceived} lost)");
        output.WriteLine(Passed ? "PASSED" : "FAILED: " + string.Join("; ", Problems));
    }
}

/// <summary>
/// The floods of issue 13, one after another, against a UDP endpoint and a TCP listener with default options that
/// also hold established links carrying numbered reliable messages: UDP reassembly (authenticated peers sending
/// fragments that claim 16 MiB frames), TCP 16 MiB length prefixes, TCP peers whose frames are never read (a slow
/// reader), and handshake floods over UDP and TCP. For each it measures the inputs, the peak managed heap and working
/// set, and how long a fresh peer needs to get in halfway through. Run under <c>DOTNET_GCHeapHardLimit</c> it shows
/// that no input leads to an OutOfMemoryException.
/// </summary>
public static class AttackCampaign
{
    private const int Claimed = 16 * 1024 * 1024;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>The attackers' address: another loopback address than the legitimate peers' (127.0.0.1), as on a network.</summary>
    private static readonly IPAddress Attacker = IPAddress.Parse("127.0.0.3");

    /// <summary>Runs every flood for <paramref name="duration"/>.</summary>
    public static async Task<AttackReport> RunAsync(TimeSpan duration, TextWriter? progress = null)
    {
        var report = new AttackReport();
        using NodeKey serverKey = NodeKey.Generate();
        using NodeKey clientKey = NodeKey.Generate();
        await using UdpEndpoint server = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), serverKey);
        await using UdpEndpoint client = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), clientKey);
        await using UdpLink udpLink = await client.ConnectAsync(server.LocalEndPoint, serverKey.Id).WaitAsync(Wait).ConfigureAwait(false);
        await using UdpLink udpAccepted = await server.AcceptAsync().AsTask().WaitAsync(Wait).ConfigureAwait(false);
        await using TcpLinkListener listener = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0), serverKey);
        await using TcpLink tcpLink = await TcpLink.ConnectAsync(listener.LocalEndPoint, clientKey, serverKey.Id).WaitAsync(Wait).ConfigureAwait(false);
        await using TcpLink tcpAccepted = await listener.AcceptAsync().AsTask().WaitAsync(Wait).ConfigureAwait(false);

        // Attackers' links are accepted and held, never read (what a busy application would do).
        using var stopAccepting = new CancellationTokenSource();
        var held = new List<IAsyncDisposable>();
        Task udpAccept = HoldAcceptedAsync(ct => server.AcceptAsync(ct), held, stopAccepting.Token);
        Task tcpAccept = HoldAcceptedAsync(ct => listener.AcceptAsync(ct), held, stopAccepting.Token);

        var legit = new LegitimateTraffic(udpLink, udpAccepted, tcpLink, tcpAccepted);
        legit.Start();
        using var sampler = new MemorySampler();
        (string Name, Func<IPEndPoint, IPEndPoint, NodeId, CancellationToken, Task<long>> Run)[] floods =
        [
            ("udp reassembly", (udp, _, id, stop) => UdpReassemblyFloodAsync(udp, id, stop)),
            ("tcp 16 MiB length prefixes", (_, tcp, _, stop) => TcpLengthPrefixFloodAsync(tcp, stop)),
            ("tcp slow reader", (_, tcp, _, stop) => TcpUnreadFramesFloodAsync(tcp, stop)),
            ("udp handshake flood", (udp, _, _, stop) => UdpHandshakeFloodAsync(udp, stop)),
            ("tcp handshake flood", (_, tcp, _, stop) => TcpHandshakeFloodAsync(tcp, stop)),
        ];
        foreach ((string name, Func<IPEndPoint, IPEndPoint, NodeId, CancellationToken, Task<long>> run) in floods)
        {
            GC.Collect();
            sampler.Reset();
            using var stop = new CancellationTokenSource(duration);
            Task<long> flood = Task.Run(() => run(server.LocalEndPoint, listener.LocalEndPoint, serverKey.Id, stop.Token));
            await Task.Delay(duration / 2).ConfigureAwait(false);
            (TimeSpan udpIn, TimeSpan tcpIn, string? problem) = await AdmitFreshPeerAsync(server.LocalEndPoint, listener.LocalEndPoint, serverKey.Id).ConfigureAwait(false);
            long inputs;
            try
            {
                inputs = await flood.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                inputs = 0;
                problem ??= $"the flood itself failed: {e.GetType().Name}: {e.Message}";
            }

            var figures = new AttackFigures(name, inputs, sampler.PeakManagedHeap, sampler.PeakWorkingSet, udpIn, tcpIn, problem);
            report.Attacks.Add(figures);
            progress?.WriteLine($"  {name}: {inputs:N0} inputs, peak heap {figures.PeakManagedHeap / 1048576.0:F1} MiB, fresh peer in {udpIn.TotalMilliseconds:F0} ms (UDP), {tcpIn.TotalMilliseconds:F0} ms (TCP){(problem is null ? "" : " — " + problem)}");
            if (problem is not null)
            {
                report.Problems.Add($"{name}: {problem}");
            }

            // Let the node drop what the attackers left before the next flood.
            await DisposeHeldAsync(held).ConfigureAwait(false);
        }

        (long sent, long received, string? legitProblem) = await legit.StopAsync().ConfigureAwait(false);
        report.LegitimateSent = sent;
        report.LegitimateReceived = received;
        if (legitProblem is not null)
        {
            report.Problems.Add(legitProblem);
        }

        stopAccepting.Cancel();
        await Task.WhenAll(udpAccept, tcpAccept).ConfigureAwait(false);
        await DisposeHeldAsync(held).ConfigureAwait(false);
        return report;
    }

    private static async Task HoldAcceptedAsync<T>(Func<CancellationToken, ValueTask<T>> accept, List<IAsyncDisposable> held, CancellationToken stop)
        where T : IAsyncDisposable
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                T link = await accept(stop).ConfigureAwait(false);
                lock (held)
                {
                    held.Add(link);
                }
            }
            catch (Exception)
            {
                return;
            }
        }
    }

    private static async Task DisposeHeldAsync(List<IAsyncDisposable> held)
    {
        IAsyncDisposable[] links;
        lock (held)
        {
            links = [.. held];
            held.Clear();
        }

        foreach (IAsyncDisposable link in links)
        {
            await link.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<(TimeSpan Udp, TimeSpan Tcp, string? Problem)> AdmitFreshPeerAsync(IPEndPoint udp, IPEndPoint tcp, NodeId serverId)
    {
        using NodeKey key = NodeKey.Generate();
        await using UdpEndpoint fresh = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), key);
        var watch = Stopwatch.StartNew();
        TimeSpan udpIn;
        TimeSpan tcpIn;
        try
        {
            await using (await fresh.ConnectAsync(udp, serverId).WaitAsync(Wait).ConfigureAwait(false))
            {
                udpIn = watch.Elapsed;
            }

            watch.Restart();
            await using (await TcpLink.ConnectAsync(tcp, key, serverId).WaitAsync(Wait).ConfigureAwait(false))
            {
                tcpIn = watch.Elapsed;
            }
        }
        catch (Exception e)
        {
            return (watch.Elapsed, watch.Elapsed, $"a fresh peer could not get in: {e.GetType().Name}: {e.Message}");
        }

        // The time is a figure (issue 13 asks for 2 s under silent floods; FloodSoakTests asserts that). Here a peer
        // that cannot get in at all is the failure: a flood of stalled handshakes from one address can hold every
        // handshake slot for HandshakeTimeout, and the figure shows what that costs.
        return (udpIn, tcpIn, null);
    }

    // ------------------------------------------------------------------ floods

    /// <summary>Authenticated UDP peers (raw handshakes) sending packets of fragments that each claim a 16 MiB frame.</summary>
    private static async Task<long> UdpReassemblyFloodAsync(IPEndPoint target, NodeId serverId, CancellationToken stop)
    {
        using NodeKey key = NodeKey.Generate();
        var options = new UdpLinkOptions();
        var peers = new List<(Socket Socket, PacketProtection Protection, uint RemoteCid)>();
        long inputs = 0;
        try
        {
            for (uint cid = 1; cid <= 16 && !stop.IsCancellationRequested; cid++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                socket.Bind(new IPEndPoint(Attacker, 0));
                socket.ReceiveTimeout = 2000;
                using UdpHandshake handshake = UdpHandshake.Initiate(key, options, cid, UdpClock.Now, options.HandshakeTimeout);
                socket.SendTo(handshake.Packet, target);
                byte[] buffer = new byte[2048];
                int length = socket.Receive(buffer);
                if (buffer[0] == UdpWire.TypeRetry)
                {
                    handshake.EchoCookie(buffer.AsSpan(0, length));
                    socket.SendTo(handshake.Packet, target);
                    length = socket.Receive(buffer);
                }

                UdpSession session = handshake.ReadResponse(buffer.AsSpan(0, length), options, cid, serverId);
                socket.SendTo(handshake.Packet, target); // FINISH
                peers.Add((socket, new PacketProtection(session.Send, session.Receive, options.KeyUpdatePackets, long.MaxValue / 4, UdpClock.Now), session.RemoteConnectionId));
            }

            await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
            byte[] frames = new byte[1100];
            byte[] packet = new byte[1200];
            ulong pn = 1;
            ulong seq = 0;
            int chunk = 1344 / 16 * 16;
            int last = ((Claimed + chunk - 1) / chunk) - 1;
            while (!stop.IsCancellationRequested)
            {
                foreach ((Socket socket, PacketProtection protection, uint remoteCid) in peers)
                {
                    int at = 0;
                    for (int k = 0; k < 40; k++, seq++)
                    {
                        frames[at++] = (byte)(UdpWire.FrameFragment | (k % 2 == 0 ? 2 : 0)); // unreliable and reliable
                        at += Varint.Write(frames.AsSpan(at), seq);
                        at += Varint.Write(frames.AsSpan(at), Claimed);
                        at += Varint.Write(frames.AsSpan(at), (ulong)chunk);
                        at += Varint.Write(frames.AsSpan(at), (ulong)last);
                        frames[at++] = 0xAB; // a byte of the last chunk
                        if (at > frames.Length - 40)
                        {
                            break;
                        }
                    }

                    protection.Seal(pn, remoteCid, frames.AsSpan(0, at), packet, null, UdpClock.Now);
                    socket.SendTo(packet.AsSpan(0, UdpWire.DataHeaderSize + at + UdpWire.TagSize), target);
                    inputs++;
                }

                pn++;
                if (pn % 64 == 0)
                {
                    await Task.Delay(1, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            foreach ((Socket socket, PacketProtection protection, _) in peers)
            {
                socket.Dispose();
                protection.Dispose();
            }
        }

        return inputs;
    }

    /// <summary>Authenticated TCP peers each sending a length prefix that claims a 16 MiB frame, then nothing.</summary>
    private static async Task<long> TcpLengthPrefixFloodAsync(IPEndPoint target, CancellationToken stop)
    {
        using NodeKey key = NodeKey.Generate();
        var sockets = new List<Socket>();
        long inputs = 0;
        try
        {
            while (!stop.IsCancellationRequested && sockets.Count < 64)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(Attacker, 0));
                sockets.Add(socket);
                await socket.ConnectAsync(target, stop).ConfigureAwait(false);
                await using var stream = new NetworkStream(socket, ownsSocket: false);
                using HandshakeResult keys = await StreamHandshake.RunAsync(stream, initiator: true, key, null, LinkOptions.DefaultMaxFrameSize, NoiseCipherState.Default, stop).ConfigureAwait(false);
                byte[] prefix = new byte[4];
                BinaryPrimitives.WriteInt32BigEndian(prefix, LinkOptions.DefaultMaxFrameSize);
                await socket.SendAsync(prefix).ConfigureAwait(false);
                byte[] body = new byte[60_000];
                await socket.SendAsync(body).ConfigureAwait(false); // some of the claimed frame, never the rest
                inputs++;
            }

            await Task.Delay(Timeout.Infinite, stop).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or HandshakeException or IOException)
        {
        }
        finally
        {
            foreach (Socket socket in sockets)
            {
                socket.Dispose();
            }
        }

        return inputs;
    }

    /// <summary>Authenticated TCP peers sending 256 KiB frames as fast as they can to links nobody reads.</summary>
    private static async Task<long> TcpUnreadFramesFloodAsync(IPEndPoint target, CancellationToken stop)
    {
        using NodeKey key = NodeKey.Generate();
        long inputs = 0;
        var senders = new List<Task>();
        for (int i = 0; i < 8; i++)
        {
            senders.Add(Task.Run(async () =>
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(Attacker, 0));
                try
                {
                    await socket.ConnectAsync(target, stop).ConfigureAwait(false);
                    await using var stream = new NetworkStream(socket, ownsSocket: false);
                    using HandshakeResult keys = await StreamHandshake.RunAsync(stream, initiator: true, key, null, LinkOptions.DefaultMaxFrameSize, NoiseCipherState.Default, stop).ConfigureAwait(false);
                    byte[] plaintext = new byte[256 * 1024];
                    byte[] wire = new byte[4 + plaintext.Length + NoiseCipherState.TagSize];
                    while (!stop.IsCancellationRequested)
                    {
                        BinaryPrimitives.WriteInt32BigEndian(wire, plaintext.Length + NoiseCipherState.TagSize);
                        keys.Send.Encrypt(ReadOnlySpan<byte>.Empty, plaintext, wire.AsSpan(4));
                        await stream.WriteAsync(wire, stop).ConfigureAwait(false);
                        Interlocked.Increment(ref inputs);
                    }
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException or HandshakeException or IOException)
                {
                }
            }));
        }

        await Task.WhenAll(senders).ConfigureAwait(false);
        return inputs;
    }

    /// <summary>Initiations with distinct connection ids from 32 sockets, echoing every cookie.</summary>
    private static async Task<long> UdpHandshakeFloodAsync(IPEndPoint target, CancellationToken stop)
    {
        using NodeKey key = NodeKey.Generate();
        var options = new UdpLinkOptions();
        var sockets = new List<Socket>();
        long inputs = 0;
        try
        {
            for (int i = 0; i < 32; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                s.Bind(new IPEndPoint(Attacker, 0));
                s.Blocking = false;
                sockets.Add(s);
            }

            // One genuine initiation re-sent with changing ids (the key is real, so each costs the node a handshake).
            using UdpHandshake init = UdpHandshake.Initiate(key, options, 1, 0, options.HandshakeTimeout);
            byte[] packet = init.Packet.ToArray();
            byte[] buffer = new byte[2048];
            uint cid = 1;
            while (!stop.IsCancellationRequested)
            {
                foreach (Socket s in sockets)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(3), cid++);
                    packet[7] = 0;
                    s.SendTo(packet, target);
                    inputs++;
                    while (s.Available > 0)
                    {
                        int length = s.Receive(buffer);
                        if (buffer[0] == UdpWire.TypeRetry && length == UdpWire.RetrySize)
                        {
                            // Echo the cookie for the id it names.
                            byte[] echo = packet.ToArray();
                            echo.AsSpan(UdpWire.InitHeaderSize, NoiseHandshake.PublicKeySize).CopyTo(echo.AsSpan(UdpWire.InitHeaderSize + UdpWire.CookieSize));
                            echo.AsSpan(3, 4).Clear();
                            buffer.AsSpan(1, 4).CopyTo(echo.AsSpan(3));
                            echo[7] = UdpWire.CookieSize;
                            buffer.AsSpan(5, UdpWire.CookieSize).CopyTo(echo.AsSpan(UdpWire.InitHeaderSize));
                            s.SendTo(echo, target);
                            inputs++;
                        }
                    }
                }

                await Task.Delay(1, CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            foreach (Socket s in sockets)
            {
                s.Dispose();
            }
        }

        return inputs;
    }

    /// <summary>Connections that send a genuine first handshake message and then nothing, re-opened as they close.</summary>
    private static async Task<long> TcpHandshakeFloodAsync(IPEndPoint target, CancellationToken stop)
    {
        using NodeKey key = NodeKey.Generate();
        byte[] preamble = [(byte)'P', (byte)'K', (byte)'L', StreamHandshake.Version, (byte)NoiseCipherState.Default];
        using var noise = new NoiseHandshake(NoiseCipherState.Default, initiator: true, key, preamble);
        byte[] first = new byte[preamble.Length + 2 + NoiseHandshake.MessageSize(0, 0)];
        preamble.CopyTo(first, 0);
        BinaryPrimitives.WriteUInt16BigEndian(first.AsSpan(preamble.Length), (ushort)noise.WriteMessage(ReadOnlySpan<byte>.Empty, first.AsSpan(preamble.Length + 2)));
        var open = new List<Socket>();
        long inputs = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                open.RemoveAll(s =>
                {
                    bool closed = s.Poll(0, SelectMode.SelectRead) && s.Available == 0;
                    if (closed)
                    {
                        s.Dispose();
                    }

                    return closed;
                });
                while (open.Count < 300 && !stop.IsCancellationRequested)
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { LingerState = new LingerOption(true, 0) };
                    socket.Bind(new IPEndPoint(Attacker, 0));
                    open.Add(socket);
                    try
                    {
                        await socket.ConnectAsync(target, stop).ConfigureAwait(false);
                        await socket.SendAsync(first).ConfigureAwait(false);
                        inputs++;
                    }
                    catch (Exception e) when (e is SocketException or OperationCanceledException)
                    {
                        break;
                    }
                }

                await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            foreach (Socket s in open)
            {
                s.Dispose();
            }
        }

        return inputs;
    }
}
