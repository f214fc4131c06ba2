using System.Collections.Concurrent;

namespace PeerKit;

/// <summary>
/// Where known nodes can be dialed, by id: static peers and <see cref="PeerNode.AddAddress"/> always, and the
/// addresses learned from peers (a dialed address, an inbound peer's IP with its announced listen port) up to a
/// bound, so that peers with fresh keys cannot grow it without limit.
/// </summary>
internal sealed class AddressBook(int maxLearned)
{
    private readonly ConcurrentDictionary<NodeId, NodeAddress> _addresses = new();

    /// <summary>Records an address given by the user; never refused.</summary>
    public void Add(NodeAddress address)
    {
        if (address.Id is { } id)
        {
            _addresses[id] = address;
        }
    }

    /// <summary>Records or updates an address learned from a session, unless the book is full of other nodes.</summary>
    public void Learn(NodeAddress address)
    {
        if (address.Id is { } id && (_addresses.ContainsKey(id) || _addresses.Count < maxLearned))
        {
            _addresses[id] = address;
        }
    }

    /// <summary>The address last known for <paramref name="id"/>.</summary>
    public bool TryGet(NodeId id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out NodeAddress? address) => _addresses.TryGetValue(id, out address);

    /// <summary>How many nodes the book knows.</summary>
    public int Count => _addresses.Count;
}
