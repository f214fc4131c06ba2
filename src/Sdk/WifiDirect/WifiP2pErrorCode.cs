namespace PeerKit.WifiDirect;

/// <summary>OpenHarmony's error codes for the P2P calls (errorcode-wifi and the universal codes).</summary>
public enum WifiP2pErrorCode
{
    /// <summary>Permission denied (201): the process may not use the supplicant's control socket.</summary>
    PermissionDenied = 201,

    /// <summary>Invalid parameters (401): a malformed address, an out-of-range number, a bad passphrase.</summary>
    InvalidParameter = 401,

    /// <summary>Capability not supported (801): the supplicant has no P2P-capable device.</summary>
    CapabilityNotSupported = 801,

    /// <summary>Operation failed (2801000): the supplicant refused, did not answer, or is gone.</summary>
    OperationFailed = 2801000,

    /// <summary>Wi-Fi is off (2801001, "Wi-Fi STA disabled").</summary>
    WifiStaDisabled = 2801001,
}
