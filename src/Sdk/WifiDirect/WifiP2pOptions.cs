namespace PeerKit.WifiDirect;

/// <summary>Where the supplicant is, and how the node over the group runs.</summary>
/// <example>
/// <code>
/// await using var p2p = await WifiP2p.OpenAsync(new WifiP2pOptions
/// {
///     ControlPath = "/run/wpa_supplicant/wlan0",
///     Node = () => new PeerNodeOptions { Name = "phone", Protocols = { new ChatProtocol() } },
/// });
/// </code>
/// </example>
public sealed class WifiP2pOptions
{
    /// <summary>
    /// The supplicant's control socket: a per-interface socket (<c>/run/wpa_supplicant/wlan0</c>, or
    /// <c>p2p-dev-wlan0</c> for a dedicated P2P device) or the global one (<c>wpa_supplicant -g</c>).
    /// </summary>
    public string ControlPath { get; set; } = "/run/wpa_supplicant/wlan0";

    /// <summary>On the global socket, the P2P interface commands are addressed to (<c>IFNAME=</c>); null: none.</summary>
    public string? InterfaceName { get; set; }

    /// <summary>Where this process binds its own client sockets; null: <c>/tmp</c>.</summary>
    public string? ClientDirectory { get; set; }

    /// <summary>How long a command waits for its reply. Default 3 s.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>After this long without an event the supplicant is pinged, to notice one that went away. Default 2 s.</summary>
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Events kept per subscriber and for the callbacks; beyond it the oldest are dropped and counted. Default 1024.</summary>
    public int EventQueueCapacity { get; set; } = 1024;

    /// <summary>
    /// The node over the group: called once a group is up, for a fresh node's options (name, identity, protocols).
    /// PeerKit adds a listen address on the group interface and, on a client, dials the owner. Null: no node.
    /// </summary>
    public Func<PeerNodeOptions>? Node { get; set; }

    /// <summary>The port the group node listens on (both sides use it, so a client knows where to dial). Default 30333.</summary>
    public int NodePort { get; set; } = 30333;

    /// <summary>The group node's transport: <c>tcp</c> (default) or <c>udp</c>.</summary>
    public string NodeScheme { get; set; } = NodeAddress.Tcp;

    /// <summary>How long to wait for the group interface to get its address and for the owner's node to answer. Default 20 s.</summary>
    public TimeSpan NodeStartTimeout { get; set; } = TimeSpan.FromSeconds(20);

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(ControlPath);
        if (CommandTimeout <= TimeSpan.Zero || CommandTimeout > TimeSpan.FromMinutes(5))
        {
            throw new ArgumentOutOfRangeException(nameof(CommandTimeout), CommandTimeout, "between 0 and 5 minutes");
        }

        if (HealthCheckInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(HealthCheckInterval), HealthCheckInterval, "must be positive");
        }

        if (EventQueueCapacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(EventQueueCapacity), EventQueueCapacity, "at least 1");
        }

        if (NodePort is < 1 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(NodePort), NodePort, "1 to 65535");
        }

        if (NodeScheme is not (NodeAddress.Tcp or NodeAddress.Udp))
        {
            throw new ArgumentException($"NodeScheme must be '{NodeAddress.Tcp}' or '{NodeAddress.Udp}', not '{NodeScheme}'.", nameof(NodeScheme));
        }

        if (NodeStartTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(NodeStartTimeout), NodeStartTimeout, "must be positive");
        }
    }
}
