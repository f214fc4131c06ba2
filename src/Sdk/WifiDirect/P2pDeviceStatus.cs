namespace PeerKit.WifiDirect;

/// <summary>A P2P device's status: OpenHarmony's <c>P2pDeviceStatus</c> (and Android's), same numbers.</summary>
public enum P2pDeviceStatus
{
    /// <summary>In a group with this device (CONNECTED, 0).</summary>
    Connected = 0,

    /// <summary>A connection was asked for and is being negotiated (INVITED, 1).</summary>
    Invited = 1,

    /// <summary>The last connection attempt failed (FAILED, 2).</summary>
    Failed = 2,

    /// <summary>Discovered and free to connect (AVAILABLE, 3).</summary>
    Available = 3,

    /// <summary>Not reachable: lost by discovery (UNAVAILABLE, 4).</summary>
    Unavailable = 4,
}
