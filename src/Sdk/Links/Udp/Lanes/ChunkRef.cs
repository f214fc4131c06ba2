namespace PeerKit.Links.Udp;

/// <summary>A reliable chunk carried by a packet: the message (checked by generation, as messages are pooled) and the chunk index.</summary>
internal readonly record struct ChunkRef(OutMessage Message, int Generation, int Chunk)
{
    public bool IsLive => Message.Generation == Generation && !Message.Done && !Message.IsAcked(Chunk);
}
