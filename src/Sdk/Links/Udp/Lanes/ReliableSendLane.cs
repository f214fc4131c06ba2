namespace PeerKit.Links.Udp;

/// <summary>The send side of one reliable lane.</summary>
internal sealed class ReliableSendLane
{
    public readonly Queue<OutMessage> Unsent = new();
    public readonly Queue<OutMessage> Inflight = new();
    public readonly Queue<ChunkRef> Retransmit = new();
    public ulong NextSeq;
    public long QueuedBytes;
    public int QueuedCount;

    /// <summary>Gives back the arrays of the queues that are empty (after a burst, they keep their largest size).</summary>
    public void TrimExcess()
    {
        if (Unsent.Count == 0)
        {
            Unsent.TrimExcess();
        }

        if (Inflight.Count == 0)
        {
            Inflight.TrimExcess();
        }

        if (Retransmit.Count == 0)
        {
            Retransmit.TrimExcess();
        }
    }
}
