namespace PeerKit.Links.Udp;

/// <summary>Where a <see cref="PathUpgrade"/> stands.</summary>
internal enum PathUpgradeState
{
    /// <summary>No direct candidate known (the link stays where it is).</summary>
    Idle,

    /// <summary>Challenges go to the candidate every probe interval until it answers or the probe timeout passes.</summary>
    Probing,

    /// <summary>The link is on a validated direct path, watched for silence.</summary>
    Direct,

    /// <summary>Probing gave up, or the direct path died: the link is on the relay until the retry time.</summary>
    Failed,
}
