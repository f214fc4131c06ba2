using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PeerKit.Hosting;

/// <summary>Adds the PeerKit node's health check.</summary>
public static class PeerKitHealthChecksBuilderExtensions
{
    /// <summary>Adds <see cref="PeerNodeHealthCheck"/> under <paramref name="name"/> (default <c>"peerkit"</c>).</summary>
    /// <example><code>builder.Services.AddHealthChecks().AddPeerKit();</code></example>
    public static IHealthChecksBuilder AddPeerKit(this IHealthChecksBuilder builder, string name = "peerkit", HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddCheck<PeerNodeHealthCheck>(name, failureStatus, tags ?? ["peerkit"]);
    }
}
