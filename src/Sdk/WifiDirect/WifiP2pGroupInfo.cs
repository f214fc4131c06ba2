namespace PeerKit.WifiDirect;

/// <summary>
/// The current group: OpenHarmony's <c>WifiP2pGroupInfo</c> (isP2pGo, ownerInfo, passphrase, interface, groupName,
/// networkId, frequency, clientDevices, goIpAddress), plus the client's own address (<c>gcIpAddress</c>).
/// </summary>
public sealed record WifiP2pGroupInfo
{
    /// <summary>Whether this device is the group owner.</summary>
    public bool IsP2pGo { get; init; }

    /// <summary>The group owner.</summary>
    public required WifiP2pDevice OwnerInfo { get; init; }

    /// <summary>The group's passphrase, when the supplicant reported it (the owner's side, or a persistent group).</summary>
    public string Passphrase { get; init; } = "";

    /// <summary>The group's network interface, e.g. <c>p2p-wlan0-0</c>.</summary>
    public required string Interface { get; init; }

    /// <summary>The group's SSID, e.g. <c>DIRECT-3F</c>.</summary>
    public string GroupName { get; init; } = "";

    /// <summary>−1 for a temporary group, −2 for a persistent one (wpa_supplicant's network id is not in its event).</summary>
    public int NetworkId { get; init; } = WifiP2PConfig.TemporaryNetId;

    /// <summary>The operating frequency in MHz (e.g. 2437), or 0 if unknown.</summary>
    public int Frequency { get; init; }

    /// <summary>The clients in the group (on the owner's side, as they associate).</summary>
    public IReadOnlyList<WifiP2pDevice> ClientDevices { get; init; } = [];

    /// <summary>The group owner's IP address, or empty while unknown.</summary>
    public string GoIpAddress { get; init; } = "";

    /// <summary>This client's own IP address in the group (OpenHarmony's <c>gcIpAddress</c>), or empty on the owner.</summary>
    public string GcIpAddress { get; init; } = "";
}
