namespace PeerKit.Routing;

/// <summary>The router side of a <see cref="IRouterBackplane"/>: what other routers send arrives here.</summary>
internal interface IRouterBackplaneHost
{
    /// <summary>A caller on another router asks to connect to a node of this router.</summary>
    void OnConnectRequest(ClusterProtocol.ConnectRequest request);

    /// <summary>Another router answers a connect request this router sent.</summary>
    void OnConnectAnswer(ClusterProtocol.ConnectAnswer answer);

    /// <summary>A room changed; tell the named members this router holds.</summary>
    void OnRoomNotice(ClusterProtocol.RoomNotice notice);

    /// <summary>A relayed datagram from another router, for a cluster-side relay channel of this router.</summary>
    void OnRelay(ReadOnlySpan<byte> datagram);
}
