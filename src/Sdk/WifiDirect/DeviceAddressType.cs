namespace PeerKit.WifiDirect;

/// <summary>OpenHarmony's <c>DeviceAddressType</c>: whether a device address is randomized.</summary>
public enum DeviceAddressType
{
    /// <summary>A random (privacy) address (RANDOM_DEVICE_ADDRESS, 0).</summary>
    RandomDeviceAddress = 0,

    /// <summary>The device's real address (REAL_DEVICE_ADDRESS, 1).</summary>
    RealDeviceAddress = 1,
}
