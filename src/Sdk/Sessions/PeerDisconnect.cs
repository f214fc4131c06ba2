namespace PeerKit;

/// <summary>Why and by whom a peer was disconnected.</summary>
/// <param name="Reason">The devp2p reason.</param>
/// <param name="IsRemote">Whether the peer sent the reason (a Disconnect message) rather than the local node deciding it.</param>
public readonly record struct PeerDisconnect(DisconnectReason Reason, bool IsRemote);
