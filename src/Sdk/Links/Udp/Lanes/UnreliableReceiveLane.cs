namespace PeerKit.Links.Udp;

/// <summary>The receive side of one unreliable lane.</summary>
internal sealed class UnreliableReceiveLane
{
    public const int MaxPartial = 8;

    private Dictionary<ulong, Reassembly>? _partial;

    /// <summary>The frames of this lane partly here (fragments), by sequence number; made on first use.</summary>
    public Dictionary<ulong, Reassembly> Partial => _partial ??= new Dictionary<ulong, Reassembly>();

    /// <summary>Whether any frame of this lane is partly here (without making the dictionary).</summary>
    public bool HasPartial => _partial is { Count: > 0 };

    public bool Sequenced;
    public bool HasDelivered;
    public ulong Newest;
    public long IncompleteDropped;

    public void Release()
    {
        if (_partial is null)
        {
            return;
        }

        foreach (Reassembly r in _partial.Values)
        {
            r.Release();
        }

        _partial.Clear();
    }
}
