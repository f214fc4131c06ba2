namespace PeerKit.Links.Udp;

/// <summary>A <see cref="RelaySwitch"/> refused a binding: <see cref="Status"/> says why.</summary>
public sealed class RelayLimitException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="status">Why the switch refused.</param>
    /// <param name="message">What was exceeded and what to do.</param>
    public RelayLimitException(RelayStatus status, string message)
        : base(message)
    {
        Status = status;
    }

    /// <summary>Why the switch refused (<see cref="RelayStatus.ResourceLimitExceeded"/>).</summary>
    public RelayStatus Status { get; }
}
