using PeerKit.Links;
using PeerKit.Links.Udp;
using PeerKit.Serialization;

namespace PeerKit.Tests.Links.Udp;

public sealed class UdpWireTests
{
    [Fact]
    public void Replay_window_accepts_each_packet_once_and_nothing_older_than_1024()
    {
        var window = new ReplayWindow();
        Assert.True(window.IsFresh(5));
        window.Mark(5);
        Assert.False(window.IsFresh(5));
        Assert.True(window.IsFresh(3)); // reordered, not yet seen
        window.Mark(3);
        Assert.False(window.IsFresh(3));
        window.Mark(2000);
        Assert.False(window.IsFresh(2000 - 1024)); // fell out of the window
        Assert.True(window.IsFresh(2000 - 1023));
        Assert.True(window.IsFresh(1999));
        Assert.False(window.IsFresh(2000));
        // Moving forward clears the bits of numbers never seen.
        for (ulong pn = 2001; pn < 5000; pn += 7)
        {
            Assert.True(window.IsFresh(pn));
            window.Mark(pn);
        }

        Assert.False(window.IsFresh(4990)); // 2001 + 7·427 was seen
        Assert.True(window.IsFresh(4994)); // never seen, within the window of the highest (4997)
    }

    [Fact]
    public void Rtt_estimator_follows_rfc_6298()
    {
        var rtt = new RttEstimator(initialRto: 1_000_000, minRto: 200_000, maxRto: 60_000_000);
        Assert.False(rtt.HasSample);
        Assert.Equal(1_000_000, rtt.Rto);
        rtt.AddSample(100_000, ackDelay: 0);
        Assert.Equal(100_000, rtt.Srtt); // SRTT = R
        Assert.Equal(50_000, rtt.RttVar); // RTTVAR = R/2
        Assert.Equal(300_000, rtt.Rto); // SRTT + 4·RTTVAR
        rtt.AddSample(200_000, ackDelay: 0);
        Assert.Equal((3 * 50_000 + 100_000) / 4, rtt.RttVar); // RTTVAR = 3/4 RTTVAR + 1/4 |SRTT − R'|
        Assert.Equal((7 * 100_000 + 200_000) / 8, rtt.Srtt); // SRTT = 7/8 SRTT + 1/8 R'
        Assert.Equal(rtt.Srtt + (4 * rtt.RttVar), rtt.Rto);
        Assert.Equal(100_000, rtt.MinRtt);
        for (int i = 0; i < 50; i++)
        {
            rtt.AddSample(1_000, ackDelay: 0);
        }

        Assert.Equal(200_000, rtt.Rto); // clamped to the minimum
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(127UL)]
    [InlineData(128UL)]
    [InlineData(16_383UL)]
    [InlineData(16_384UL)]
    [InlineData(ulong.MaxValue)]
    public void Varints_round_trip(ulong value)
    {
        byte[] buffer = new byte[10];
        int written = Varint.Write(buffer, value);
        Assert.Equal(WireSize.Varint64(value), written);
        int position = 0;
        Assert.True(Varint.TryRead(buffer.AsSpan(0, written), ref position, out ulong read));
        Assert.Equal(value, read);
        Assert.Equal(written, position);
        position = 0;
        Assert.False(Varint.TryRead(buffer.AsSpan(0, written - 1), ref position, out _)); // cut short
    }

    [Fact]
    public void MaxMtu_defaults_to_1452_or_Mtu_and_may_not_be_below_Mtu_whichever_is_set_first_and_a_low_MaxMtu_lowers_the_default_Mtu()
    {
        Assert.Equal(1452, new UdpLinkOptions().MaxMtu);
        Assert.Equal(1500, new UdpLinkOptions { Mtu = 1500 }.MaxMtu);
        Assert.Equal(1200, new UdpLinkOptions { MaxMtu = 1200 }.MaxMtu); // discovery off
        Assert.Equal(9000, new UdpLinkOptions { Mtu = 1400, MaxMtu = 9000 }.MaxMtu);
        UdpLinkOptions low = new() { MaxMtu = 1000 }; // below the default Mtu: the base size follows it down
        Assert.Equal((1000, 1000), (low.Mtu, low.MaxMtu));
        UdpLinkOptions lowFirst = new() { MaxMtu = 1000, Mtu = 600 }; // either order
        UdpLinkOptions lowSecond = new() { Mtu = 600, MaxMtu = 1000 };
        Assert.Equal((600, 1000), (lowFirst.Mtu, lowFirst.MaxMtu));
        Assert.Equal((600, 1000), (lowSecond.Mtu, lowSecond.MaxMtu));
        Assert.Throws<ArgumentOutOfRangeException>(() => new UdpLinkOptions { Mtu = 1400, MaxMtu = 1300 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new UdpLinkOptions { MaxMtu = 1300, Mtu = 1400 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new UdpLinkOptions { MaxMtu = 65508 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new UdpLinkOptions { PathMtuSearchInterval = TimeSpan.Zero });
    }

    [Fact]
    public void Handshake_payload_carries_the_base_and_the_largest_mtu()
    {
        byte[] payload = new byte[UdpWire.HandshakePayloadSize];
        UdpHandshake.WritePayload(payload, new UdpLinkOptions { Mtu = 1300, MaxMtu = 9000, ReceiveWindow = 65536 }, 0xA1B2C3D4);
        Assert.Equal(4, UdpWire.Version);
        Assert.Equal(UdpWire.Version, payload[0]);
        (int maxFrame, int mtu, uint cid, int window, int maxMtu) = UdpHandshake.ParsePayload(payload);
        Assert.Equal((LinkOptions.DefaultMaxFrameSize, 1300, 0xA1B2C3D4u, 65536, 9000), (maxFrame, mtu, cid, window, maxMtu));

        payload[15] = 0; // a largest MTU below the base one
        payload[16] = 200;
        Assert.Throws<HandshakeException>(() => UdpHandshake.ParsePayload(payload));
        Assert.Throws<HandshakeException>(() => UdpHandshake.ParsePayload(payload.AsSpan(0, 15))); // a version 3 payload
    }

    [Fact]
    public void Reassembly_combines_fragments_of_one_frame_cut_to_different_sizes()
    {
        byte[] data = new byte[5000];
        new Random(5).NextBytes(data);
        Reassembly r = Reassembly.Create(data.Length);
        try
        {
            // Chunks 0 and 2 of a cut for 1452-byte packets (1344 bytes each), then the frame cut again for 1200-byte
            // packets (1088 bytes each): every new chunk overlaps what arrived, and only the missing bytes count.
            Assert.True(r.Add(0, data.AsSpan(0, 1344)));
            Assert.True(r.Add(2688, data.AsSpan(2688, 1344)));
            Assert.False(r.Add(0, data.AsSpan(0, 1088))); // all there already
            Assert.True(r.Add(1088, data.AsSpan(1088, 1088)));
            Assert.True(r.Add(2176, data.AsSpan(2176, 1088)));
            Assert.False(r.IsComplete);
            Assert.True(r.Add(3264, data.AsSpan(3264, 1088)));
            Assert.False(r.IsComplete);
            Assert.True(r.Add(4352, data.AsSpan(4352)));
            Assert.True(r.IsComplete);
            using LinkFrame frame = r.TakeFrame();
            Assert.True(frame.Span.SequenceEqual(data));
        }
        finally
        {
            r.Release();
        }
    }

    [Theory]
    [InlineData(5000)]
    [InlineData(100_000)] // more than 64 chunks: the acknowledgement bitmap is an array
    public void Cutting_a_frame_again_keeps_exactly_the_chunks_whose_bytes_were_all_acknowledged(int length)
    {
        var message = new OutMessage(new FramePool(4));
        message.Init(new byte[length], seq: 7, cls: 0, wholeMax: 1359, chunkSize: 1344, now: 0);
        int oldCount = message.ChunkCount;
        var acked = new bool[oldCount];
        for (int i = 0; i < oldCount; i++)
        {
            acked[i] = i % 3 != 1;
            if (acked[i])
            {
                message.MarkAcked(i);
            }
        }

        int generation = message.Generation;
        Assert.False(message.Fits(1107, 1088));
        message.Rechunk(1107, 1088);
        Assert.True(message.Fits(1107, 1088));
        Assert.Equal(generation + 1, message.Generation); // chunk references of the old cut are void
        Assert.Equal((length + 1087) / 1088, message.ChunkCount);
        int expectedAcked = 0;
        for (int j = 0; j < message.ChunkCount; j++)
        {
            int start = j * 1088;
            int end = Math.Min(start + 1088, length);
            bool expected = Enumerable.Range(start / 1344, ((end - 1) / 1344) - (start / 1344) + 1).All(i => acked[i]);
            Assert.Equal(expected, message.IsAcked(j));
            expectedAcked += expected ? 1 : 0;
        }

        Assert.Equal(expectedAcked, message.AckedChunks);
        Assert.True(expectedAcked > 0);
        message.ReleaseBuffers();
    }
}
