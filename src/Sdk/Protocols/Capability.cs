namespace PeerKit;

/// <summary>A protocol name and version as announced in the hello (devp2p's <c>Cap</c>).</summary>
/// <param name="Name">The protocol name.</param>
/// <param name="Version">The protocol version.</param>
[Message]
public readonly partial record struct Capability(string Name, int Version) : IComparable<Capability>
{
    /// <summary>Orders by name (ordinal), then by version: the order negotiation assigns code ranges in.</summary>
    public int CompareTo(Capability other)
    {
        int byName = string.CompareOrdinal(Name, other.Name);
        return byName != 0 ? byName : Version.CompareTo(other.Version);
    }

    /// <summary><c>name/version</c>, as in <c>eth/68</c>.</summary>
    public override string ToString() => $"{Name}/{Version}";
}
