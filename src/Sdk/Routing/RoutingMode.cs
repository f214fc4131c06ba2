namespace PeerKit.Routing;

/// <summary>How a <see cref="RouterClient"/> reaches a peer (CLASP's <c>RoutingMode</c>), per node and per peer.</summary>
public enum RoutingMode
{
    /// <summary>Direct when a direct path validates, the router's relay otherwise (the default).</summary>
    PreferP2P = 0,

    /// <summary>Direct only: when no direct path validates within the connect timeout, the connect fails with <see cref="ConnectFailure.NoDirectPath"/>.</summary>
    P2POnly = 1,

    /// <summary>Always through the router's relay.</summary>
    ServerOnly = 2,
}
