using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PeerKit.Benchmarks.Routers;

/// <summary>
/// One sender socket and one receiver socket on loopback, the same for every relay measured: the sender sends
/// prepared datagrams to the relay with at most <see cref="Window"/> not yet seen by the receiver, whose own thread
/// counts what the relay delivers. A datagram not delivered within <see cref="LossTimeout"/> is counted as lost.
/// </summary>
internal sealed class RelayFlood : IDisposable
{
    /// <summary>Datagrams in flight at most (sent, not yet received).</summary>
    public const int Window = 256;

    /// <summary>How long without a delivery before what is in flight counts as lost.</summary>
    public static readonly TimeSpan LossTimeout = TimeSpan.FromMilliseconds(50);

    private readonly Thread _thread;
    private long _received;
    private long _sent;
    private long _lost;

    public RelayFlood()
    {
        Sender = NewSocket();
        Receiver = NewSocket();
        _thread = new Thread(Receive) { IsBackground = true, Name = "relay flood receiver" };
    }

    /// <summary>The sending socket (connect it to the relay).</summary>
    public Socket Sender { get; }

    /// <summary>The receiving socket.</summary>
    public Socket Receiver { get; }

    /// <summary>Datagrams counted as lost so far.</summary>
    public long Lost => Interlocked.Read(ref _lost);

    /// <summary>Datagrams delivered so far.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Starts the receiver's thread.</summary>
    public void StartReceiving() => _thread.Start();

    /// <summary>Sends <paramref name="datagram"/> <paramref name="count"/> times and returns once each was delivered or counted lost.</summary>
    public void Run(byte[] datagram, int count)
    {
        long target = _sent + count;
        var quiet = Stopwatch.StartNew();
        long seen = Received;
        while (_sent < target || Received + Lost < target)
        {
            long received = Received;
            if (received != seen)
            {
                seen = received;
                quiet.Restart();
            }

            if (_sent < target && _sent - received - Lost < Window)
            {
                Sender.Send(datagram);
                _sent++;
                continue;
            }

            if (quiet.Elapsed > LossTimeout)
            {
                Interlocked.Exchange(ref _lost, _sent - Received);
                quiet.Restart();
                continue;
            }

            Thread.SpinWait(20);
        }
    }

    /// <summary>Closes both sockets and ends the receiver's thread.</summary>
    public void Dispose()
    {
        Sender.Dispose();
        Receiver.Dispose();
        if (_thread.IsAlive)
        {
            _thread.Join(2_000);
        }
    }

    private static Socket NewSocket()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
        {
            ReceiveBufferSize = 4 << 20,
            SendBufferSize = 4 << 20,
        };
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    private void Receive()
    {
        byte[] buffer = new byte[2048];
        try
        {
            while (true)
            {
                Receiver.Receive(buffer);
                Interlocked.Increment(ref _received);
            }
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
