namespace PeerKit;

/// <summary>Which Crazyradio to open, and how.</summary>
public sealed class CrazyradioOptions
{
    /// <summary>Which dongle: 0 for the first one found.</summary>
    public int DeviceIndex { get; init; }

    /// <summary>The mode. Defaults to <see cref="CrazyradioMode.Auto"/>.</summary>
    public CrazyradioMode Mode { get; init; } = CrazyradioMode.Auto;

    /// <summary>The libusb library to load, or <see langword="null"/> for the platform's <c>libusb-1.0.so.0</c>.</summary>
    public string? LibUsbPath { get; init; }
}
