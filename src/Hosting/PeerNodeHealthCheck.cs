using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PeerKit.Hosting;

/// <summary>
/// Reports the hosted node's health: <see cref="HealthStatus.Unhealthy"/> when it is not running,
/// <see cref="HealthStatus.Degraded"/> when static peers are configured and none is connected, else
/// <see cref="HealthStatus.Healthy"/>; the data holds the peer count, pending handshakes, failed handshakes and the
/// listen addresses. Registered with <see cref="PeerKitHealthChecksBuilderExtensions.AddPeerKit"/>.
/// </summary>
public sealed class PeerNodeHealthCheck : IHealthCheck
{
    private readonly PeerNodeService _service;

    /// <summary>Creates the check of the hosted node.</summary>
    public PeerNodeHealthCheck(PeerNodeService service) => _service = service ?? throw new ArgumentNullException(nameof(service));

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        PeerNode node = _service.Node;
        var data = new Dictionary<string, object>
        {
            ["node_id"] = node.Id.ToString(),
            ["peers"] = node.PeerCount,
            ["pending_handshakes"] = node.PendingPeerCount,
            ["failed_handshakes"] = node.FailedHandshakeCount,
            ["listen_addresses"] = string.Join(" ", node.ListenAddresses),
        };
        if (!_service.IsRunning)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The PeerKit node is not running (not started yet, failed to start, or stopped).", data: data));
        }

        int staticPeers = node.Options.StaticPeers.Count;
        if (staticPeers > 0 && node.PeerCount == 0)
        {
            return Task.FromResult(HealthCheckResult.Degraded($"None of the {staticPeers} static peers is connected.", data: data));
        }

        return Task.FromResult(HealthCheckResult.Healthy($"{node.PeerCount} peers connected.", data));
    }
}
