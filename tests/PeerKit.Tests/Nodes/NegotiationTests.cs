using PeerKit.Sessions;

namespace PeerKit.Tests.Nodes;

/// <summary>The devp2p capability rule as a table: shared names sorted, highest shared version, contiguous ranges from 0x10.</summary>
public sealed class NegotiationTests
{
    public static TheoryData<string, string, string> Cases => new()
    {
        // local protocols (name/version/length), remote capabilities, expected "name/version@offset" list
        { "a/1/3", "b/1", "" },                                   // disjoint
        { "a/1/3,b/1/2", "b/1,c/1", "b/1@16" },                   // overlapping
        { "b/1/2,a/1/3", "a/1,b/1", "a/1@16,b/1@19" },            // sorted by name, not by listing order
        { "a/1/3,a/2/5,a/3/1", "a/1,a/2", "a/2@16" },             // several versions: highest shared wins
        { "a/2/5,b/1/1", "a/1,a/2,a/3,b/1", "a/2@16,b/1@21" },    // the remote's extra versions do not matter
        { "eth/67/17,eth/68/17,snap/1/8", "eth/68,snap/1", "eth/68@16,snap/1@33" }, // go-ethereum's layout
        { "a/1/1", "", "" },                                      // the remote runs nothing
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Shared_protocols_get_contiguous_code_ranges(string local, string remote, string expected)
    {
        IProtocol[] protocols = [.. Split(local).Select(p =>
        {
            string[] parts = p.Split('/');
            return (IProtocol)new FakeProtocol(parts[0], int.Parse(parts[1]), int.Parse(parts[2]));
        })];
        Capability[] capabilities = [.. Split(remote).Select(c => new Capability(c.Split('/')[0], int.Parse(c.Split('/')[1])))];

        IReadOnlyList<(IProtocol Protocol, int Offset)> shared = Negotiation.Match(protocols, capabilities);
        Assert.Equal(expected, string.Join(",", shared.Select(s => $"{s.Protocol.Descriptor}@{s.Offset}")));
    }

    [Fact]
    public void Capabilities_order_by_ordinal_name_then_version()
    {
        Capability[] sorted = [new("b", 1), new("B", 2), new("a", 2), new("a", 1)];
        Array.Sort(sorted);
        Assert.Equal(["B/2", "a/1", "a/2", "b/1"], sorted.Select(c => c.ToString()));
    }

    private static IEnumerable<string> Split(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries);

    private sealed class FakeProtocol(string name, int version, int length) : IProtocol
    {
        public ProtocolDescriptor Descriptor { get; } = new(name, version, length, -1, []);
    }
}
