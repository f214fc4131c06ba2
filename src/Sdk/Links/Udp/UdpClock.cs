using System.Diagnostics;

namespace PeerKit.Links.Udp;

/// <summary>Monotonic time in microseconds.</summary>
internal static class UdpClock
{
    private static readonly double s_toMicros = 1_000_000.0 / Stopwatch.Frequency;

    public static long Now => (long)(Stopwatch.GetTimestamp() * s_toMicros);

    public static long Micros(TimeSpan span) => span.Ticks / 10;

    /// <summary>A millisecond-resolution clock in microseconds, five times cheaper to read than <see cref="Now"/>
    /// (for per-message timestamps such as a queued message's age; not comparable with <see cref="Now"/>).</summary>
    public static long Coarse => Environment.TickCount64 * 1000;
}
