namespace PeerKit.WifiDirect;

/// <summary>One Wi-Fi P2P event, as <see cref="WifiP2p.ReadEventsAsync"/> yields them; the .NET events carry the same payloads.</summary>
public sealed record WifiP2pEvent
{
    /// <summary>What happened.</summary>
    public required WifiP2pEventKind Kind { get; init; }

    /// <summary>For <see cref="WifiP2pEventKind.StateChange"/>.</summary>
    public P2pState State { get; init; }

    /// <summary>For <see cref="WifiP2pEventKind.ConnectionChange"/>.</summary>
    public WifiP2pLinkedInfo? LinkedInfo { get; init; }

    /// <summary>For <see cref="WifiP2pEventKind.DeviceChange"/>: this device.</summary>
    public WifiP2pDevice? Device { get; init; }

    /// <summary>For <see cref="WifiP2pEventKind.PeerDeviceChange"/>: every known peer.</summary>
    public IReadOnlyList<WifiP2pDevice> Devices { get; init; } = [];

    /// <summary>For <see cref="WifiP2pEventKind.DiscoveryChange"/>.</summary>
    public P2pDiscoveryState DiscoveryState { get; init; }

    /// <summary>For connection and group changes: the group, when one is up.</summary>
    public WifiP2pGroupInfo? Group { get; init; }

    /// <summary>
    /// Why, when the supplicant said: a group removal's reason (<c>REQUESTED</c>, <c>IDLE</c>, <c>FORMATION_FAILED</c>…),
    /// a failed negotiation's status (<c>status=1</c>), or <c>SUPPLICANT_GONE</c>.
    /// </summary>
    public string Reason { get; init; } = "";

    /// <summary>For <see cref="WifiP2pEventKind.GroupNodeStarted"/>: the node running over the group.</summary>
    public PeerNode? Node { get; init; }

    /// <summary>For <see cref="WifiP2pEventKind.GroupNodeFailed"/>.</summary>
    public Exception? Error { get; init; }
}
