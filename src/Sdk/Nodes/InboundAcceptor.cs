using PeerKit.Links;
using PeerKit.Transports;

namespace PeerKit;

/// <summary>
/// Takes each listener's authenticated links and runs their sessions (go-ethereum's listen loop): every session
/// handshake holds one of <see cref="PeerNodeOptions.MaxPendingPeers"/> slots, so a flood of links that never say
/// hello waits in the listener instead of piling up here. Failures are reported as state events.
/// </summary>
internal sealed class InboundAcceptor
{
    private readonly SemaphoreSlim _slots;
    private readonly SessionSetup _sessions;
    private readonly NodeEvents _events;
    private readonly CancellationToken _stop;
    private int _pending;

    public InboundAcceptor(int maxPending, SessionSetup sessions, NodeEvents events, CancellationToken stop)
    {
        _slots = new SemaphoreSlim(maxPending, maxPending);
        _sessions = sessions;
        _events = events;
        _stop = stop;
    }

    /// <summary>Inbound session handshakes in progress now.</summary>
    public int PendingCount => Volatile.Read(ref _pending);

    /// <summary>Accepts from <paramref name="listener"/> until the node stops or the listener closes.</summary>
    public async Task RunAsync(IPeerListener listener)
    {
        string scheme = listener.Address.Scheme;
        while (!_stop.IsCancellationRequested)
        {
            IMessageLink link;
            try
            {
                link = await listener.AcceptAsync(_stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }

            try
            {
                await _slots.WaitAsync(_stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                await link.DisposeAsync().ConfigureAwait(false);
                return;
            }

            Interlocked.Increment(ref _pending);
            _ = Task.Run(async () =>
            {
                try
                {
                    await AddAsync(link, scheme).ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Decrement(ref _pending);
                    _slots.Release();
                }
            });
        }
    }

    private async Task AddAsync(IMessageLink link, string scheme)
    {
        if (_stop.IsCancellationRequested)
        {
            await link.DisposeAsync().ConfigureAwait(false); // the node stopped before it took the link
            return;
        }

        string text = link.RemoteAddress?.ToString() ?? $"link to {link.RemoteId:s}";
        _events.State(link.RemoteId, text, ConnectionState.Connecting, null, false, null);
        try
        {
            // No caller token: the session handshake already ends when the node stops (ClientQuitting).
            await _sessions.EstablishAsync(link, isInbound: true, expectedId: null, text, scheme, dial: null, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is PeerConnectException or OperationCanceledException or ObjectDisposedException)
        {
            // Reported through the node's ConnectionStateChanged.
        }
    }
}
