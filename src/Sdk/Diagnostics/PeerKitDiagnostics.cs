namespace PeerKit.Diagnostics;

/// <summary>
/// The names to subscribe to PeerKit's metrics and traces: the <see cref="System.Diagnostics.Metrics.Meter"/> and the
/// <see cref="System.Diagnostics.ActivitySource"/> are both named <c>"PeerKit"</c>. Instruments and spans are listed in
/// docs/observability.md.
/// </summary>
/// <example>
/// <code>
/// services.AddOpenTelemetry()
///     .WithMetrics(m => m.AddMeter(PeerKitDiagnostics.MeterName))
///     .WithTracing(t => t.AddSource(PeerKitDiagnostics.ActivitySourceName));
/// </code>
/// </example>
public static class PeerKitDiagnostics
{
    /// <summary>The meter's name, <c>"PeerKit"</c>.</summary>
    public const string MeterName = "PeerKit";

    /// <summary>The activity source's name, <c>"PeerKit"</c>.</summary>
    public const string ActivitySourceName = "PeerKit";
}
