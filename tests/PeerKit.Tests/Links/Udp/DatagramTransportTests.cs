using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using PeerKit.Links;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>The real UDP socket under an endpoint: batched receives, UDP GSO/GRO on Linux, and the plain fallback.</summary>
public sealed class DatagramTransportTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);

    [Fact]
    public void Linux_sockets_batch_receives_and_offload_segmentation()
    {
        using var transport = new SocketDatagramTransport(Loopback);
        // Every kernel since 4.18 (2018) has UDP_SEGMENT and every one since 5.0 UDP_GRO; CI runs a current one.
        Assert.Equal(LinuxUdp.IsSupported, transport.UsesRecvMMsg);
        Assert.Equal(LinuxUdp.IsSupported, transport.SegmentationOffload);
        Assert.Equal(LinuxUdp.IsSupported, transport.ReceiveOffload);
        Assert.Equal(LinuxUdp.IsSupported ? LinuxUdp.MaxSegments : 1, transport.MaxSegments);

        using var plain = new SocketDatagramTransport(Loopback, offload: false);
        Assert.False(plain.UsesRecvMMsg);
        Assert.Equal(1, plain.MaxSegments);
    }

    [Fact]
    public void Sockets_never_fragment_so_path_mtu_probes_that_are_too_large_are_lost()
    {
        using var v4 = new SocketDatagramTransport(Loopback, offload: false);
        using var dual = new SocketDatagramTransport(new IPEndPoint(IPAddress.IPv6Any, 0));
        Assert.True(v4.DontFragment);
        if (LinuxUdp.IsSupported)
        {
            // IP_PMTUDISC_PROBE: DF set, no fragmenting, and the kernel's cached path MTU is not applied.
            Assert.Equal(LinuxUdp.PmtuDiscProbe, ReadOption(v4, LinuxUdp.SolIp, LinuxUdp.IpMtuDiscover));
            Assert.True(dual.DontFragment);
            Assert.Equal(LinuxUdp.PmtuDiscProbe, ReadOption(dual, LinuxUdp.SolIpv6, LinuxUdp.Ipv6MtuDiscover));
            Assert.Equal(LinuxUdp.PmtuDiscProbe, ReadOption(dual, LinuxUdp.SolIp, LinuxUdp.IpMtuDiscover));
        }

        static int ReadOption(SocketDatagramTransport transport, int level, int name)
        {
            byte[] value = new byte[4];
            Assert.Equal(4, transport.Socket.GetRawSocketOption(level, name, value));
            return BitConverter.ToInt32(value);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_segmented_send_arrives_as_separate_datagrams_with_their_boundaries(bool offload)
    {
        using var receiver = new SocketDatagramTransport(Loopback, offload: offload);
        using var sender = new SocketDatagramTransport(Loopback, offload: offload);
        var received = new ConcurrentQueue<(byte[] Data, IPEndPoint From)>();
        int batches = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        const int Segment = 1000;
        const int Count = 11;
        receiver.Start(
            (datagram, source) =>
            {
                received.Enqueue((datagram.ToArray(), UdpEndpoint.ToEndPoint(source)));
                if (received.Count == Count)
                {
                    all.TrySetResult();
                }
            },
            () => Interlocked.Increment(ref batches));
        sender.Start((_, _) => { }, () => { });

        // Ten full segments and a shorter last one, each filled with its own index.
        byte[] buffer = new byte[(Segment * (Count - 1)) + 333];
        for (int i = 0; i < buffer.Length; i++)
        {
            buffer[i] = (byte)(i / Segment);
        }

        Assert.True(sender.SendSegments(buffer, Segment, receiver.LocalEndPoint.Serialize()));
        await all.Task.WaitAsync(Timeout);

        (byte[] Data, IPEndPoint From)[] datagrams = received.ToArray();
        Assert.Equal(Count, datagrams.Length);
        for (int i = 0; i < Count; i++)
        {
            Assert.Equal(i == Count - 1 ? 333 : Segment, datagrams[i].Data.Length);
            Assert.All(datagrams[i].Data, b => Assert.Equal((byte)i, b));
            Assert.Equal(sender.LocalEndPoint, datagrams[i].From);
        }

        Assert.InRange(Volatile.Read(ref batches), 1, Count);
        Assert.Equal(offload && LinuxUdp.IsSupported ? 1 : 0, sender.SegmentedSends);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Dispose_stops_the_blocked_receive_thread(bool offload)
    {
        var transport = new SocketDatagramTransport(Loopback, offload: offload);
        transport.Start((_, _) => { }, () => { });
        Assert.True(SpinWait.SpinUntil(() => transport.IsReceiving, Timeout));
        transport.Dispose();
        Assert.False(transport.IsReceiving);
    }

    [Fact]
    public async Task Bulk_reliable_transfer_over_loopback_goes_out_in_segmented_batches_and_arrives_intact()
    {
        using NodeKey serverKey = NodeKey.Generate();
        using NodeKey clientKey = NodeKey.Generate();
        var options = new UdpLinkOptions { Mtu = 1400 };
        await using UdpEndpoint server = UdpEndpoint.Start(Loopback, serverKey, options);
        await using UdpEndpoint client = UdpEndpoint.Start(Loopback, clientKey, options);
        UdpLink sender = await client.ConnectAsync(server.LocalEndPoint).WaitAsync(Timeout);
        UdpLink receiver = await server.AcceptAsync().AsTask().WaitAsync(Timeout);

        const int Messages = 3000;
        Task receiving = Task.Run(async () =>
        {
            for (int i = 0; i < Messages; i++)
            {
                using LinkFrame frame = await receiver.ReceiveAsync();
                Assert.Equal(1200, frame.Memory.Length);
                Assert.Equal(i, BitConverter.ToInt32(frame.Memory.Span));
                Assert.All(frame.Memory.Span[4..].ToArray(), b => Assert.Equal((byte)i, b));
            }
        });
        byte[] message = new byte[1200];
        for (int i = 0; i < Messages; i++)
        {
            message.AsSpan().Fill((byte)i);
            BitConverter.TryWriteBytes(message, i);
            await sender.SendAsync(message).AsTask().WaitAsync(Timeout);
        }

        await receiving.WaitAsync(Timeout);
        var transport = (SocketDatagramTransport)client.Socket;
        if (LinuxUdp.IsSupported)
        {
            // Far fewer send calls than packets: a flush of several full packets leaves in one sendmsg.
            Assert.True(transport.SegmentedSends > 0, "no batch was sent with UDP GSO");
        }

        UdpEndpointStatistics sent = client.GetStatistics();
        UdpEndpointStatistics received = server.GetStatistics();
        Assert.Equal(LinuxUdp.IsSupported, sent.SegmentationOffload);
        if (LinuxUdp.IsSupported)
        {
            Assert.True(sent.BatchedSends > 0, "the statistics count batched sends");
            Assert.InRange(received.ReceiveBatches, 1, received.DatagramsReceived - 1);
        }
        else
        {
            Assert.Equal(received.DatagramsReceived, received.ReceiveBatches);
        }

        Assert.Equal(0, receiver.GetStatus().PacketsDeferred);
        Assert.Equal(0L, server.GetStatistics().DroppedMalformed);
    }
}
