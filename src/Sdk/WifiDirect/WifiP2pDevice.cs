namespace PeerKit.WifiDirect;

/// <summary>
/// A P2P device: OpenHarmony's <c>WifiP2pDevice</c> (deviceName, deviceAddress, deviceAddressType, primaryDeviceType,
/// deviceStatus, groupCapabilities).
/// </summary>
/// <param name="DeviceName">The device's name, e.g. "Bob's phone".</param>
/// <param name="DeviceAddress">The P2P device address, <c>xx:xx:xx:xx:xx:xx</c>.</param>
/// <param name="PrimaryDeviceType">The WPS primary device type, e.g. <c>10-0050F204-5</c> (a phone).</param>
/// <param name="DeviceStatus">Connected 0, Invited 1, Failed 2, Available 3, Unavailable 4.</param>
/// <param name="GroupCapabilities">The P2P group capability bitmap (bit 0: is a group owner; bit 1: persistent group; …).</param>
public sealed record WifiP2pDevice(
    string DeviceName,
    string DeviceAddress,
    string PrimaryDeviceType,
    P2pDeviceStatus DeviceStatus,
    int GroupCapabilities)
{
    /// <summary>Whether <see cref="DeviceAddress"/> is the real address; wpa_supplicant reports real device addresses.</summary>
    public DeviceAddressType DeviceAddressType { get; init; } = DeviceAddressType.RealDeviceAddress;

    /// <summary>Whether the device currently owns a group (group capability bit 0).</summary>
    public bool IsGroupOwner => (GroupCapabilities & 0x01) != 0;
}
