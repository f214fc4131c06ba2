namespace PeerKit;

/// <summary>Air data rates, numbered as the Crazyradio's <c>SET_DATA_RATE</c> request.</summary>
public enum RadioDataRate
{
    /// <summary>250 kbit/s: the longest range (sensitivity about −94 dBm).</summary>
    Rate250K = 0,

    /// <summary>1 Mbit/s.</summary>
    Rate1M = 1,

    /// <summary>2 Mbit/s, the Crazyflie's default.</summary>
    Rate2M = 2,
}
