namespace PeerKit.WifiDirect;

/// <summary>The kinds of <see cref="WifiP2pEvent"/>: OpenHarmony's <c>on(type)</c> names, and the group node's.</summary>
public enum WifiP2pEventKind
{
    /// <summary><c>p2pStateChange</c>: <see cref="WifiP2pEvent.State"/>.</summary>
    StateChange,

    /// <summary><c>p2pConnectionChange</c>: <see cref="WifiP2pEvent.LinkedInfo"/>.</summary>
    ConnectionChange,

    /// <summary><c>p2pDeviceChange</c>: this device changed (<see cref="WifiP2pEvent.Device"/>).</summary>
    DeviceChange,

    /// <summary><c>p2pPeerDeviceChange</c>: the peer list changed (<see cref="WifiP2pEvent.Devices"/>).</summary>
    PeerDeviceChange,

    /// <summary><c>p2pPersistentGroupChange</c>: a persistent group was formed or removed.</summary>
    PersistentGroupChange,

    /// <summary><c>p2pDiscoveryChange</c>: <see cref="WifiP2pEvent.DiscoveryState"/>.</summary>
    DiscoveryChange,

    /// <summary>PeerKit: the node over the group is listening (<see cref="WifiP2pEvent.Node"/>).</summary>
    GroupNodeStarted,

    /// <summary>PeerKit: the node over the group could not start or connect (<see cref="WifiP2pEvent.Error"/>).</summary>
    GroupNodeFailed,
}
