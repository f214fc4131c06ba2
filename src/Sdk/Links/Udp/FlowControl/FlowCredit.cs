namespace PeerKit.Links.Udp;

/// <summary>
/// Flow control of reliable frames (see <see cref="UdpLinkOptions.ReceiveWindow"/>), in <see cref="LinkInbox"/> cost
/// units (a frame's bytes plus <see cref="LinkInbox.FrameCost"/>). Sending: the peer's latest limit on the cost of
/// frames started, and what was started; a frame starts only while the limit is above what was started, and one
/// started is finished. Receiving: the consumed cost last advertised (the limit granted is that plus the window),
/// and whether a new grant is owed. Owned by one link and used under its lock, except <see cref="ShouldGrant"/> and
/// <see cref="TryQueueGrant"/>, which the application's thread calls as it consumes frames.
/// </summary>
internal sealed class FlowCredit
{
    private readonly long _window;
    private readonly bool _ignorePeer;
    private long _advertisedConsumed;
    private int _grantQueued;

    /// <param name="window">This side's receive window, in cost units.</param>
    /// <param name="peerLimit">The peer's first limit (its window, from the handshake).</param>
    /// <param name="ignorePeer">Send regardless of the peer's limit (tests of a misbehaving peer).</param>
    public FlowCredit(long window, long peerLimit, bool ignorePeer)
    {
        _window = window;
        PeerLimit = peerLimit;
        _ignorePeer = ignorePeer;
    }

    /// <summary>The peer's limit on the cost of frames started, in all.</summary>
    public long PeerLimit { get; private set; }

    /// <summary>The cost of frames started, in all.</summary>
    public long Started { get; private set; }

    /// <summary>What may still be started.</summary>
    public long Available => Math.Max(0, PeerLimit - Started);

    /// <summary>A frame could not start for want of credit since the last grant.</summary>
    public bool Blocked { get; private set; }

    /// <summary>A grant is owed to the peer (sent with the next acknowledgement).</summary>
    public bool GrantPending { get; set; }

    /// <summary>Whether a new frame may start.</summary>
    public bool CanStart => Started < PeerLimit || _ignorePeer;

    /// <summary>Starts a frame of <paramref name="length"/> bytes if credit allows; else marks the sender blocked.</summary>
    public bool TryStart(int length)
    {
        if (!CanStart)
        {
            Blocked = true;
            return false;
        }

        Started += LinkInbox.FrameCost + length;
        return true;
    }

    /// <summary>An ACK frame carried the peer's limit; a larger one unblocks.</summary>
    public void OnPeerLimit(long limit)
    {
        if (limit > PeerLimit)
        {
            PeerLimit = limit;
            Blocked = false;
        }
    }

    /// <summary>Whether consuming up to <paramref name="consumed"/> warrants a new grant: half the window was consumed
    /// since the last one (any thread).</summary>
    public bool ShouldGrant(long consumed) => consumed - Volatile.Read(ref _advertisedConsumed) >= _window / 2;

    /// <summary>Claims the right to queue a grant; false when one is queued already (any thread).</summary>
    public bool TryQueueGrant() => Interlocked.Exchange(ref _grantQueued, 1) == 0;

    /// <summary>The limit to advertise now that <paramref name="consumed"/> was consumed; the grant is no longer owed.</summary>
    public ulong Advertise(long consumed)
    {
        Volatile.Write(ref _advertisedConsumed, consumed);
        GrantPending = false;
        Volatile.Write(ref _grantQueued, 0);
        return (ulong)(consumed + _window);
    }
}
