using System.Net;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>The outbox alone: batching equal-size packets, order, and one sending thread at a time.</summary>
public sealed class OutboxTests
{
    private static readonly SocketAddress Peer = new IPEndPoint(IPAddress.Loopback, 9).Serialize();

    private static void Add(Outbox outbox, int size, byte marker, int maxSegments)
    {
        Span<byte> packet = outbox.Reserve(size, maxSegments, maxPacketSize: 1500, Peer);
        packet.Fill(marker);
        outbox.Commit(size);
    }

    [Fact]
    public void Equal_size_packets_leave_in_one_segmented_call_and_a_shorter_one_ends_the_batch()
    {
        var outbox = new Outbox();
        var transport = new RecordingTransport(maxSegments: 64);
        Add(outbox, 1200, 1, 64);
        Add(outbox, 1200, 2, 64);
        Add(outbox, 700, 3, 64); // shorter: joins as the last segment, and closes the batch
        Add(outbox, 1200, 4, 64);
        outbox.CloseBatch(Peer);
        Assert.False(outbox.IsIdle);
        outbox.Drain(transport);
        Assert.True(outbox.IsIdle);
        Assert.Equal([(3100, 1200), (1200, 0)], transport.Calls.Select(c => (c.Bytes.Length, c.Segment)));
        Assert.Equal([1, 2, 3, 4], transport.Datagrams.Select(d => (int)d[0]));
    }

    [Fact]
    public void Without_segmentation_every_packet_is_its_own_call_in_order()
    {
        var outbox = new Outbox();
        var transport = new RecordingTransport(maxSegments: 1);
        for (byte i = 0; i < 5; i++)
        {
            Add(outbox, 100 + i, i, 1);
        }

        outbox.Enqueue(new OutboxEntry(System.Buffers.ArrayPool<byte>.Shared.Rent(10), 10, 0, Peer)); // the open batch is not queued yet: this goes first
        outbox.CloseBatch(Peer);
        outbox.Drain(transport);
        Assert.Equal(6, transport.Calls.Count);
        Assert.All(transport.Calls, c => Assert.Equal(0, c.Segment));
        Assert.Equal([100, 101, 102, 103, 10, 104], transport.Calls.Select(c => c.Bytes.Length));
    }

    [Fact]
    public async Task A_thread_that_finds_another_sending_leaves_its_datagrams_to_it()
    {
        var outbox = new Outbox();
        var gate = new ManualResetEventSlim();
        var entered = new ManualResetEventSlim();
        var transport = new RecordingTransport(maxSegments: 1) { OnSend = () => { entered.Set(); gate.Wait(TimeSpan.FromSeconds(10)); } };
        Add(outbox, 100, 1, 1);
        outbox.CloseBatch(Peer);
        Task first = Task.Run(() => outbox.Drain(transport));
        Assert.True(entered.Wait(TimeSpan.FromSeconds(10)));
        Add(outbox, 100, 2, 1);
        outbox.CloseBatch(Peer);
        outbox.Drain(transport); // returns at once: the first thread is sending
        Assert.Single(transport.Calls);
        transport.OnSend = null;
        gate.Set();
        await first.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([1, 2], transport.Datagrams.Select(d => (int)d[0]));
        Assert.True(outbox.IsIdle);
    }

    private sealed class RecordingTransport(int maxSegments) : IDatagramTransport
    {
        public List<(byte[] Bytes, int Segment)> Calls { get; } = new();

        public List<byte[]> Datagrams { get; } = new();

        public Action? OnSend { get; set; }

        public IPEndPoint LocalEndPoint => new(IPAddress.Loopback, 1);

        public int MaxSegments => maxSegments;

        public void Start(DatagramHandler handler, Action batchEnd)
        {
        }

        public bool Send(ReadOnlySpan<byte> datagram, SocketAddress destination)
        {
            lock (Calls)
            {
                Calls.Add((datagram.ToArray(), 0));
                Datagrams.Add(datagram.ToArray());
            }

            OnSend?.Invoke();
            return true;
        }

        public bool SendSegments(ReadOnlySpan<byte> buffer, int segmentSize, SocketAddress destination)
        {
            lock (Calls)
            {
                Calls.Add((buffer.ToArray(), segmentSize));
                for (int offset = 0; offset < buffer.Length; offset += segmentSize)
                {
                    Datagrams.Add(buffer.Slice(offset, Math.Min(segmentSize, buffer.Length - offset)).ToArray());
                }
            }

            return true;
        }

        public void Dispose()
        {
        }
    }
}
