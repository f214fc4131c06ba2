namespace PeerKit.WifiDirect;

/// <summary>The P2P function's state, as OpenHarmony's <c>p2pStateChange</c> reports it.</summary>
public enum P2pState
{
    /// <summary>No state yet (0).</summary>
    None = 0,

    /// <summary>Idle (1).</summary>
    Idle = 1,

    /// <summary>Connecting to the supplicant (2).</summary>
    Starting = 2,

    /// <summary>Connected to the supplicant and receiving its events (3).</summary>
    Started = 3,

    /// <summary>Being closed (4).</summary>
    Closing = 4,

    /// <summary>Closed, or the supplicant went away (5).</summary>
    Closed = 5,
}
