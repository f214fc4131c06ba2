using System.Net;
using System.Net.Sockets;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>The router's switch alone, over a transport that records what it sends, with fake time (µs).</summary>
public sealed class RelaySwitchTests
{
    private static readonly IPEndPoint Alice = new(IPAddress.Parse("198.51.100.1"), 40001);
    private static readonly IPEndPoint Bob = new(IPAddress.Parse("203.0.113.2"), 40002);
    private static readonly IPEndPoint Mallory = new(IPAddress.Parse("192.0.2.66"), 40001);

    private static byte[] Datagram(uint channel, int payload = 60, byte fill = 0xAB)
    {
        byte[] datagram = new byte[RelayWire.HeaderSize + payload];
        RelayWire.WriteHeader(datagram, channel);
        datagram.AsSpan(RelayWire.HeaderSize).Fill(fill);
        datagram[RelayWire.HeaderSize] = UdpWire.TypeData;
        return datagram;
    }

    [Fact]
    public void A_datagram_from_the_bound_address_goes_to_the_other_client_with_its_channel()
    {
        var socket = new RecordingTransport();
        var relay = new RelaySwitch(socket, new RelayLimits());
        RelayBinding binding = relay.Bind(Alice, Bob);
        Assert.NotEqual(binding.FirstChannel, binding.SecondChannel);
        Assert.NotEqual(0u, binding.FirstChannel);

        byte[] fromAlice = Datagram(binding.FirstChannel);
        relay.Forward(fromAlice, Alice.Serialize(), now: 0);
        var (sent, to) = Assert.Single(socket.Sent);
        Assert.Equal(Bob, to);
        Assert.True(RelayWire.TryRead(sent, out uint channel));
        Assert.Equal(binding.SecondChannel, channel);
        Assert.True(sent.AsSpan(RelayWire.HeaderSize).SequenceEqual(fromAlice.AsSpan(RelayWire.HeaderSize))); // the packet untouched

        relay.Forward(Datagram(binding.SecondChannel, 100), Bob.Serialize(), now: 1);
        Assert.Equal(Alice, socket.Sent[1].To);
        RelayBindingCounters counters = binding.GetCounters();
        Assert.Equal(fromAlice.Length, counters.BytesFromFirst);
        Assert.Equal(RelayWire.HeaderSize + 100, counters.BytesFromSecond);
        Assert.Equal(2, counters.DatagramsRelayed);
        Assert.Equal(RelayStatus.Active, counters.Status);
    }

    [Fact]
    public void An_open_notice_sends_again_the_last_datagram_that_reached_the_client_before_it_opened_its_channel()
    {
        var socket = new RecordingTransport();
        var relay = new RelaySwitch(socket, new RelayLimits());
        RelayBinding binding = relay.Bind(Alice, Bob);
        relay.Forward(Notice(binding.FirstChannel), Alice.Serialize(), now: 0); // Alice dials: her channel is open
        relay.Forward(Datagram(binding.FirstChannel, fill: 1), Alice.Serialize(), now: 1); // her Init
        relay.Forward(Datagram(binding.FirstChannel, fill: 2), Alice.Serialize(), now: 2); // its retransmission
        Assert.Equal(2, socket.Sent.Count); // forwarded at once, whether Bob reads his channel yet or not

        relay.Forward(Notice(binding.SecondChannel), Bob.Serialize(), now: 3); // Bob opens his channel
        Assert.Equal(3, socket.Sent.Count);
        Assert.Equal(Bob, socket.Sent[2].To);
        Assert.Equal(socket.Sent[1].Data, socket.Sent[2].Data); // the latest, as sent, once
        Assert.Equal(2, binding.GetCounters().DatagramsRelayed); // a notice is not relayed, nor counted as relayed

        relay.Forward(Notice(binding.SecondChannel), Bob.Serialize(), now: 4); // again: nothing more
        relay.Forward(Notice(binding.FirstChannel), Alice.Serialize(), now: 4); // nothing was held for Alice
        relay.Forward(Datagram(binding.FirstChannel, fill: 3), Alice.Serialize(), now: 5);
        relay.Forward(Notice(binding.SecondChannel), Bob.Serialize(), now: 6);
        Assert.Equal(4, socket.Sent.Count); // Bob was heard: nothing is held for him any more
    }

    [Fact]
    public void A_client_that_sends_reads_its_channel_and_is_not_sent_a_held_datagram_again()
    {
        var socket = new RecordingTransport();
        var relay = new RelaySwitch(socket, new RelayLimits());
        RelayBinding binding = relay.Bind(Alice, Bob);
        relay.Forward(Datagram(binding.FirstChannel), Alice.Serialize(), now: 0);
        relay.Forward(Datagram(binding.SecondChannel), Bob.Serialize(), now: 1); // Bob answers: he got it
        relay.Forward(Notice(binding.SecondChannel), Bob.Serialize(), now: 2); // a late notice
        Assert.Equal(2, socket.Sent.Count);
        relay.Forward(Notice(0xDEAD), Bob.Serialize(), now: 3);
        Assert.Equal(1, relay.GetStatistics().DroppedUnknownChannel);
    }

    [Fact]
    public void An_open_notice_from_an_address_not_bound_to_the_channel_sends_nothing_and_keeps_the_held_datagram()
    {
        var socket = new RecordingTransport();
        var relay = new RelaySwitch(socket, new RelayLimits());
        RelayBinding binding = relay.Bind(Alice, Bob);
        relay.Forward(Datagram(binding.FirstChannel, fill: 7), Alice.Serialize(), now: 0); // held for Bob
        Assert.Single(socket.Sent);

        relay.Forward(Notice(binding.SecondChannel), Mallory.Serialize(), now: 1); // Bob's channel, not Bob
        relay.Forward(Notice(binding.SecondChannel), Alice.Serialize(), now: 2); // nor Alice
        Assert.Single(socket.Sent);
        Assert.Equal(2, binding.GetCounters().DroppedForged);

        relay.Forward(Notice(binding.SecondChannel), Bob.Serialize(), now: 3); // Bob himself: the datagram, to Bob
        Assert.Equal(2, socket.Sent.Count);
        Assert.Equal(Bob, socket.Sent[1].To);
        Assert.Equal(socket.Sent[0].Data, socket.Sent[1].Data);
    }

    private static byte[] Notice(uint channel)
    {
        byte[] notice = new byte[RelayWire.OpenNoticeSize];
        RelayWire.WriteOpenNotice(notice, channel);
        return notice;
    }

    [Fact]
    public void A_datagram_on_a_bound_channel_from_another_address_is_dropped_and_counted()
    {
        var socket = new RecordingTransport();
        var relay = new RelaySwitch(socket, new RelayLimits());
        RelayBinding binding = relay.Bind(Alice, Bob);
        relay.Forward(Datagram(binding.FirstChannel), Mallory.Serialize(), now: 0);
        relay.Forward(Datagram(binding.SecondChannel), Alice.Serialize(), now: 0); // Alice on Bob's channel
        Assert.Empty(socket.Sent);
        Assert.Equal(2, binding.GetCounters().DroppedForged);
        Assert.Equal(2, relay.GetStatistics().DroppedForged);
        Assert.Equal(0, binding.GetCounters().BytesRelayed); // a forger spends none of the binding's allowance
    }

    [Fact]
    public void Malformed_and_unknown_channel_datagrams_are_dropped_and_counted()
    {
        var socket = new RecordingTransport();
        var relay = new RelaySwitch(socket, new RelayLimits());
        RelayBinding binding = relay.Bind(Alice, Bob);
        relay.Forward([RelayWire.Marker, 0, 0], Alice.Serialize(), 0);
        relay.Forward(Datagram(0), Alice.Serialize(), 0);
        relay.Forward(Datagram(binding.FirstChannel + 1 == binding.SecondChannel ? binding.FirstChannel + 2 : binding.FirstChannel + 1), Alice.Serialize(), 0);
        Assert.Empty(socket.Sent);
        RelayStatistics stats = relay.GetStatistics();
        Assert.Equal(2, stats.DroppedMalformed);
        Assert.Equal(1, stats.DroppedUnknownChannel);
        Assert.Equal(3, stats.DatagramsReceived);
    }

    [Fact]
    public void A_binding_stops_at_its_total_with_resource_limit_exceeded()
    {
        var socket = new RecordingTransport();
        var relay = new RelaySwitch(socket, new RelayLimits { MaxBytesPerBinding = 1000 });
        RelayBinding binding = relay.Bind(Alice, Bob);
        RelayBinding other = relay.Bind(new IPEndPoint(IPAddress.Parse("198.51.100.9"), 1), new IPEndPoint(IPAddress.Parse("198.51.100.10"), 2));
        for (int i = 0; i < 20; i++)
        {
            relay.Forward(Datagram(binding.FirstChannel, 95), Alice.Serialize(), now: i);
        }

        RelayBindingCounters counters = binding.GetCounters();
        Assert.Equal(1000, counters.BytesRelayed); // ten datagrams of 100 bytes
        Assert.Equal(10, counters.DroppedLimitReached);
        Assert.Equal(RelayStatus.ResourceLimitExceeded, counters.Status);

        relay.Forward(Datagram(other.FirstChannel, 95), other.FirstAddress, now: 30);
        Assert.Equal(RelayStatus.Active, other.GetCounters().Status);
        Assert.Equal(100, other.GetCounters().BytesRelayed);
    }

    [Fact]
    public void A_binding_over_its_rate_drops_and_reports_rate_limited_then_recovers()
    {
        var socket = new RecordingTransport();
        var relay = new RelaySwitch(socket, new RelayLimits { MaxBytesPerSecond = 100_000, BurstBytes = 100_000 });
        RelayBinding binding = relay.Bind(Alice, Bob);
        long now = UdpClock.Now; // the bucket starts full at the binding's creation
        int forwarded = 0;
        for (int i = 0; i < 200; i++)
        {
            relay.Forward(Datagram(binding.FirstChannel, 995), Alice.Serialize(), now);
        }

        forwarded = socket.Sent.Count;
        Assert.Equal(100, forwarded);
        Assert.Equal(100, binding.GetCounters().DroppedRateLimited);
        Assert.Equal(RelayStatus.RateLimited, binding.StatusAt(now));
        Assert.Equal(100, relay.GetStatistics().DroppedRateLimited);

        // 10 ms later: 1,000 bytes more allowed.
        relay.Forward(Datagram(binding.FirstChannel, 995), Alice.Serialize(), now + 10_000);
        Assert.Equal(101, socket.Sent.Count);
        Assert.Equal(RelayStatus.Active, binding.StatusAt(now + 2_000_000));
    }

    [Fact]
    public void Bindings_beyond_the_limit_are_refused_with_resource_limit_exceeded_and_unbinding_makes_room()
    {
        var relay = new RelaySwitch(new RecordingTransport(), new RelayLimits { MaxBindings = 2 });
        RelayBinding first = relay.Bind(Alice, Bob);
        relay.Bind(Alice, Mallory);
        RelayLimitException refused = Assert.Throws<RelayLimitException>(() => relay.Bind(Bob, Mallory));
        Assert.Equal(RelayStatus.ResourceLimitExceeded, refused.Status);
        Assert.True(relay.Unbind(first));
        Assert.Equal(RelayStatus.Unbound, first.GetCounters().Status);
        Assert.Null(relay.Find(first.FirstChannel));
        relay.Bind(Bob, Mallory);
        Assert.Equal(2, relay.BindingCount);
        Assert.Throws<ArgumentException>(() => relay.Bind(Alice, Alice));
    }

    [Fact]
    public void Rebinding_a_channel_moves_the_client_to_its_new_address()
    {
        var socket = new RecordingTransport();
        var relay = new RelaySwitch(socket, new RelayLimits());
        RelayBinding binding = relay.Bind(Alice, Bob);
        var moved = new IPEndPoint(Alice.Address, 50000);
        Assert.True(relay.Rebind(binding.FirstChannel, moved));
        relay.Forward(Datagram(binding.FirstChannel), Alice.Serialize(), 0);
        Assert.Empty(socket.Sent); // the old address no longer speaks for the channel
        relay.Forward(Datagram(binding.FirstChannel), moved.Serialize(), 0);
        relay.Forward(Datagram(binding.SecondChannel), Bob.Serialize(), 0);
        Assert.Equal(moved, socket.Sent[1].To);
        Assert.Equal(moved, binding.First);
        Assert.False(relay.Rebind(12345, moved));
    }

    [Fact]
    public void Forwarding_allocates_nothing()
    {
        var socket = new RecordingTransport { Keep = false };
        var relay = new RelaySwitch(socket, new RelayLimits { BurstBytes = 1L << 40, MaxBytesPerSecond = 1L << 40, MaxBytesPerBinding = long.MaxValue });
        RelayBinding binding = relay.Bind(Alice, Bob);
        byte[] datagram = Datagram(binding.FirstChannel, 1200);
        SocketAddress alice = Alice.Serialize();
        long least = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10_000; i++)
            {
                relay.Forward(datagram, alice, now: i);
            }

            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, least);
        Assert.Equal(30_000, socket.Count);
    }

    [Fact]
    public void Where_the_socket_batches_a_run_of_datagrams_to_one_client_leaves_in_one_call_at_the_end_of_the_run()
    {
        var socket = new RecordingTransport { Segments = 64 };
        var relay = new RelaySwitch(socket, new RelayLimits());
        RelayBinding binding = relay.Bind(Alice, Bob);
        for (int i = 0; i < 3; i++)
        {
            relay.Forward(Datagram(binding.FirstChannel, 100, fill: (byte)i), Alice.Serialize(), now: i);
        }

        relay.Forward(Datagram(binding.FirstChannel, 40), Alice.Serialize(), now: 3); // shorter: ends the batch's run
        Assert.Empty(socket.Sent);
        relay.Forward(Datagram(binding.SecondChannel, 100), Bob.Serialize(), now: 4); // another client: the batch goes
        var (batch, to) = Assert.Single(socket.Sent);
        Assert.Equal(Bob, to);
        Assert.Equal((3 * 105) + 45, batch.Length);
        Assert.Equal(105, socket.LastSegment);
        for (int i = 0; i < 3; i++)
        {
            ReadOnlySpan<byte> segment = batch.AsSpan(i * 105, 105);
            Assert.True(RelayWire.TryRead(segment, out uint channel));
            Assert.Equal(binding.SecondChannel, channel);
            Assert.Equal((byte)i, segment[^1]);
        }

        relay.FlushBatch(); // the end of the receive run
        Assert.Equal(2, socket.Sent.Count);
        Assert.Equal(Alice, socket.Sent[1].To);
        Assert.Equal(105, socket.Sent[1].Data.Length);
        relay.FlushBatch();
        Assert.Equal(2, socket.Sent.Count);
    }

    /// <summary>A socket that keeps what is sent on it.</summary>
    private sealed class RecordingTransport : IDatagramTransport
    {
        public List<(byte[] Data, IPEndPoint To)> Sent { get; } = new();

        public bool Keep { get; init; } = true;

        public int Count { get; private set; }

        public IPEndPoint LocalEndPoint { get; } = new(IPAddress.Any, 7330);

        public int Segments { get; init; } = 1;

        public int MaxSegments => Segments;

        public int LastSegment { get; private set; }

        public bool SendSegments(ReadOnlySpan<byte> buffer, int segmentSize, SocketAddress destination)
        {
            LastSegment = segmentSize;
            return Send(buffer, destination);
        }

        public void Start(DatagramHandler handler, Action batchEnd)
        {
        }

        public bool Send(ReadOnlySpan<byte> datagram, SocketAddress destination)
        {
            Count++;
            if (Keep)
            {
                Sent.Add((datagram.ToArray(), UdpEndpoint.ToEndPoint(destination)));
            }

            return true;
        }

        public void Dispose()
        {
        }
    }
}
