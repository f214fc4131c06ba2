using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using PeerKit.Links.Udp;

namespace PeerKit.Benchmarks.Routers;

/// <summary>
/// Relay forwarding: messages per second through PeerKit's <see cref="RelaySwitch"/> (the router's UDP endpoint)
/// against coturn's <c>turnserver</c> (the baseline of every category), started by the benchmark on loopback and
/// stopped in cleanup. The same client drives both (<see cref="RelayFlood"/>): raw UDP sockets, the same window,
/// the same payloads; only the relay's header differs (TURN ChannelData 4 bytes, PeerKit's relay header 5 bytes).
/// </summary>
/// <remarks>
/// Each side is the relay's own forwarding path alone: the coturn client made an Allocate and a ChannelBind to the
/// receiver's address and sends ChannelData, which coturn forwards as plain UDP from the relayed address; the
/// PeerKit client sends relay datagrams on the first channel of a binding, which the switch forwards to the second.
/// The Ratio column is PeerKit's time per delivered message over coturn's (below 1: more messages per second).
/// </remarks>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class RelayForwardingBenchmarks
{
    private const int Count = 20_000;
    private const string Small = "64 B";
    private const string Large = "1200 B";

    private CoturnProcess? _coturn;
    private RelayFlood? _viaCoturn;
    private RelayFlood? _viaPeerKit;
    private UdpEndpoint? _router;
    private NodeKey? _routerKey;
    private byte[] _coturnSmall = null!;
    private byte[] _coturnLarge = null!;
    private byte[] _peerKitSmall = null!;
    private byte[] _peerKitLarge = null!;

    [GlobalSetup]
    public void Setup()
    {
        try
        {
            _coturn = CoturnProcess.Start(TimeSpan.FromSeconds(15));
            _viaCoturn = new RelayFlood();
            _viaCoturn.Sender.ReceiveTimeout = 500;
            if (!TurnWire.TryAllocate(_viaCoturn.Sender, _coturn.Address, out _))
            {
                throw new InvalidOperationException("turnserver did not allocate for the benchmark's client.");
            }

            TurnWire.ChannelBind(_viaCoturn.Sender, _coturn.Address, TurnWire.FirstChannel, (IPEndPoint)_viaCoturn.Receiver.LocalEndPoint!);
            _viaCoturn.Sender.Connect(_coturn.Address);
            _viaCoturn.StartReceiving();
            _coturnSmall = ChannelData(64);
            _coturnLarge = ChannelData(1200);

            _routerKey = NodeKey.Generate();
            _router = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), _routerKey, new UdpLinkOptions());
            RelaySwitch relay = _router.StartRelaySwitch(new RelayLimits { MaxBytesPerSecond = 1L << 40, BurstBytes = 1L << 40, MaxBytesPerBinding = long.MaxValue });
            _viaPeerKit = new RelayFlood();
            RelayBinding binding = relay.Bind((IPEndPoint)_viaPeerKit.Sender.LocalEndPoint!, (IPEndPoint)_viaPeerKit.Receiver.LocalEndPoint!);
            _viaPeerKit.Sender.Connect(_router.LocalEndPoint);
            _viaPeerKit.StartReceiving();
            _peerKitSmall = RelayDatagram(binding.FirstChannel, 64);
            _peerKitLarge = RelayDatagram(binding.FirstChannel, 1200);

            // Both relays must deliver before anything is measured.
            _viaCoturn.Run(_coturnSmall, 100);
            _viaPeerKit.Run(_peerKitSmall, 100);
            if (_viaCoturn.Received == 0 || _viaPeerKit.Received == 0)
            {
                throw new InvalidOperationException($"A relay delivers nothing (coturn {_viaCoturn.Received}, PeerKit {_viaPeerKit.Received} of 100).");
            }
        }
        catch
        {
            Cleanup();
            throw;
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_viaCoturn is not null && _viaPeerKit is not null)
        {
            Console.WriteLine($"// delivered (lost): coturn {_viaCoturn.Received} ({_viaCoturn.Lost}), PeerKit {_viaPeerKit.Received} ({_viaPeerKit.Lost})");
        }

        _viaCoturn?.Dispose();
        _viaPeerKit?.Dispose();
        _coturn?.Dispose();
        _router?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _routerKey?.Dispose();
        _coturn = null;
        _viaCoturn = null;
        _viaPeerKit = null;
        _router = null;
        _routerKey = null;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Count), BenchmarkCategory(Small)]
    public void Coturn_64() => _viaCoturn!.Run(_coturnSmall, Count);

    [Benchmark(OperationsPerInvoke = Count), BenchmarkCategory(Small)]
    public void RelaySwitch_64() => _viaPeerKit!.Run(_peerKitSmall, Count);

    [Benchmark(Baseline = true, OperationsPerInvoke = Count), BenchmarkCategory(Large)]
    public void Coturn_1200() => _viaCoturn!.Run(_coturnLarge, Count);

    [Benchmark(OperationsPerInvoke = Count), BenchmarkCategory(Large)]
    public void RelaySwitch_1200() => _viaPeerKit!.Run(_peerKitLarge, Count);

    private static byte[] ChannelData(int payload)
    {
        byte[] datagram = new byte[TurnWire.ChannelDataHeader + payload];
        TurnWire.WriteChannelData(datagram, TurnWire.FirstChannel, payload);
        datagram.AsSpan(TurnWire.ChannelDataHeader).Fill(0x01);
        return datagram;
    }

    private static byte[] RelayDatagram(uint channel, int payload)
    {
        // PeerKit's relay header (docs/udp.md, "Relay path"): 0x52, then the channel, 4 bytes big-endian.
        byte[] datagram = new byte[5 + payload];
        datagram[0] = 0x52;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(datagram.AsSpan(1), channel);
        datagram.AsSpan(5).Fill(0x01);
        return datagram;
    }
}
