namespace PeerKit.WifiDirect;

/// <summary>OpenHarmony's <c>WifiP2pLinkedInfo</c>: whether this device is in a group, and the owner's address.</summary>
/// <param name="ConnectState">Disconnected 0, connected 1.</param>
/// <param name="IsGroupOwner">Whether this device owns the group.</param>
/// <param name="GroupOwnerAddr">The group owner's IP address (e.g. <c>192.168.49.1</c>), or empty when unknown or disconnected.</param>
public sealed record WifiP2pLinkedInfo(P2pConnectState ConnectState, bool IsGroupOwner, string GroupOwnerAddr)
{
    /// <summary>Not in a group.</summary>
    public static WifiP2pLinkedInfo Disconnected { get; } = new(P2pConnectState.Disconnected, false, "");
}
