using System.Net;
using PeerKit.Links;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>Two endpoints on a seeded <see cref="SimNetwork"/>, with timers fast enough for tests.</summary>
internal sealed class UdpHarness : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public UdpHarness(int seed, Impairment? impairment = null, UdpLinkOptions? options = null, UdpLinkOptions? serverOptions = null)
    {
        Network = new SimNetwork(seed, impairment);
        ClientTransport = Network.CreateNode();
        ServerTransport = Network.CreateNode();
        Options = options ?? FastOptions();
        Client = UdpEndpoint.Start(ClientTransport, ClientKey, Options);
        Server = UdpEndpoint.Start(ServerTransport, ServerKey, serverOptions ?? Options);
    }

    public SimNetwork Network { get; }

    public SimTransport ClientTransport { get; }

    public SimTransport ServerTransport { get; }

    public NodeKey ClientKey { get; } = NodeKey.Generate();

    public NodeKey ServerKey { get; } = NodeKey.Generate();

    public UdpLinkOptions Options { get; }

    public UdpEndpoint Client { get; }

    public UdpEndpoint Server { get; set; }

    public IPEndPoint ServerAddress => ServerTransport.LocalEndPoint;

    public static UdpLinkOptions FastOptions(bool receiveInline = false, long keyUpdatePackets = 1L << 22, TimeSpan? keyUpdateInterval = null) => new()
    {
        ReceiveInline = receiveInline,
        KeyUpdatePackets = keyUpdatePackets,
        KeyUpdateInterval = keyUpdateInterval ?? TimeSpan.FromMinutes(10),
        TimerResolution = TimeSpan.FromMilliseconds(1),
        MinRetransmitTimeout = TimeSpan.FromMilliseconds(15),
        InitialRetransmitTimeout = TimeSpan.FromMilliseconds(100),
        HandshakeRetransmitInterval = TimeSpan.FromMilliseconds(40),
        MaxAckDelay = TimeSpan.FromMilliseconds(2),
        CloseTimeout = TimeSpan.FromMilliseconds(500),
    };

    public async Task<(UdpLink Client, UdpLink Server)> ConnectAsync(NodeId? expected = null)
    {
        UdpLink client = await Client.ConnectAsync(ServerAddress, expected).WaitAsync(Timeout);
        UdpLink server = await Server.AcceptAsync().AsTask().WaitAsync(Timeout);
        return (client, server);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync().AsTask().WaitAsync(Timeout);
        await Server.DisposeAsync().AsTask().WaitAsync(Timeout);
        Network.Dispose();
        ClientKey.Dispose();
        ServerKey.Dispose();
    }

    /// <summary>Sends <paramref name="count"/> frames numbered 0… (4-byte index, then filler up to 4–63 bytes).</summary>
    public static async Task SendNumbersAsync(IMessageLink link, int count, Reliability reliability, int delayEvery = 0)
    {
        byte[] buffer = new byte[64];
        for (int i = 0; i < count; i++)
        {
            int length = 4 + (i % 60);
            BitConverter.TryWriteBytes(buffer, i);
            buffer.AsSpan(4, length - 4).Fill((byte)i);
            await link.SendAsync(buffer.AsMemory(0, length), reliability);
            if (delayEvery > 0 && i % delayEvery == delayEvery - 1)
            {
                await Task.Delay(1);
            }
        }
    }

    /// <summary>Reads one numbered frame and checks its filler.</summary>
    public static int ReadNumber(in LinkFrame frame)
    {
        int i = BitConverter.ToInt32(frame.Span);
        Assert.Equal(4 + (i % 60), frame.Length);
        foreach (byte b in frame.Span[4..])
        {
            Assert.Equal((byte)i, b);
        }

        return i;
    }
}
