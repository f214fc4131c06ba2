using PeerKit.Links;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>Flow credit on both sides of a link, alone.</summary>
public sealed class FlowCreditTests
{
    [Fact]
    public void Frames_start_while_the_peers_limit_lasts_then_the_sender_is_blocked_until_more_is_granted()
    {
        var credit = new FlowCredit(window: 10_000, peerLimit: 0, ignorePeer: false);
        long frameCost = LinkInbox.FrameCost;
        credit.OnPeerLimit(1_000);
        Assert.True(credit.TryStart(100)); // a frame costs its bytes plus LinkInbox.FrameCost
        Assert.Equal(100 + frameCost, credit.Started);
        Assert.Equal(1_000 - 100 - frameCost, credit.Available);
        Assert.True(credit.TryStart(5_000)); // any credit left starts a frame, however large: one started is finished
        Assert.Equal(0, credit.Available);
        Assert.False(credit.Blocked);
        Assert.False(credit.TryStart(0));
        Assert.True(credit.Blocked);
        Assert.False(credit.CanStart);
        credit.OnPeerLimit(500); // an old, smaller limit changes nothing
        Assert.True(credit.Blocked);
        credit.OnPeerLimit(credit.Started + 1_000);
        Assert.False(credit.Blocked);
        Assert.True(credit.TryStart(100));
    }

    [Fact]
    public void A_sender_told_to_ignore_the_peer_never_blocks()
    {
        var credit = new FlowCredit(window: 10_000, peerLimit: 0, ignorePeer: true);
        for (int i = 0; i < 100; i++)
        {
            Assert.True(credit.TryStart(1_000));
        }

        Assert.False(credit.Blocked);
    }

    [Fact]
    public void The_receiver_grants_after_half_the_window_is_consumed_and_advertises_consumed_plus_window()
    {
        var credit = new FlowCredit(window: 10_000, peerLimit: 0, ignorePeer: false);
        Assert.False(credit.ShouldGrant(4_999));
        Assert.True(credit.ShouldGrant(5_000));
        Assert.True(credit.TryQueueGrant());
        Assert.False(credit.TryQueueGrant()); // queued once until advertised
        credit.GrantPending = true;
        Assert.Equal(15_000UL, credit.Advertise(5_000));
        Assert.False(credit.GrantPending);
        Assert.False(credit.ShouldGrant(9_999));
        Assert.True(credit.ShouldGrant(10_000));
        Assert.True(credit.TryQueueGrant());
    }
}
