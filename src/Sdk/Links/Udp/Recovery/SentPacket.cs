namespace PeerKit.Links.Udp;

/// <summary>An ack-eliciting packet in flight.</summary>
internal sealed class SentPacket
{
    public readonly List<ChunkRef> Chunks = new();
    public ulong Pn;

    /// <summary>Bytes in flight when it was sent (this packet included): the window only grows when it was used.</summary>
    public long InFlightAtSend;
    public long SentAt;
    public int Size;
    public long DeliveredAtSend;
    public long DeliveredTimeAtSend;
}
