namespace PeerKit.WifiDirect;

/// <summary>OpenHarmony's <c>P2pConnectState</c>.</summary>
public enum P2pConnectState
{
    /// <summary>Not in a group (DISCONNECTED, 0).</summary>
    Disconnected = 0,

    /// <summary>In a group, as owner or client (CONNECTED, 1).</summary>
    Connected = 1,
}
