using System.Net;
using System.Net.Sockets;

namespace PeerKit.Links.Udp;

/// <summary>Receives datagrams; called from one thread at a time. <paramref name="source"/> is only valid during the call.</summary>
internal delegate void DatagramHandler(ReadOnlySpan<byte> datagram, SocketAddress source);

/// <summary>
/// The datagram socket under a <see cref="UdpEndpoint"/>: a real UDP socket, or an in-memory network in tests.
/// </summary>
internal interface IDatagramTransport : IDisposable
{
    IPEndPoint LocalEndPoint { get; }

    /// <summary>Starts delivering received datagrams to <paramref name="handler"/>, one at a time.</summary>
    void Start(DatagramHandler handler);

    /// <summary>Sends one datagram without blocking for long; false when it could not be sent (counted as lost).</summary>
    bool Send(ReadOnlySpan<byte> datagram, SocketAddress destination);
}

/// <summary>A UDP socket with a receive loop on a dedicated thread.</summary>
internal sealed class SocketDatagramTransport : IDatagramTransport
{
    private readonly Socket _socket;
    private Thread? _thread;
    private volatile bool _stopped;

    public SocketDatagramTransport(IPEndPoint localEndPoint)
    {
        _socket = new Socket(localEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (localEndPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                _socket.DualMode = localEndPoint.Address.Equals(IPAddress.IPv6Any);
            }

            _socket.ReceiveBufferSize = 4 * 1024 * 1024;
            _socket.SendBufferSize = 4 * 1024 * 1024;
            _socket.Bind(localEndPoint);
            LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
    }

    public IPEndPoint LocalEndPoint { get; }

    public void Start(DatagramHandler handler)
    {
        _thread = new Thread(() => ReceiveLoop(handler)) { IsBackground = true, Name = $"PeerKit UDP {LocalEndPoint}" };
        _thread.Start();
    }

    public bool Send(ReadOnlySpan<byte> datagram, SocketAddress destination)
    {
        try
        {
            return _socket.SendTo(datagram, SocketFlags.None, destination) == datagram.Length;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _stopped = true;
        _socket.Dispose();
        if (_thread is not null && _thread != Thread.CurrentThread)
        {
            _thread.Join(TimeSpan.FromSeconds(2));
        }
    }

    private void ReceiveLoop(DatagramHandler handler)
    {
        byte[] buffer = new byte[UdpWire.MaxMtu];
        var source = new SocketAddress(LocalEndPoint.AddressFamily);
        while (!_stopped)
        {
            int received;
            try
            {
                received = _socket.ReceiveFrom(buffer, SocketFlags.None, source);
            }
            catch (SocketException) when (!_stopped)
            {
                // ICMP errors (connection reset on some platforms), a truncated datagram: keep serving.
                continue;
            }
            catch (Exception)
            {
                return;
            }

            handler(buffer.AsSpan(0, received), source);
        }
    }
}
