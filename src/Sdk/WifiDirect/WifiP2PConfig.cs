namespace PeerKit.WifiDirect;

/// <summary>
/// What to connect to, or how to create a group: OpenHarmony's <c>WifiP2PConfig</c> (deviceAddress, deviceAddressType,
/// netId, passphrase, groupName, goBand). The capital "2P" is OpenHarmony's spelling.
/// </summary>
/// <example>
/// <code>
/// await p2p.CreateGroupAsync(new WifiP2PConfig { NetId = WifiP2PConfig.PersistentNetId, GoBand = GroupOwnerBand.Auto });
/// await p2p.P2pConnectAsync(new WifiP2PConfig { DeviceAddress = device.DeviceAddress });
/// </code>
/// </example>
public sealed record WifiP2PConfig
{
    /// <summary><see cref="NetId"/> for a temporary group: negotiation happens again next time (−1).</summary>
    public const int TemporaryNetId = -1;

    /// <summary><see cref="NetId"/> for a persistent group: reconnects skip GO and WPS negotiation (−2).</summary>
    public const int PersistentNetId = -2;

    /// <summary>The peer's device address (for connect); ignored by create.</summary>
    public string DeviceAddress { get; init; } = "";

    /// <summary>Whether <see cref="DeviceAddress"/> is random or real; informational for wpa_supplicant.</summary>
    public DeviceAddressType DeviceAddressType { get; init; } = DeviceAddressType.RealDeviceAddress;

    /// <summary>−1 temporary, −2 persistent, or the id (≥ 0) of a stored persistent group to re-invoke.</summary>
    public int NetId { get; init; } = TemporaryNetId;

    /// <summary>
    /// The passphrase (8 to 63 characters), or empty. wpa_supplicant generates a group's passphrase itself; PeerKit
    /// checks this one and reports the real one in <see cref="WifiP2pGroupInfo.Passphrase"/>.
    /// </summary>
    public string Passphrase { get; init; } = "";

    /// <summary>
    /// The group name, or empty. wpa_supplicant names groups <c>DIRECT-xy</c>; PeerKit checks this one (at most 32 bytes)
    /// and reports the real SSID in <see cref="WifiP2pGroupInfo.GroupName"/>.
    /// </summary>
    public string GroupName { get; init; } = "";

    /// <summary>The group owner's band: auto 0, 2.4 GHz 1, 5 GHz 2.</summary>
    public GroupOwnerBand GoBand { get; init; } = GroupOwnerBand.Auto;

    /// <summary>
    /// How much this device wants to be the group owner in GO negotiation, 0–15 (Android's groupOwnerIntent), or −1
    /// for the supplicant's default.
    /// </summary>
    public int GroupOwnerIntent { get; init; } = -1;
}
