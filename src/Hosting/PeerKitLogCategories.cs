namespace PeerKit.Hosting;

/// <summary>
/// The <c>ILogger</c> categories PeerKit.Hosting writes to, one per layer, so each can be filtered on its own
/// (<c>"Logging": { "LogLevel": { "PeerKit.Links": "Warning" } }</c>).
/// </summary>
public static class PeerKitLogCategories
{
    /// <summary>The node: start, stop, peers added and dropped for ordinary reasons.</summary>
    public const string Node = "PeerKit.Node";

    /// <summary>Sessions: protocol breaches, failed negotiation, timeouts, identity mismatches.</summary>
    public const string Sessions = "PeerKit.Sessions";

    /// <summary>The TCP transport: link errors on tcp:// peers.</summary>
    public const string Tcp = "PeerKit.Links.Tcp";

    /// <summary>The UDP transport: link errors on udp:// peers.</summary>
    public const string Udp = "PeerKit.Links.Udp";

    /// <summary>Other transports (in-process links, and those added later).</summary>
    public const string Links = "PeerKit.Links";
}
