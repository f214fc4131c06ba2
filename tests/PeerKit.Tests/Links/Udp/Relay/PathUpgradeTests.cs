using System.Net;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>Probing a direct path, falling back and retrying, alone, with fake time (µs).</summary>
public sealed class PathUpgradeTests
{
    private const long Interval = 100_000;
    private const long Timeout = 1_000_000;
    private const long Retry = 60_000_000;
    private const long Failure = 500_000;
    private const long Rto = 50_000;

    private static readonly SocketAddress Candidate = new IPEndPoint(IPAddress.Parse("192.0.2.7"), 5000).Serialize();

    private static PathUpgrade Create() => new(Interval, Timeout, Retry, Failure);

    [Fact]
    public void Probes_go_every_interval_until_the_timeout_then_it_gives_up_and_retries_60_s_later()
    {
        PathUpgrade upgrade = Create();
        Assert.Equal(PathUpgradeAction.None, upgrade.OnTick(0, awaitingAck: false, Rto));
        upgrade.Start(Candidate, now: 0);
        Assert.Equal(PathUpgradeState.Probing, upgrade.State);
        Assert.Equal(PathUpgradeAction.Probe, upgrade.OnTick(0, false, Rto));
        Assert.Equal(PathUpgradeAction.None, upgrade.OnTick(Interval - 1, false, Rto));
        Assert.Equal(PathUpgradeAction.Probe, upgrade.OnTick(Interval, false, Rto));
        int probes = 2;
        for (long t = Interval + 1000; t < Timeout; t += 1000)
        {
            if (upgrade.OnTick(t, false, Rto) == PathUpgradeAction.Probe)
            {
                probes++;
            }
        }

        Assert.Equal(10, probes);
        Assert.Equal(PathUpgradeAction.GaveUp, upgrade.OnTick(Timeout, false, Rto));
        Assert.Equal(PathUpgradeState.Failed, upgrade.State);
        Assert.Equal(PathUpgradeAction.None, upgrade.OnTick(Timeout + Retry - 1, false, Rto));
        Assert.Equal(PathUpgradeAction.Probe, upgrade.OnTick(Timeout + Retry, false, Rto));
        Assert.Equal(PathUpgradeState.Probing, upgrade.State);
    }

    [Fact]
    public void A_move_to_the_direct_path_ends_probing()
    {
        PathUpgrade upgrade = Create();
        upgrade.Start(Candidate, now: 0);
        upgrade.OnTick(0, false, Rto);
        upgrade.OnMovedDirect(Candidate, now: 30_000);
        Assert.Equal(PathUpgradeState.Direct, upgrade.State);
        Assert.Equal(PathUpgradeAction.None, upgrade.OnTick(Timeout * 2, awaitingAck: false, Rto)); // no timeout, no probes
    }

    [Fact]
    public void A_silent_direct_path_with_packets_awaiting_acknowledgement_falls_back_and_is_retried_after_60_s()
    {
        PathUpgrade upgrade = Create();
        upgrade.OnMovedDirect(Candidate, now: 0);
        upgrade.OnHeardDirect(1_000_000);
        Assert.Equal(PathUpgradeAction.None, upgrade.OnTick(1_000_000 + Failure - 1, awaitingAck: true, Rto));
        Assert.Equal(PathUpgradeAction.None, upgrade.OnTick(1_000_000 + (10 * Failure), awaitingAck: false, Rto)); // idle: nothing expected
        Assert.Equal(PathUpgradeAction.FallBack, upgrade.OnTick(1_000_000 + (10 * Failure), awaitingAck: true, Rto));
        Assert.Equal(1, upgrade.Fallbacks);
        Assert.Equal(PathUpgradeState.Failed, upgrade.State);
        long failedAt = 1_000_000 + (10 * Failure);
        Assert.Equal(failedAt + Retry, upgrade.RetryAt);
        Assert.Equal(PathUpgradeAction.Probe, upgrade.OnTick(failedAt + Retry, false, Rto));
    }

    [Fact]
    public void The_failure_timeout_is_at_least_three_retransmission_timeouts()
    {
        PathUpgrade upgrade = Create();
        upgrade.OnMovedDirect(Candidate, now: 0);
        long slowRto = 400_000; // 3 × 400 ms > 500 ms
        Assert.Equal(PathUpgradeAction.None, upgrade.OnTick(1_199_999, awaitingAck: true, slowRto));
        Assert.Equal(PathUpgradeAction.FallBack, upgrade.OnTick(1_200_000, awaitingAck: true, slowRto));
    }

    [Fact]
    public void Packets_through_the_relay_make_a_quiet_direct_path_fall_back_but_not_a_busy_one()
    {
        PathUpgrade upgrade = Create();
        upgrade.OnMovedDirect(Candidate, now: 0);
        upgrade.OnHeardDirect(1000);
        Assert.False(upgrade.OnRelayedPacket((Failure / 2) - 1, Rto)); // quiet for less than half the timeout
        upgrade.OnHeardDirect(Failure);
        Assert.False(upgrade.OnRelayedPacket(Failure + 1000, Rto));
        Assert.True(upgrade.OnRelayedPacket(Failure + (Failure / 2), Rto)); // the peer fell back
        Assert.Equal(PathUpgradeState.Failed, upgrade.State);
        Assert.False(upgrade.OnRelayedPacket(Failure * 10, Rto)); // once
    }

    [Fact]
    public void Packets_through_the_relay_from_a_peer_not_yet_heard_on_the_direct_path_never_make_it_fall_back()
    {
        // The link validated the direct path first; the peer's own validation is slower, and until it moves its
        // acknowledgements come through the relay. That is no sign of a dead direct path, however long it lasts.
        PathUpgrade upgrade = Create();
        upgrade.OnMovedDirect(Candidate, now: 0);
        Assert.False(upgrade.OnRelayedPacket(Failure * 10, Rto));
        Assert.Equal(PathUpgradeState.Direct, upgrade.State);
        upgrade.OnHeardDirect(Failure * 11); // it moved
        Assert.True(upgrade.OnRelayedPacket((Failure * 11) + (Failure / 2), Rto)); // and fell back
    }

    [Fact]
    public void Acknowledgements_keep_a_direct_path_alive_whichever_path_they_come_on()
    {
        PathUpgrade upgrade = Create();
        upgrade.OnMovedDirect(Candidate, now: 0);
        upgrade.OnAcknowledged(Failure - 1);
        Assert.Equal(PathUpgradeAction.None, upgrade.OnTick(Failure + 1000, awaitingAck: true, Rto));
        Assert.Equal(PathUpgradeAction.FallBack, upgrade.OnTick((Failure * 2) - 1, awaitingAck: true, Rto));
        upgrade.OnAcknowledged(Failure * 3); // failed: nothing to keep alive
        Assert.Equal(PathUpgradeState.Failed, upgrade.State);
    }

    [Fact]
    public void Starting_again_on_the_direct_path_it_is_on_changes_nothing()
    {
        PathUpgrade upgrade = Create();
        upgrade.OnMovedDirect(Candidate, now: 0);
        upgrade.Start(UdpEndpoint.Clone(Candidate), now: 10);
        Assert.Equal(PathUpgradeState.Direct, upgrade.State);
    }
}
