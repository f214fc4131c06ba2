using PeerKit.Sessions;

namespace PeerKit;

/// <summary>What <see cref="SessionHandshake.ExchangeAsync"/> found: the remote's hello and the shared protocols, or a refusal.</summary>
/// <param name="Remote">The remote's hello, when accepted.</param>
/// <param name="Shared">The negotiated protocols and their code offsets.</param>
/// <param name="Refusal">Why the session cannot go on, or <c>null</c>.</param>
/// <param name="IsRemote">Whether the refusal came from the remote (its Disconnect).</param>
internal sealed record HelloOutcome(BaseProtocol.Hello? Remote, IReadOnlyList<(IProtocol Protocol, int Offset)> Shared, DisconnectReason? Refusal, bool IsRemote)
{
    public static HelloOutcome Refuse(DisconnectReason reason, bool isRemote = false) => new(null, [], reason, isRemote);
}
