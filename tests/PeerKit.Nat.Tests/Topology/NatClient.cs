using System.Net;

namespace PeerKit.Nat.Tests.Topology;

/// <summary>One client of a <see cref="NatTopology"/>: its namespace, and the NAT namespace in front of it.</summary>
/// <param name="Namespace">The client's network namespace (its only way out is its NAT).</param>
/// <param name="NatNamespace">The NAT's namespace.</param>
/// <param name="Kind">How the NAT maps.</param>
/// <param name="PrivateAddress">The client's address behind the NAT.</param>
/// <param name="NatAddress">The NAT's public address: every packet of the client reaches the public side from it.</param>
internal sealed record NatClient(string Namespace, string NatNamespace, NatKind Kind, IPAddress PrivateAddress, IPAddress NatAddress);
