using PeerKit.Links;
using PeerKit.Links.Udp;
using PeerKit.Serialization;

namespace PeerKit.Tests.Links.Udp;

/// <summary>The frame reader alone: well-formed frames come out with their fields, malformed ones are named.</summary>
public sealed class FrameReaderTests
{
    private static byte[] Packet(params object[] parts)
    {
        var bytes = new List<byte>();
        byte[] varint = new byte[10];
        foreach (object part in parts)
        {
            switch (part)
            {
                case byte b:
                    bytes.Add(b);
                    break;
                case ulong v:
                    bytes.AddRange(varint.AsSpan(0, Varint.Write(varint, v)).ToArray());
                    break;
                case byte[] raw:
                    bytes.AddRange(raw);
                    break;
            }
        }

        return bytes.ToArray();
    }

    [Fact]
    public void A_packet_of_several_frames_reads_back_frame_by_frame()
    {
        byte[] ack = new byte[UdpWire.AckBudget];
        var received = new ReceivedPackets(maxAckDelay: 0);
        foreach (ulong pn in new ulong[] { 0, 1, 2, 5, 6, 9 })
        {
            received.OnPacket(pn, eliciting: true, now: 0);
        }

        int ackLength = received.WriteAck(ack, now: 0, credit: 1234);
        byte[] packet = Packet(
            ack[..ackLength],
            UdpWire.FramePing,
            (byte)(UdpWire.FrameMessage | 2), 7UL, 3UL, new byte[] { 1, 2, 3 },
            (byte)(UdpWire.FrameFragment | 1), 4UL, 40UL, 32UL, 1UL, new byte[8],
            UdpWire.FramePathChallenge, new byte[] { 8, 0, 0, 0, 0, 0, 0, 0 },
            UdpWire.FramePadding, UdpWire.FramePadding);
        var reader = new FrameReader(packet);
        var kinds = new List<FrameKind>();
        var ranges = new List<(ulong, ulong)>();
        while (reader.More)
        {
            Assert.True(reader.TryRead(out Frame frame, out _));
            kinds.Add(frame.Kind);
            switch (frame.Kind)
            {
                case FrameKind.Ack:
                    Assert.Equal(1234UL, frame.Ack.Credit);
                    while (frame.Ack.TryNextRange(out ulong lo, out ulong hi))
                    {
                        ranges.Add((lo, hi));
                    }

                    break;
                case FrameKind.Message:
                    Assert.Equal((2, 7UL), (frame.Class, frame.Seq));
                    Assert.Equal([1, 2, 3], frame.Data.ToArray());
                    break;
                case FrameKind.Fragment:
                    Assert.Equal((1, 4UL, 40L, 32, 1, 8), (frame.Class, frame.Seq, frame.Total, frame.ChunkSize, frame.Index, frame.Data.Length));
                    break;
                case FrameKind.PathChallenge:
                    Assert.Equal(8UL, frame.PathData);
                    break;
            }
        }

        Assert.Equal([FrameKind.Ack, FrameKind.Ping, FrameKind.Message, FrameKind.Fragment, FrameKind.PathChallenge, FrameKind.Padding], kinds);
        Assert.Equal([(9UL, 9UL), (5UL, 6UL), (0UL, 2UL)], ranges);
    }

    public static TheoryData<string, byte[]> Malformed => new()
    {
        { "a malformed acknowledgement", Packet(UdpWire.FrameAck, 5UL, 0UL, 0UL, 6UL, (byte)0) }, // first range below zero
        { "a malformed acknowledgement", Packet(UdpWire.FrameAck, 5UL, 0UL, 0UL, 0UL, (byte)1, 9UL, 0UL) }, // gap below zero
        { "a malformed acknowledgement", Packet(UdpWire.FrameAck, 5UL, 0UL) }, // cut short
        { "a truncated path challenge or response", Packet(UdpWire.FramePathResponse, new byte[7]) },
        { "a malformed message frame", Packet(UdpWire.FrameMessage, 0UL, 10UL, new byte[9]) },
        { "a malformed fragment frame", Packet(UdpWire.FrameFragment, 0UL, 40UL, 30UL, 0UL, new byte[30]) }, // not a granule multiple
        { "a malformed fragment frame", Packet(UdpWire.FrameFragment, 0UL, 40UL, 32UL, 2UL, new byte[8]) }, // index past the end
        { "a fragment cut short", Packet(UdpWire.FrameFragment, 0UL, 40UL, 32UL, 0UL, new byte[31]) },
        { "an unknown frame type 0x7f", Packet((byte)0x7f) },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void A_malformed_frame_is_a_protocol_error_naming_what_was_wrong(string what, byte[] packet)
    {
        var reader = new FrameReader(packet);
        Assert.False(reader.TryRead(out _, out FrameError error));
        Assert.Equal(LinkCloseReason.ProtocolError, error.Reason);
        Assert.Equal($"The peer sent {what}.", error.Cause.Message);
    }
}
