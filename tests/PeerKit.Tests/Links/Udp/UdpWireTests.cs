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
}
