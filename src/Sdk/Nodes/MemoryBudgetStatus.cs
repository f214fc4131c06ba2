namespace PeerKit;

/// <summary>
/// A snapshot of a node's memory budget (<see cref="PeerNode.MemoryStatus"/>): what its peers make it hold in link
/// receive queues, partial and reordered UDP frames, and session queues, in bytes counted as each frame's length plus 64.
/// </summary>
public readonly record struct MemoryBudgetStatus
{
    /// <summary>The budget: <see cref="PeerNodeOptions.MemoryBudgetBytes"/>.</summary>
    public long Limit { get; init; }

    /// <summary>The bytes held now.</summary>
    public long Used { get; init; }

    /// <summary>The most bytes held at once since the node was created.</summary>
    public long Peak { get; init; }

    /// <summary>How many times data or a new peer was refused because the budget was spent (a link stopping reading
    /// counts once per wait; a UDP packet deferred or unreliable frames dropped count once per packet).</summary>
    public long RefusedCount { get; init; }

    /// <summary>How many peers were disconnected with <see cref="DisconnectReason.MemoryBudgetExceeded"/> for holding
    /// the most (<see cref="MemoryBudgetPolicy.DropLargestPeer"/>).</summary>
    public long EvictedCount { get; init; }
}
