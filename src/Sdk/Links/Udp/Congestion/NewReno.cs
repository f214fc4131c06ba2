namespace PeerKit.Links.Udp;

/// <summary>
/// NewReno congestion control (RFC 9002 §7): slow start doubles the window each round trip, congestion avoidance adds
/// one packet per window acknowledged; a loss event cuts the window to 7/10 (not below the measured bandwidth-delay
/// product), a retransmission timeout to two packets. One reduction per round trip: only packets sent after the last
/// one reduce the window again. The window grows only while it is used (RFC 7661), so an application-limited link
/// does not build a window it would later release as a burst.
/// </summary>
internal sealed class NewReno : ICongestionControl
{
    private long _recoveryStart;

    /// <param name="initialWindow">The window before any acknowledgement (ten base-size packets).</param>
    public NewReno(long initialWindow) => Window = initialWindow;

    /// <inheritdoc/>
    public long Window { get; private set; }

    /// <inheritdoc/>
    public long SlowStartThreshold { get; private set; } = long.MaxValue;

    /// <inheritdoc/>
    public bool InSlowStart => Window < SlowStartThreshold;

    /// <inheritdoc/>
    public bool CanSend(long bytesInFlight) => bytesInFlight < Window;

    /// <inheritdoc/>
    public void OnPacketAcked(long sentAt, int size, long inFlightAtSend, int maxDatagramSize)
    {
        if (sentAt > _recoveryStart && inFlightAtSend * 2 >= Window)
        {
            Window += InSlowStart ? size : Math.Max(1, (long)maxDatagramSize * size / Window);
        }
    }

    /// <inheritdoc/>
    public void OnPacketLost(long sentAt, long now, bool timeout, long floor, int maxDatagramSize)
    {
        if (sentAt <= _recoveryStart)
        {
            return;
        }

        _recoveryStart = now;
        long minimum = 2L * maxDatagramSize;
        Window = timeout ? minimum : Math.Max(Math.Max(minimum, Window * 7 / 10), floor);
        SlowStartThreshold = Math.Max(minimum, timeout ? Window * 2 : Window);
    }
}
