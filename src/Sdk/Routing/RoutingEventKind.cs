namespace PeerKit.Routing;

/// <summary>The kinds of <see cref="RoutingEvent"/>: CLASP's <c>P2PEvent</c>s and the Oculus state change.</summary>
public enum RoutingEventKind
{
    /// <summary>A session with the peer came up.</summary>
    Connected = 0,

    /// <summary>A packet arrived (<see cref="RouterClient.SendPacketAsync"/> on the other side).</summary>
    Data = 1,

    /// <summary>The session with the peer ended.</summary>
    Disconnected = 2,

    /// <summary>A connect to the peer failed; <see cref="RoutingEvent.Failure"/> says why.</summary>
    ConnectionFailed = 3,

    /// <summary>The Oculus connection state changed (<see cref="ConnectionState.Connecting"/>, <see cref="ConnectionState.Connected"/>, <see cref="ConnectionState.Timeout"/>, <see cref="ConnectionState.Closed"/>).</summary>
    StateChanged = 4,
}
