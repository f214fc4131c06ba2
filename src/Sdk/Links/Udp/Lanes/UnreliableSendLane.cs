namespace PeerKit.Links.Udp;

/// <summary>
/// The send side of one unreliable lane. Frames that fit a packet of the link's base size wait whole in
/// <see cref="Whole"/>, as bytes; larger ones (fragmented, which unreliable frames are only by opt-in) wait in
/// <see cref="Pending"/>. The two are sent merged in sequence order.
/// </summary>
internal sealed class UnreliableSendLane(int cls)
{
    public readonly FrameQueue Whole = new();
    public readonly Queue<OutMessage> Pending = new();
    public readonly int Class = cls;
    public ulong NextSeq;
    public long QueuedBytes;

    /// <summary>Frames waiting in either queue.</summary>
    public int Count => Whole.Count + Pending.Count;

    /// <summary>When the oldest waiting frame was queued (<see cref="long.MaxValue"/> when none waits).</summary>
    public long OldestEnqueuedAt => Math.Min(
        Whole.Count > 0 ? Whole.PeekEnqueuedAt : long.MaxValue,
        Pending.Count > 0 ? Pending.Peek().EnqueuedAt : long.MaxValue);
}
