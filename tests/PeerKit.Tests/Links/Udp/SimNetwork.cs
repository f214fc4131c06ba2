using System.Net;
using System.Net.Sockets;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>How the simulated network mistreats datagrams. Each decision comes from the network's seeded generator.</summary>
internal sealed record Impairment
{
    public static readonly Impairment None = new();

    public double Loss { get; init; }

    public double Duplication { get; init; }

    /// <summary>The chance that a datagram is held back by an extra delay (so later ones overtake it).</summary>
    public double Reordering { get; init; }

    public double Corruption { get; init; }

    public TimeSpan Delay { get; init; }

    public TimeSpan Jitter { get; init; }

    /// <summary>Datagrams larger than this are dropped (a path MTU).</summary>
    public int MtuClamp { get; init; } = int.MaxValue;
}

/// <summary>
/// An in-memory datagram network between <see cref="SimTransport"/>s, with seeded impairments: loss, duplication,
/// reordering, delay, jitter, corruption and an MTU clamp. One thread delivers every datagram when it is due.
/// </summary>
internal sealed class SimNetwork : IDisposable
{
    private readonly object _lock = new();
    private readonly Random _random;
    private readonly PriorityQueue<(byte[] Data, SocketAddress From, SocketAddress To), (long Due, long Seq)> _queue = new();
    private readonly Dictionary<SocketAddress, SimTransport> _nodes = new();
    private readonly Thread _thread;
    private long _seq;
    private bool _stopped;
    private int _nextHost = 1;

    public SimNetwork(int seed, Impairment? impairment = null)
    {
        _random = new Random(seed);
        Impairment = impairment ?? Impairment.None;
        _thread = new Thread(DeliveryLoop) { IsBackground = true, Name = "SimNetwork" };
        _thread.Start();
    }

    /// <summary>Applies to every datagram; may be changed while running.</summary>
    public Impairment Impairment { get; set; }

    /// <summary>Called for every datagram sent (before impairment); returning true drops it.</summary>
    public Func<SimTransport, byte[], bool>? Filter { get; set; }

    public long Sent { get; private set; }

    public long Dropped { get; private set; }

    public SimTransport CreateNode()
    {
        lock (_lock)
        {
            var node = new SimTransport(this, new IPEndPoint(IPAddress.Parse($"10.0.0.{_nextHost++}"), 4000));
            _nodes[node.Address] = node;
            return node;
        }
    }

    /// <summary>Delivers raw bytes to <paramref name="to"/> as if sent from <paramref name="from"/> (an attacker's injection).</summary>
    public void Inject(IPEndPoint from, SimTransport to, byte[] data)
    {
        lock (_lock)
        {
            _queue.Enqueue((data, from.Serialize(), to.Address), (NowTicks(), _seq++));
            Monitor.Pulse(_lock);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _stopped = true;
            Monitor.Pulse(_lock);
        }

        _thread.Join();
    }

    internal void Rebind(SimTransport node, IPEndPoint address)
    {
        lock (_lock)
        {
            _nodes.Remove(node.Address);
            node.SetAddress(address);
            _nodes[node.Address] = node;
        }
    }

    internal void Remove(SimTransport node)
    {
        lock (_lock)
        {
            _nodes.Remove(node.Address);
        }
    }

    internal void Send(SimTransport from, ReadOnlySpan<byte> datagram, SocketAddress to)
    {
        byte[] data = datagram.ToArray();
        lock (_lock)
        {
            Sent++;
            Impairment im = Impairment;
            if (from.Detached || (Filter?.Invoke(from, data) ?? false) || data.Length > im.MtuClamp || _random.NextDouble() < im.Loss)
            {
                Dropped++;
                return;
            }

            if (_random.NextDouble() < im.Corruption)
            {
                data[_random.Next(data.Length)] ^= (byte)(1 << _random.Next(8));
            }

            int copies = _random.NextDouble() < im.Duplication ? 2 : 1;
            for (int i = 0; i < copies; i++)
            {
                long delay = im.Delay.Ticks + (long)(_random.NextDouble() * im.Jitter.Ticks);
                if (_random.NextDouble() < im.Reordering)
                {
                    delay += TimeSpan.FromMilliseconds(1).Ticks + (2 * im.Delay.Ticks);
                }

                _queue.Enqueue((data, from.Address, UdpTestCopy(to)), (NowTicks() + delay, _seq++));
            }

            Monitor.Pulse(_lock);
        }
    }

    private static SocketAddress UdpTestCopy(SocketAddress address)
    {
        var copy = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span[..address.Size].CopyTo(copy.Buffer.Span);
        return copy;
    }

    private static long NowTicks() => TimeSpan.FromSeconds(System.Diagnostics.Stopwatch.GetTimestamp() / (double)System.Diagnostics.Stopwatch.Frequency).Ticks;

    private void DeliveryLoop()
    {
        while (true)
        {
            (byte[] Data, SocketAddress From, SocketAddress To) item;
            SimTransport? target;
            lock (_lock)
            {
                while (true)
                {
                    if (_stopped)
                    {
                        return;
                    }

                    if (_queue.TryPeek(out _, out (long Due, long Seq) key))
                    {
                        long wait = key.Due - NowTicks();
                        if (wait <= 0)
                        {
                            break;
                        }

                        Monitor.Wait(_lock, TimeSpan.FromTicks(Math.Max(wait, TimeSpan.TicksPerMillisecond / 2)));
                    }
                    else
                    {
                        Monitor.Wait(_lock, 50);
                    }
                }

                item = _queue.Dequeue();
                _nodes.TryGetValue(item.To, out target);
            }

            if (target is not null && !target.Detached)
            {
                target.Deliver(item.Data, item.From);
            }
        }
    }
}

/// <summary>One node's socket on a <see cref="SimNetwork"/>.</summary>
internal sealed class SimTransport : IDatagramTransport
{
    private readonly SimNetwork _network;
    private DatagramHandler? _handler;
    private Action? _batchEnd;
    private int _refused;

    public SimTransport(SimNetwork network, IPEndPoint address)
    {
        _network = network;
        SetAddress(address);
    }

    public IPEndPoint LocalEndPoint { get; private set; } = null!;

    public SocketAddress Address { get; private set; } = null!;

    /// <summary>Cut off from the network (a crashed or unplugged node): nothing is sent or delivered.</summary>
    public bool Detached { get; set; }

    /// <summary>Batches of up to 64 datagrams are accepted and sent one by one (the interface's default), so the
    /// links' batching runs under every impairment.</summary>
    public int MaxSegments { get; set; } = 64;

    public void Start(DatagramHandler handler, Action batchEnd)
    {
        _batchEnd = batchEnd;
        _handler = handler;
    }

    /// <summary>The local interface's MTU: a larger datagram is refused at once (EMSGSIZE), never sent.</summary>
    public int InterfaceMtu { get; set; } = int.MaxValue;

    /// <summary>Datagrams refused because they were larger than <see cref="InterfaceMtu"/>.</summary>
    public int Refused => Volatile.Read(ref _refused);

    private int _failed;

    public bool Send(ReadOnlySpan<byte> datagram, SocketAddress destination) => SendChecked(datagram, destination) == DatagramSendResult.Sent;

    public DatagramSendResult SendChecked(ReadOnlySpan<byte> datagram, SocketAddress destination)
    {
        if (datagram.Length > InterfaceMtu)
        {
            Interlocked.Increment(ref _refused);
            return DatagramSendResult.TooLarge;
        }

        if (datagram.Length > FailSendsAbove)
        {
            Interlocked.Increment(ref _failed);
            return DatagramSendResult.Failed;
        }

        _network.Send(this, datagram, destination);
        return DatagramSendResult.Sent;
    }

    /// <summary>Sends of larger datagrams fail as with a full socket buffer (ENOBUFS), not as too large.</summary>
    public int FailSendsAbove { get; set; } = int.MaxValue;

    /// <summary>Sends refused by <see cref="FailSendsAbove"/>.</summary>
    public int Failed => Volatile.Read(ref _failed);

    /// <summary>Moves the node to a new address (NAT rebinding).</summary>
    public void Rebind(IPEndPoint address) => _network.Rebind(this, address);

    public void Dispose() => _network.Remove(this);

    internal void SetAddress(IPEndPoint address)
    {
        LocalEndPoint = address;
        Address = address.Serialize();
    }

    internal void Deliver(byte[] data, SocketAddress from)
    {
        if (_handler is { } handler)
        {
            handler(data, from);
            _batchEnd!();
        }
    }
}
