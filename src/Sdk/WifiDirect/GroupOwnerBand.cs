namespace PeerKit.WifiDirect;

/// <summary>OpenHarmony's <c>GroupOwnerBand</c>: the band a group owner operates on.</summary>
public enum GroupOwnerBand
{
    /// <summary>Let the supplicant choose (GO_BAND_AUTO, 0).</summary>
    Auto = 0,

    /// <summary>2.4 GHz (GO_BAND_2GHZ, 1): <c>freq=2</c>.</summary>
    Band2GHz = 1,

    /// <summary>5 GHz (GO_BAND_5GHZ, 2): <c>freq=5</c>.</summary>
    Band5GHz = 2,
}
