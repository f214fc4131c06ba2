namespace PeerKit.Routing;

/// <summary>The router could not be reached (down, wrong address or id, or no answer within <see cref="RouterClientOptions.AttachTimeout"/>).</summary>
public sealed class RouterUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RouterUnavailableException(NodeAddress router, string message, Exception? inner = null)
        : base($"The router at {router} is unavailable: {message}", inner) => Router = router;

    /// <summary>The router's address.</summary>
    public NodeAddress Router { get; }
}
