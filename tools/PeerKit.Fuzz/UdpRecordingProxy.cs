using System.Net;
using System.Net.Sockets;
using PeerKit.Links.Udp;

namespace PeerKit.Fuzz;

/// <summary>
/// A UDP relay between a dialer and a server endpoint that keeps copies of the real packets passing through it
/// (INIT, RESPONSE, FINISH, RETRY and encrypted data packets of both directions), to seed the mutations.
/// </summary>
internal sealed class UdpRecordingProxy : IDisposable
{
    private const int KeepPerType = 64;
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly IPEndPoint _server;
    private readonly Thread _thread;
    private readonly Lock _lock = new();
    private readonly Dictionary<byte, List<byte[]>> _captured = new();
    private volatile bool _stop;
    private EndPoint? _client;

    public UdpRecordingProxy(IPEndPoint server)
    {
        _server = server;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _thread = new Thread(Run) { IsBackground = true, Name = "fuzz udp proxy" };
        _thread.Start();
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The packets seen so far, every type together (data packets under <see cref="UdpWire.TypeData"/>).</summary>
    public List<byte[]> Captured(byte type)
    {
        lock (_lock)
        {
            return _captured.TryGetValue(type, out List<byte[]>? list) ? [.. list] : [];
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        _socket.Dispose();
    }

    private void Run()
    {
        byte[] buffer = new byte[65536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop)
        {
            if (!_socket.Poll(50_000, SelectMode.SelectRead))
            {
                continue;
            }

            int length;
            EndPoint from = any;
            try
            {
                length = _socket.ReceiveFrom(buffer, ref from);
            }
            catch (SocketException)
            {
                continue;
            }

            if (length == 0)
            {
                continue;
            }

            byte type = (byte)(buffer[0] & ~UdpWire.KeyPhaseBit);
            lock (_lock)
            {
                if (!_captured.TryGetValue(type, out List<byte[]>? list))
                {
                    _captured[type] = list = [];
                }

                if (list.Count < KeepPerType)
                {
                    list.Add(buffer.AsSpan(0, length).ToArray());
                }
            }

            bool fromServer = from.Equals(_server);
            if (!fromServer)
            {
                _client = from;
            }

            EndPoint? to = fromServer ? _client : _server;
            if (to is not null)
            {
                try
                {
                    _socket.SendTo(buffer.AsSpan(0, length), SocketFlags.None, to);
                }
                catch (SocketException)
                {
                }
            }
        }
    }
}
