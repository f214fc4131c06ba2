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
}
