namespace PeerKit.Routing;

/// <summary>What the router answered to a control request (on the wire in <see cref="RouterProtocol"/>).</summary>
public enum RouterStatus
{
    /// <summary>Done.</summary>
    Ok = 0,

    /// <summary>The session needs a valid access token, and none was given or its MAC is wrong.</summary>
    Unauthorised = 1,

    /// <summary>The access token has expired.</summary>
    Expired = 2,

    /// <summary>The request came before the session was opened (<see cref="RouterProtocol.Open"/>).</summary>
    NotOpen = 3,

    /// <summary>The target is unknown or offline, or refused without letting the caller know.</summary>
    Unavailable = 4,

    /// <summary>The target refused the connection and let the caller know.</summary>
    Refused = 5,

    /// <summary>Not sent by this router: a target that does not answer in time is reported as <see cref="Unavailable"/>, so that it is not revealed as online. Kept so the numbers stay stable.</summary>
    Timeout = 6,

    /// <summary>The client sent more signaling than its rate allows; the request was not served.</summary>
    Throttled = 7,

    /// <summary>The request was malformed (a node id that is not 32 bytes, a bad room name, too many addresses…).</summary>
    Malformed = 8,

    /// <summary>A room with that name exists already.</summary>
    RoomExists = 9,

    /// <summary>No room has that name.</summary>
    NoSuchRoom = 10,

    /// <summary>The room has as many members as the router allows.</summary>
    RoomFull = 11,

    /// <summary>The client is not a member of that room.</summary>
    NotInRoom = 12,

    /// <summary>The router is at a limit (sessions, rooms, pending requests); try later.</summary>
    Busy = 13,

    /// <summary>The request needs another router of the router's cluster and the cluster cannot be reached now (its Redis is down, or the router's queue to it is full); requests between clients of the same router are not affected. Try again.</summary>
    ClusterUnavailable = 14,

    /// <summary>
    /// A connect answer: the target is connecting to the caller at the same time (both asked at once) and keeps its own
    /// request (the smaller node id does); the caller waits for the target's session (<c>RouterClient</c> does so).
    /// </summary>
    Crossed = 15,
}
