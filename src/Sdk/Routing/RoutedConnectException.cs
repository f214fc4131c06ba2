namespace PeerKit.Routing;

/// <summary>A connect through the router failed; <see cref="Failure"/> says why.</summary>
public sealed class RoutedConnectException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RoutedConnectException(NodeId peerId, ConnectFailure failure, string detail, Exception? inner = null)
        : base($"Connecting to node {peerId:s} failed: {failure}. {detail}", inner)
    {
        PeerId = peerId;
        Failure = failure;
    }

    /// <summary>The node the connect was for.</summary>
    public NodeId PeerId { get; }

    /// <summary>Why it failed.</summary>
    public ConnectFailure Failure { get; }
}
