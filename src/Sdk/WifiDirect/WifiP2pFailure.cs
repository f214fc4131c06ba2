namespace PeerKit.WifiDirect;

/// <summary>Why a P2P call failed, in more detail than OpenHarmony's <see cref="WifiP2pErrorCode"/>.</summary>
public enum WifiP2pFailure
{
    /// <summary>The supplicant answered <c>FAIL</c> (or <c>FAIL-…</c>): it refused the command in its state.</summary>
    Refused,

    /// <summary>Nothing listens on the control socket path: wpa_supplicant is not running there.</summary>
    SupplicantUnreachable,

    /// <summary>The supplicant went away during the session (its socket is gone, or it said it is terminating).</summary>
    SupplicantGone,

    /// <summary>The supplicant did not answer in time.</summary>
    Timeout,

    /// <summary>The supplicant does not know P2P commands: no P2P-capable interface (nl80211 driver with P2P).</summary>
    NoP2pDevice,

    /// <summary>An argument was malformed or out of range.</summary>
    InvalidArgument,

    /// <summary>This device is a group owner, and a group owner cannot initiate a connection (as in OpenHarmony).</summary>
    GroupOwnerCannotConnect,

    /// <summary>There is no current group to remove or read.</summary>
    NoGroup,

    /// <summary>The native runtime library is missing.</summary>
    NativeRuntimeMissing,

    /// <summary>The object was closed.</summary>
    Closed,
}
