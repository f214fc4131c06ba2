namespace PeerKit;

/// <summary>What a <see cref="PeerNode"/> does when its peers hold all of <see cref="PeerNodeOptions.MemoryBudgetBytes"/>.</summary>
public enum MemoryBudgetPolicy
{
    /// <summary>
    /// Refuse new data and new peers until the application has taken enough: links stop reading (TCP) or leave
    /// reliable packets unacknowledged so they are sent again later (UDP), unreliable frames are dropped and counted,
    /// and a new peer is refused with <see cref="DisconnectReason.MemoryBudgetExceeded"/>. No peer is dropped, but a
    /// peer whose messages nobody reads stalls the others.
    /// </summary>
    Refuse,

    /// <summary>
    /// Refuse new data as <see cref="Refuse"/> does, and disconnect the peer holding the most bytes with
    /// <see cref="DisconnectReason.MemoryBudgetExceeded"/> (one at a time: the next only once the first has given its
    /// bytes back). New peers are admitted. The default: one peer cannot stall the node for the others.
    /// </summary>
    DropLargestPeer,
}
