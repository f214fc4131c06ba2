namespace PeerKit.Routing;

/// <summary>
/// A request that needs another router of the cluster could not be served: Redis is unreachable, or the router's
/// publish queue is full (<see cref="RouterClusterOptions.MaxPublishQueueBytes"/>). Traffic between clients of the same
/// router does not need Redis and is not affected. The router answers such a request with a <see cref="RouterStatus"/>
/// and this message, never silently.
/// </summary>
public sealed class ClusterUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ClusterUnavailableException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
