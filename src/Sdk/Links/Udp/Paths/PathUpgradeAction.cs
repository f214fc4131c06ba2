namespace PeerKit.Links.Udp;

/// <summary>What <see cref="PathUpgrade"/> asks of its link.</summary>
internal enum PathUpgradeAction
{
    None,

    /// <summary>Send a PATH_CHALLENGE to <see cref="PathUpgrade.Candidate"/> (a hole-punching probe).</summary>
    Probe,

    /// <summary>Probing found no direct path within its timeout; it is tried again after the retry interval.</summary>
    GaveUp,

    /// <summary>The direct path went silent: move back to the relay path (already validated) at once.</summary>
    FallBack,
}
