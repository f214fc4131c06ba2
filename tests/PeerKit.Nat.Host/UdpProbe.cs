using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PeerKit.Nat.Host;

/// <summary>
/// Plain UDP datagrams, without PeerKit, to check the topology itself: which source address a listener sees (the NAT's
/// mapping) and whether two clients can punch a hole to each other. Every wait is bounded.
/// </summary>
public sealed class UdpProbe : IDisposable
{
    private readonly List<Socket> _listeners = [];

    /// <summary>Opens one socket on each of <paramref name="endPoints"/>, to be read by <see cref="Results"/>.</summary>
    public void Listen(IEnumerable<IPEndPoint> endPoints)
    {
        foreach (IPEndPoint endPoint in endPoints)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(endPoint);
            _listeners.Add(socket);
        }
    }

    /// <summary>
    /// The source of the first datagram each listening socket received within <paramref name="timeout"/>, as
    /// <c>local=remote</c>, or <c>local=none</c>; then closes the sockets.
    /// </summary>
    public async Task<(bool All, string Seen)> Results(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var seen = new List<string>();
        bool all = true;
        foreach (Socket socket in _listeners)
        {
            byte[] buffer = new byte[64];
            try
            {
                SocketReceiveFromResult r = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), cancel.Token);
                seen.Add($"{socket.LocalEndPoint}={r.RemoteEndPoint}");
            }
            catch (OperationCanceledException)
            {
                seen.Add($"{socket.LocalEndPoint}=none");
                all = false;
            }
        }

        Dispose();
        return (all, string.Join(' ', seen));
    }

    /// <summary>Sends one datagram from local port <paramref name="localPort"/> to each of <paramref name="destinations"/>.</summary>
    public static void Send(int localPort, IEnumerable<IPEndPoint> destinations)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Any, localPort));
        foreach (IPEndPoint destination in destinations)
        {
            socket.SendTo("probe"u8, destination);
        }
    }

    /// <summary>
    /// Hole punching by hand: from local port <paramref name="localPort"/>, sends a datagram to <paramref name="remote"/>
    /// every 50 ms until one arrives from there (then five more, so the other side hears this one too) or
    /// <paramref name="timeout"/> passes. Returns the address the answer came from, or <c>null</c>.
    /// </summary>
    public static async Task<IPEndPoint?> Punch(int localPort, IPEndPoint remote, TimeSpan timeout)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Any, localPort));
        var clock = Stopwatch.StartNew();
        byte[] buffer = new byte[64];
        IPEndPoint? heard = null;
        int after = 0;
        while (clock.Elapsed < timeout && after < 5)
        {
            socket.SendTo("punch"u8, remote);
            if (heard is not null)
            {
                after++;
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
            try
            {
                while (true)
                {
                    SocketReceiveFromResult r = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), wait.Token);
                    if (r.RemoteEndPoint.Equals(remote))
                    {
                        heard ??= (IPEndPoint)r.RemoteEndPoint;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (SocketException)
            {
                // An ICMP error answered an earlier datagram (connection refused): keep trying until the timeout.
            }
        }

        return heard;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (Socket socket in _listeners)
        {
            socket.Dispose();
        }

        _listeners.Clear();
    }
}
