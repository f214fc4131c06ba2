namespace PeerKit.Sessions;

/// <summary>Capability negotiation by the devp2p rule.</summary>
internal static class Negotiation
{
    /// <summary>
    /// Matches the local protocols with the remote capabilities: for every name both have, the highest version both
    /// have; shared protocols sorted by name get contiguous code ranges from 0x10, each as long as its <c>Length</c>.
    /// </summary>
    /// <returns>The shared protocols in code order (empty when nothing is shared).</returns>
    public static IReadOnlyList<(IProtocol Protocol, int Offset)> Match(IReadOnlyList<IProtocol> local, IReadOnlyList<Capability> remote)
    {
        var remoteSet = new HashSet<Capability>(remote);
        var best = new SortedDictionary<string, IProtocol>(StringComparer.Ordinal);
        foreach (IProtocol protocol in local)
        {
            ProtocolDescriptor descriptor = protocol.Descriptor;
            if (!remoteSet.Contains(descriptor.Capability))
            {
                continue;
            }

            if (!best.TryGetValue(descriptor.Name, out IProtocol? current) || current.Descriptor.Version < descriptor.Version)
            {
                best[descriptor.Name] = protocol;
            }
        }

        var result = new List<(IProtocol, int)>(best.Count);
        int offset = BaseProtocol.FirstSubprotocolCode;
        foreach (IProtocol protocol in best.Values)
        {
            result.Add((protocol, offset));
            offset += protocol.Descriptor.Length;
        }

        return result;
    }
}
