using System.Net;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>
/// Three endpoints on a seeded <see cref="SimNetwork"/>: clients A and B and a router whose endpoint runs a
/// <see cref="RelaySwitch"/>. A dials B through the router; B accepts on its channel. Direct datagrams between A and B
/// can be cut (<see cref="CutDirect"/>), relay datagrams never are; every datagram to or from the router is captured
/// when <see cref="Capture"/> is on.
/// </summary>
internal sealed class RelayHarness : IAsyncDisposable
{
    private readonly List<byte[]> _captured = new();
    private long _directDatagrams;

    public RelayHarness(int seed, Impairment? impairment = null, RelayLimits? limits = null, UdpLinkOptions? options = null)
    {
        Network = new SimNetwork(seed, impairment);
        ATransport = Network.CreateNode();
        BTransport = Network.CreateNode();
        RouterTransport = Network.CreateNode();
        Options = options ?? RelayOptions();
        A = UdpEndpoint.Start(ATransport, AKey, Options);
        B = UdpEndpoint.Start(BTransport, BKey, Options);
        Router = UdpEndpoint.Start(RouterTransport, RouterKey, Options);
        Switch = Router.StartRelaySwitch(limits);
        Network.Filter = OnDatagram;
    }

    public SimNetwork Network { get; }

    public SimTransport ATransport { get; }

    public SimTransport BTransport { get; }

    public SimTransport RouterTransport { get; }

    public NodeKey AKey { get; } = NodeKey.Generate();

    public NodeKey BKey { get; } = NodeKey.Generate();

    public NodeKey RouterKey { get; } = NodeKey.Generate();

    public UdpLinkOptions Options { get; }

    public UdpEndpoint A { get; }

    public UdpEndpoint B { get; }

    public UdpEndpoint Router { get; }

    public RelaySwitch Switch { get; }

    public IPEndPoint RouterAddress => RouterTransport.LocalEndPoint;

    /// <summary>Drop every datagram A and B send each other directly (relay datagrams still pass).</summary>
    public volatile bool CutDirect;

    /// <summary>Keep a copy of every datagram the router receives from or sends to a client.</summary>
    public volatile bool Capture;

    /// <summary>Datagrams A and B sent each other directly (not through the router).</summary>
    public long DirectDatagrams => Interlocked.Read(ref _directDatagrams);

    public byte[][] Captured()
    {
        lock (_captured)
        {
            return [.. _captured];
        }
    }

    /// <summary><see cref="UdpHarness.FastOptions"/> with hole punching and fall back as fast.</summary>
    public static UdpLinkOptions RelayOptions(TimeSpan? probeTimeout = null, TimeSpan? retry = null, TimeSpan? handshakeRetransmit = null) => new()
    {
        TimerResolution = TimeSpan.FromMilliseconds(1),
        MinRetransmitTimeout = TimeSpan.FromMilliseconds(15),
        InitialRetransmitTimeout = TimeSpan.FromMilliseconds(100),
        HandshakeRetransmitInterval = handshakeRetransmit ?? TimeSpan.FromMilliseconds(40),
        HandshakeTimeout = handshakeRetransmit is { } interval ? interval * 2 : new UdpLinkOptions().HandshakeTimeout,
        MaxAckDelay = TimeSpan.FromMilliseconds(2),
        CloseTimeout = TimeSpan.FromMilliseconds(500),
        DirectProbeInterval = TimeSpan.FromMilliseconds(20),
        DirectProbeTimeout = probeTimeout ?? TimeSpan.FromSeconds(3),
        DirectPathRetryInterval = retry ?? TimeSpan.FromSeconds(60),
        DirectPathTimeout = TimeSpan.FromSeconds(1), // long enough that a loaded machine does not look like a dead path
    };

    /// <summary>A dials B through the router on a new binding; B accepts on its channel.</summary>
    public async Task<(UdpLink A, UdpLink B, RelayBinding Binding)> ConnectAsync()
    {
        RelayBinding binding = Switch.Bind(ATransport.LocalEndPoint, BTransport.LocalEndPoint);
        B.OpenRelayChannel(RouterAddress, binding.SecondChannel);
        UdpLink a = await A.ConnectViaRelayAsync(RouterAddress, binding.FirstChannel, BKey.Id).WaitAsync(UdpHarness.Timeout);
        UdpLink b = await B.AcceptAsync().AsTask().WaitAsync(UdpHarness.Timeout);
        return (a, b, binding);
    }

    /// <summary>Both sides probe each other's direct address at once (a hole punch).</summary>
    public async Task UpgradeAsync(UdpLink a, UdpLink b)
    {
        Task<bool> fromA = a.ProbeDirectPathAsync(BTransport.LocalEndPoint);
        Task<bool> fromB = b.ProbeDirectPathAsync(ATransport.LocalEndPoint);
        Assert.True(await fromA.WaitAsync(UdpHarness.Timeout));
        Assert.True(await fromB.WaitAsync(UdpHarness.Timeout));
    }

    public async ValueTask DisposeAsync()
    {
        Network.Filter = null;
        await A.DisposeAsync().AsTask().WaitAsync(UdpHarness.Timeout);
        await B.DisposeAsync().AsTask().WaitAsync(UdpHarness.Timeout);
        await Router.DisposeAsync().AsTask().WaitAsync(UdpHarness.Timeout);
        Network.Dispose();
        AKey.Dispose();
        BKey.Dispose();
        RouterKey.Dispose();
    }

    private bool OnDatagram(SimTransport from, byte[] data)
    {
        bool relay = data.Length > 0 && data[0] == RelayWire.Marker;
        if (Capture && (from == RouterTransport || relay))
        {
            lock (_captured)
            {
                _captured.Add(data);
            }
        }

        if ((from == ATransport || from == BTransport) && !relay)
        {
            Interlocked.Increment(ref _directDatagrams);
            return CutDirect;
        }

        return false;
    }
}
