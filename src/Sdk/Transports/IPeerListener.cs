using PeerKit.Links;

namespace PeerKit.Transports;

/// <summary>A transport accepting links at one address (<see cref="IPeerTransport.ListenAsync"/>).</summary>
public interface IPeerListener : IAsyncDisposable
{
    /// <summary>The address peers dial, with the real port; the node adds its id before publishing it.</summary>
    NodeAddress Address { get; }

    /// <summary>Inbound link handshakes in progress now.</summary>
    int PendingHandshakeCount { get; }

    /// <summary>Inbound link handshakes that failed (garbage, timeouts, forged keys) since the listener started.</summary>
    long FailedHandshakeCount { get; }

    /// <summary>
    /// Inbound connections the listener closed without a handshake failure, since it started: silent too long,
    /// evicted to make room for a newcomer, or refused while full (see docs/security.md). Default 0.
    /// </summary>
    long RejectedConnectionCount => 0;

    /// <summary>Waits for the next authenticated inbound link; the caller owns it.</summary>
    /// <exception cref="ObjectDisposedException">The listener was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<IMessageLink> AcceptAsync(CancellationToken cancellationToken = default);
}
