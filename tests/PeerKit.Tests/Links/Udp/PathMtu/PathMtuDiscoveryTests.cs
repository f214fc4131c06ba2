using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>Path MTU discovery alone, with fake time (µs): the search, lost probes, black holes and restarts.</summary>
public sealed class PathMtuDiscoveryTests
{
    private const long Rto = 100_000;
    private const long SearchInterval = 600_000_000;

    /// <summary>Runs the search over a path that carries packets up to <paramref name="pathMtu"/>; returns the time of its last decision.</summary>
    private static long Search(PathMtuDiscovery pmtu, int pathMtu, long now, ref ulong pn)
    {
        long last = now;
        for (int guard = 0; guard < 100 && pmtu.Searching; guard++)
        {
            int size = pmtu.ProbeDue(now);
            Assert.NotEqual(0, size);
            ulong probe = pn++;
            pmtu.OnProbeSent(size, probe, now);
            if (size <= pathMtu)
            {
                pmtu.OnAckRange(probe, probe, now);
                last = now;
            }
            else
            {
                // A later packet is acknowledged and the probe is older than a timeout: it is lost.
                Assert.False(pmtu.OnTick(now + Rto - 1, largestAcked: pn, Rto, Rto));
                Assert.Equal(0, pmtu.ProbeDue(now + Rto - 1));
                pmtu.OnTick(now + Rto, largestAcked: pn, Rto, Rto);
                last = now + Rto;
            }

            now += Rto;
        }

        Assert.False(pmtu.Searching);
        return last;
    }

    [Fact]
    public void The_ceiling_is_probed_first_and_a_path_that_carries_it_is_done_in_one_probe()
    {
        var pmtu = new PathMtuDiscovery(1200, 1500, SearchInterval, now: 0);
        Assert.Equal(1200, pmtu.PacketSize);
        Assert.True(pmtu.Searching);
        Assert.Equal(1500, pmtu.ProbeDue(0));
        pmtu.OnProbeSent(1500, pn: 7, now: 0);
        Assert.Equal(0, pmtu.ProbeDue(0)); // one probe in flight at a time
        Assert.False(pmtu.OnAckRange(0, 6, 1_000));
        Assert.True(pmtu.OnAckRange(7, 7, 1_000));
        Assert.Equal(1500, pmtu.PacketSize);
        Assert.False(pmtu.Searching);
        Assert.Equal(1, pmtu.ProbesSent);
    }

    [Fact]
    public void A_binary_search_finds_the_path_mtu_within_the_granularity_and_searches_again_later()
    {
        var pmtu = new PathMtuDiscovery(1200, 9000, SearchInterval, now: 0);
        ulong pn = 0;
        long end = Search(pmtu, pathMtu: 1400, now: 0, ref pn);
        Assert.InRange(pmtu.PacketSize, 1400 - UdpWire.SearchGranularity, 1400);
        Assert.True(pmtu.ProbesLost > 0);
        Assert.Equal(0, pmtu.ProbesLost % UdpWire.MaxProbes); // each size too large was tried three times
        Assert.False(pmtu.OnTick(end + SearchInterval - 1, largestAcked: pn, Rto, Rto));
        Assert.False(pmtu.Searching);
        pmtu.OnTick(end + SearchInterval, largestAcked: pn, Rto, Rto); // the raise timer
        Assert.True(pmtu.Searching);
        Assert.Equal(9000, pmtu.ProbeDue(end + SearchInterval));
    }

    [Fact]
    public void A_probe_is_resent_until_three_are_lost_before_its_size_counts_as_too_large()
    {
        var pmtu = new PathMtuDiscovery(1200, 1500, SearchInterval, now: 0);
        long now = 0;
        for (int attempt = 0; attempt < UdpWire.MaxProbes; attempt++)
        {
            Assert.Equal(1500, pmtu.ProbeDue(now));
            pmtu.OnProbeSent(1500, (ulong)attempt, now);
            now += Rto;
            pmtu.OnTick(now, largestAcked: 100, Rto, Rto);
        }

        Assert.Equal(UdpWire.MaxProbes, pmtu.ProbesLost);
        Assert.Equal(1200 + (1499 - 1200 + 1) / 2, pmtu.ProbeDue(now));
    }

    [Fact]
    public void A_probe_on_a_link_that_hears_nothing_is_not_lost_but_a_ping_asks_once_per_timeout()
    {
        var pmtu = new PathMtuDiscovery(1200, 1500, SearchInterval, now: 0);
        pmtu.OnProbeSent(1500, pn: 50, now: 0);
        Assert.True(pmtu.OnTick(Rto, largestAcked: 49, Rto, backedOffRto: 2 * Rto));
        Assert.False(pmtu.OnTick(2 * Rto, largestAcked: 49, Rto, 2 * Rto));
        Assert.True(pmtu.OnTick(3 * Rto, largestAcked: null, Rto, 2 * Rto));
        Assert.Equal(0, pmtu.ProbesLost);
    }

    [Fact]
    public void A_probe_the_interface_refuses_is_lost_and_one_that_could_not_be_sent_is_not()
    {
        var pmtu = new PathMtuDiscovery(1200, 1500, SearchInterval, now: 0);
        pmtu.OnProbeSent(1500, pn: 1, now: 0);
        pmtu.OnProbeNotSent(now: 0, Rto);
        Assert.Equal(0, pmtu.ProbesLost);
        Assert.Equal(0, pmtu.ProbeDue(Rto - 1));
        Assert.Equal(1500, pmtu.ProbeDue(Rto));
        pmtu.OnProbeSent(1500, pn: 2, now: Rto);
        pmtu.OnProbeTooLarge(now: Rto, Rto);
        Assert.Equal(1, pmtu.ProbesLost);
        Assert.Equal(1500, pmtu.ProbeDue(2 * Rto));
    }

    [Fact]
    public void Three_loss_events_of_only_large_packets_are_a_black_hole_back_to_the_base_size()
    {
        var pmtu = new PathMtuDiscovery(1200, 1500, SearchInterval, now: 0);
        pmtu.OnProbeSent(1500, pn: 1, now: 0);
        pmtu.OnAckRange(1, 1, 1_000);
        long now = 10_000;
        for (int loss = 1; loss <= UdpWire.BlackHoleLossEvents; loss++)
        {
            pmtu.OnPacketLost(1500);
            Assert.Equal(loss == UdpWire.BlackHoleLossEvents, pmtu.EndLossEvent(now));
        }

        Assert.Equal(1200, pmtu.PacketSize);
        Assert.Equal(1, pmtu.BlackHoles);
        Assert.True(pmtu.Searching);
        Assert.Equal(0, pmtu.ProbeDue(now + 999_999)); // the next search waits a second
        Assert.Equal(1500, pmtu.ProbeDue(now + 1_000_000));
    }

    [Fact]
    public void A_large_packet_acknowledged_or_a_small_one_lost_is_no_black_hole()
    {
        var pmtu = new PathMtuDiscovery(1200, 1500, SearchInterval, now: 0);
        pmtu.OnProbeSent(1500, pn: 1, now: 0);
        pmtu.OnAckRange(1, 1, 1_000);
        for (int round = 0; round < 5; round++)
        {
            pmtu.OnPacketLost(1500);
            Assert.False(pmtu.EndLossEvent(10_000));
            pmtu.OnPacketLost(1500);
            Assert.False(pmtu.EndLossEvent(10_000));
            pmtu.OnPacketAcked(1500); // large packets still get through
        }

        for (int round = 0; round < 5; round++)
        {
            pmtu.OnPacketLost(1500);
            pmtu.OnPacketLost(300); // congestion, not size
            Assert.False(pmtu.EndLossEvent(10_000));
        }

        Assert.Equal(1500, pmtu.PacketSize);
    }

    [Fact]
    public void A_restart_on_a_new_path_goes_back_to_the_base_size_and_searches_at_once()
    {
        var pmtu = new PathMtuDiscovery(1200, 1500, SearchInterval, now: 0);
        pmtu.OnProbeSent(1500, pn: 1, now: 0);
        pmtu.OnAckRange(1, 1, 1_000);
        Assert.True(pmtu.Restart(now: 5_000, delay: 0));
        Assert.Equal(1200, pmtu.PacketSize);
        Assert.Equal(1500, pmtu.ProbeDue(5_000));
        Assert.False(pmtu.Restart(now: 6_000, delay: 0)); // already at the base size
    }

    [Fact]
    public void Nothing_is_searched_when_both_sides_allow_only_the_base_size()
    {
        var pmtu = new PathMtuDiscovery(1200, 1200, SearchInterval, now: 0);
        Assert.False(pmtu.Searching);
        Assert.Equal(0, pmtu.ProbeDue(0));
        Assert.False(pmtu.Restart(0, 0));
    }
}
