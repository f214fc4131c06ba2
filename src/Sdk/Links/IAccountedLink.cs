using PeerKit.Memory;

namespace PeerKit.Links;

/// <summary>A link whose receive side charges what it holds to a peer's share of the node's memory budget.</summary>
internal interface IAccountedLink
{
    /// <summary>Charges what the link holds from now on (and, for partial frames, already holds) to <paramref name="account"/>.</summary>
    void ChargeTo(MemoryAccount account);
}
