namespace PeerKit.WifiDirect;

/// <summary>What OpenHarmony's <c>p2pDiscoveryChange</c> reports: 0 stopped, 1 started.</summary>
public enum P2pDiscoveryState
{
    /// <summary>Not discovering (0).</summary>
    Stopped = 0,

    /// <summary>Discovering devices (1).</summary>
    Started = 1,
}
