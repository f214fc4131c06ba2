namespace PeerKit.Links.Udp;

/// <summary>The receive side of one unreliable lane.</summary>
internal sealed class UnreliableReceiveLane
{
    public const int MaxPartial = 8;

    public readonly Dictionary<ulong, Reassembly> Partial = new();
    public bool Sequenced;
    public bool HasDelivered;
    public ulong Newest;
    public long IncompleteDropped;

    public void Release()
    {
        foreach (Reassembly r in Partial.Values)
        {
            r.Release();
        }

        Partial.Clear();
    }
}
