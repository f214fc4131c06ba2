using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace PeerKit.Hosting;

/// <summary>
/// The hosted service <see cref="PeerKitServiceCollectionExtensions.AddPeerKit(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{PeerNodeSettings}?)"/>
/// registers: starts the <see cref="PeerNode"/> when the host starts (listening and dialing the static peers) and
/// disposes it when the host stops (every peer is sent <see cref="DisconnectReason.ClientQuitting"/>).
/// </summary>
public sealed class PeerNodeService : IHostedService, IAsyncDisposable
{
    private readonly PeerNode _node;
    private readonly PeerNodeLog _log;
    private int _state; // 0 created, 1 running, 2 stopped

    /// <summary>Creates the service around the container's node.</summary>
    public PeerNodeService(PeerNode node, IOptions<PeerNodeSettings> settings, TimeProvider time, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(settings);
        _node = node;
        PeerNodeSettings value = settings.Value;
        _log = new PeerNodeLog(node, loggers ?? NullLoggerFactory.Instance, time, value.PeerErrorLogLimit, value.PeerErrorLogWindow);
    }

    /// <summary>The node this service runs.</summary>
    public PeerNode Node => _node;

    /// <summary>True between a successful <see cref="StartAsync"/> and <see cref="StopAsync"/>.</summary>
    public bool IsRunning => Volatile.Read(ref _state) == 1;

    /// <summary>Log entries about peers left out by the rate limit so far, in one <see cref="PeerKitLogCategories">category</see> or (null) all.</summary>
    public long GetSuppressedLogEntries(string? category = null) => _log.Suppressed(category);

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _node.StartAsync(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _state, 1);
        PeerNodeLog.Started(_log.Node, _node.Id.ToString(), _node.Name, string.Join(", ", _node.ListenAddresses));
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _state, 2) == 2)
        {
            return;
        }

        await _node.DisposeAsync().AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
        _log.Dispose();
        PeerNodeLog.Stopped(_log.Node, _node.Id.ToString("s", null));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Volatile.Write(ref _state, 2);
        _log.Dispose();
        await _node.DisposeAsync().ConfigureAwait(false);
    }
}
