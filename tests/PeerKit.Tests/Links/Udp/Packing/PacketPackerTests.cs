using PeerKit.Links;
using PeerKit.Links.Udp;
using PeerKit.Serialization;

namespace PeerKit.Tests.Links.Udp;

/// <summary>The packer alone: frames into packets, fragments, flow credit, the reorder window, losses and acknowledgements.</summary>
public sealed class PacketPackerTests
{
    private const int PacketSize = 1200;

    private static PacketPacker Create(UdpLinkOptions? options = null)
    {
        var packer = new PacketPacker(new FramePool(16), options ?? new UdpLinkOptions());
        packer.SetBaseSize(PacketSize);
        return packer;
    }

    private static FlowCredit Credit(long limit = 1 << 20) => new(window: 1 << 20, peerLimit: limit, ignorePeer: false);

    /// <summary>Fills one packet; returns the frames written as (type, seq, bytes in this frame).</summary>
    private static List<(byte Type, ulong Seq, int Bytes)> Fill(PacketPacker packer, FlowCredit credit, SentPacket packet)
    {
        byte[] payload = new byte[packer.PayloadCapacity];
        int pos = 0;
        packer.Fill(payload, ref pos, packet, credit);
        var frames = new List<(byte, ulong, int)>();
        int read = 0;
        while (read < pos)
        {
            byte type = payload[read++];
            Assert.True(Varint.TryRead(payload, ref read, out ulong seq));
            Assert.True(Varint.TryRead(payload, ref read, out ulong length));
            int bytes = (int)length;
            if ((type & ~3) == UdpWire.FrameFragment)
            {
                Assert.True(Varint.TryRead(payload, ref read, out ulong chunkSize));
                Assert.True(Varint.TryRead(payload, ref read, out ulong index));
                bytes = (int)Math.Min(chunkSize, length - (index * chunkSize));
            }

            read += bytes;
            frames.Add((type, seq, bytes));
        }

        Assert.Equal(pos, read);
        return frames;
    }

    [Fact]
    public void Small_frames_of_every_class_share_a_packet_whole()
    {
        PacketPacker packer = Create();
        FlowCredit credit = Credit();
        for (int cls = 0; cls < PacketPacker.LaneCount; cls++)
        {
            Assert.True(packer.TryEnqueue(new byte[100], cls, now: 0));
        }

        var packet = new SentPacket();
        List<(byte Type, ulong Seq, int Bytes)> frames = Fill(packer, credit, packet);
        Assert.Equal(4, frames.Count);
        Assert.All(frames, f => Assert.Equal(UdpWire.FrameMessage, f.Type & ~3));
        Assert.Equal(2, packet.Chunks.Count); // only the reliable ones are tracked for resending
        Assert.True(packer.LanesEmpty);
    }

    [Fact]
    public void A_frame_larger_than_a_packet_is_cut_into_fragments_of_a_granule_multiple()
    {
        PacketPacker packer = Create();
        FlowCredit credit = Credit();
        Assert.True(packer.TryEnqueue(new byte[5_000], (int)Reliability.ReliableOrdered, now: 0));
        int total = 0;
        for (int i = 0; i < 10 && !packer.LanesEmpty; i++)
        {
            List<(byte Type, ulong Seq, int Bytes)> frames = Fill(packer, credit, new SentPacket());
            (byte type, _, int bytes) = Assert.Single(frames);
            Assert.Equal(UdpWire.FrameFragment, type & ~3);
            total += bytes;
            Assert.True(packer.LanesEmpty || bytes % UdpWire.FragmentGranule == 0);
        }

        Assert.Equal(5_000, total);
    }

    [Fact]
    public void A_reliable_frame_starts_only_within_the_peers_credit()
    {
        PacketPacker packer = Create();
        FlowCredit credit = Credit(limit: 150);
        Assert.True(packer.TryEnqueue(new byte[100], 0, now: 0));
        Assert.True(packer.TryEnqueue(new byte[100], 0, now: 0));
        Assert.True(packer.HasSendable(credit));
        Assert.Single(Fill(packer, credit, new SentPacket())); // 164 started: the second must wait
        Assert.True(credit.Blocked);
        Assert.False(packer.HasSendable(credit));
        credit.OnPeerLimit(1_000);
        Assert.True(packer.HasSendable(credit));
        Assert.Single(Fill(packer, credit, new SentPacket()));
    }

    [Fact]
    public void Lost_chunks_go_again_before_new_frames_and_acknowledged_ones_free_their_lane()
    {
        PacketPacker packer = Create(new UdpLinkOptions { SendQueueLimit = 4_096 });
        FlowCredit credit = Credit();
        Assert.True(packer.TryEnqueue(new byte[100], 0, now: 0));
        var first = new SentPacket();
        Assert.Single(Fill(packer, credit, first));
        Assert.True(packer.TryEnqueue(new byte[100], 0, now: 0));
        packer.OnPacketLost(first);
        var second = new SentPacket();
        List<(byte Type, ulong Seq, int Bytes)> frames = Fill(packer, credit, second);
        Assert.Equal([0UL, 1UL], frames.Select(f => f.Seq)); // the resend first, then the new frame
        Assert.Equal(200, packer.QueuedBytes(Reliability.ReliableOrdered));

        Assert.True(packer.OnPacketAcked(second));
        Assert.False(packer.OnPacketAcked(first)); // a late acknowledgement of the first copy changes nothing
        Assert.True(packer.TrimFinished());
        Assert.Equal(0, packer.QueuedBytes(Reliability.ReliableOrdered));
        Assert.Equal(0, packer.ReliableQueuedCount);
    }

    [Fact]
    public void A_full_reliable_lane_refuses_and_a_full_unreliable_lane_drops_and_counts()
    {
        PacketPacker packer = Create(new UdpLinkOptions { SendQueueLimit = 1_000, UnreliableQueueLimit = 1_000 });
        Assert.True(packer.TryEnqueue(new byte[800], 0, now: 0));
        Assert.False(packer.TryEnqueue(new byte[100], 0, now: 0));
        Assert.True(packer.TryEnqueue(new byte[800], 2, now: 0));
        Assert.False(packer.TryEnqueue(new byte[100], 2, now: 0));
        Assert.Equal(1, packer.UnreliableDropped);
    }

    [Fact]
    public void After_the_packet_size_goes_down_a_frame_sent_in_large_chunks_is_resent_in_small_ones()
    {
        PacketPacker packer = Create();
        packer.SetPacketSize(9_000);
        FlowCredit credit = Credit();
        Assert.True(packer.TryEnqueue(new byte[20_000], 0, now: 0));
        var sent = new List<SentPacket>();
        while (!packer.LanesEmpty)
        {
            var packet = new SentPacket();
            Fill(packer, credit, packet);
            sent.Add(packet);
        }

        packer.SetPacketSize(PacketSize);
        packer.RecutStarted();
        int resent = 0;
        for (int i = 0; i < 100 && packer.HasSendable(credit); i++)
        {
            List<(byte Type, ulong Seq, int Bytes)> frames = Fill(packer, credit, new SentPacket());
            Assert.All(frames, f => Assert.True(f.Bytes <= PacketSize));
            resent += frames.Sum(f => f.Bytes);
        }

        Assert.Equal(20_000, resent);
        Assert.All(sent, p => Assert.False(packer.OnPacketAcked(p))); // the old cut's acknowledgements are void
    }
}
