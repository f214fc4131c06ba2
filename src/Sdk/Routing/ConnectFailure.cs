namespace PeerKit.Routing;

/// <summary>Why a connect through the router failed (<see cref="RoutingEventKind.ConnectionFailed"/>, <see cref="RoutedConnectException"/>).</summary>
public enum ConnectFailure
{
    /// <summary>The node is unknown or offline, or refused without letting the caller know (the router says the same for all three).</summary>
    Unavailable = 0,

    /// <summary>The node refused and let the caller know.</summary>
    Refused = 1,

    /// <summary>Nothing connected within the connect timeout (<see cref="RouterClientOptions.ConnectTimeout"/>).</summary>
    Timeout = 2,

    /// <summary>No direct path validated and the routing mode does not allow the relay (<see cref="RoutingMode.P2POnly"/>).</summary>
    NoDirectPath = 3,

    /// <summary>The routing mode asks for the relay (<see cref="RoutingMode.ServerOnly"/>) and the router bound no relay channel: it does not relay, its relay is full, or a client is not on UDP.</summary>
    RelayUnavailable = 4,

    /// <summary>The client is not attached to its router (it is reconnecting, or was closed).</summary>
    RouterUnavailable = 5,

    /// <summary>The router throttled this client's signaling; try later.</summary>
    Throttled = 6,

    /// <summary>The router refused the request (busy or malformed); the detail says why.</summary>
    RouterRefused = 7,

    /// <summary>The node is on another router of the router's cluster, and the cluster cannot be reached now (its Redis is down); nodes of the same router still connect. Try again.</summary>
    ClusterUnavailable = 8,
}
