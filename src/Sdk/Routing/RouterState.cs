namespace PeerKit.Routing;

/// <summary>The state of a <see cref="RouterClient"/>'s session with its router.</summary>
public enum RouterState
{
    /// <summary>Not attached yet.</summary>
    Detached = 0,

    /// <summary>The session is open: signaling, presence and rooms work.</summary>
    Attached = 1,

    /// <summary>The router went away; the client reconnects with jittered backoff and rejoins its rooms. Direct sessions keep working.</summary>
    Reconnecting = 2,

    /// <summary>The client was disposed.</summary>
    Closed = 3,
}
