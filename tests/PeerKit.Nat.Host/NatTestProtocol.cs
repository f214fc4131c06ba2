namespace PeerKit.Nat.Host;

/// <summary>The host's protocol: numbered messages, each recorded per sending peer.</summary>
[Protocol("nat-test", Version = 1)]
[ProtocolMessage(typeof(Numbered))]
public sealed partial class NatTestProtocol
{
    /// <summary>What arrived from each peer.</summary>
    public ReceivedStreams Received { get; } = new();

    [Handler]
    private void OnNumbered(Peer peer, Numbered message) => Received.Record(peer.Id, message.Sequence);
}
