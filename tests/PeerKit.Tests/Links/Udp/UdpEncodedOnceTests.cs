using System.Buffers;
using PeerKit.Links;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>A frame handed over in its pooled buffer is sent from that buffer (encoded once), not from a copy.</summary>
public sealed class UdpEncodedOnceTests
{
    [Fact]
    public void A_reliable_frame_handed_over_is_packed_from_the_callers_buffer()
    {
        var packer = new PacketPacker(new FramePool(16), new UdpLinkOptions());
        packer.SetBaseSize(1200);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(500);
        buffer.AsSpan(0, 500).Fill(1);
        Assert.True(packer.TryEnqueue(buffer.AsSpan(0, 500), (int)Reliability.ReliableOrdered, now: 0, owned: buffer));
        buffer.AsSpan(0, 500).Fill(2); // the link kept this very buffer: what leaves is what is in it now

        byte[] payload = new byte[packer.PayloadCapacity];
        int pos = 0;
        var packet = new SentPacket();
        Assert.True(packer.Fill(payload, ref pos, packet, new FlowCredit(1 << 20, 1 << 20, ignorePeer: false)));
        Assert.True(payload.AsSpan(pos - 500, 500).IndexOfAnyExcept((byte)2) < 0);
        Assert.True(packer.OnPacketAcked(packet));
        packer.TrimFinished(); // the buffer goes back to the shared pool here
    }

    [Fact]
    public void A_small_or_unreliable_frame_handed_over_is_copied_and_its_buffer_returned_at_once()
    {
        var packer = new PacketPacker(new FramePool(16), new UdpLinkOptions());
        packer.SetBaseSize(1200);
        byte[] small = new byte[OutMessage.SmallCapacity];
        small.AsSpan().Fill(3);
        Assert.True(packer.TryEnqueue(small, (int)Reliability.ReliableOrdered, now: 0, owned: ArrayPool<byte>.Shared.Rent(16)));
        byte[] unreliable = ArrayPool<byte>.Shared.Rent(300);
        unreliable.AsSpan(0, 300).Fill(4);
        Assert.True(packer.TryEnqueue(unreliable.AsSpan(0, 300), (int)Reliability.Unreliable, now: 0, owned: unreliable));
        unreliable.AsSpan(0, 300).Clear(); // returned: the queue holds its own copy

        byte[] payload = new byte[packer.PayloadCapacity];
        int pos = 0;
        packer.Fill(payload, ref pos, new SentPacket(), new FlowCredit(1 << 20, 1 << 20, ignorePeer: false));
        Assert.Equal(OutMessage.SmallCapacity, payload.AsSpan(0, pos).Count((byte)3));
        Assert.Equal(300, payload.AsSpan(0, pos).Count((byte)4));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(1_000)]
    [InlineData(50_000)]
    public async Task Frames_sent_in_pooled_buffers_arrive_intact_under_loss(int size)
    {
        await using var h = new UdpHarness(seed: 300 + size, new Impairment { Loss = 0.1 });
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        IMessageLink link = client;
        for (int i = 0; i < 20; i++)
        {
            byte[] buffer = ArrayPool<byte>.Shared.Rent(size);
            buffer.AsSpan(0, size).Fill((byte)i);
            await link.SendPooledAsync(buffer, size, Reliability.ReliableOrdered, CancellationToken.None);
        }

        for (int i = 0; i < 20; i++)
        {
            using LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(UdpHarness.Timeout);
            Assert.Equal(size, frame.Length);
            Assert.True(frame.Span.IndexOfAnyExcept((byte)i) < 0, $"frame {i} changed on the way");
        }
    }

    [Fact]
    public async Task A_send_handing_a_buffer_to_a_closed_link_fails_as_a_closed_link()
    {
        await using var h = new UdpHarness(seed: 310);
        (UdpLink client, _) = await h.ConnectAsync();
        await client.DisposeAsync();
        IMessageLink link = client;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1_000);
        await Assert.ThrowsAsync<LinkClosedException>(async () => await link.SendPooledAsync(buffer, 1_000, Reliability.ReliableOrdered, CancellationToken.None));
    }
}
