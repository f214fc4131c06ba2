using PeerKit.Links;
using PeerKit.Sessions;
using PeerKit.Transports;

namespace PeerKit;

/// <summary>
/// Takes each listener's authenticated links and runs their sessions (go-ethereum's listen loop): every session
/// handshake holds one of <see cref="PeerNodeOptions.MaxPendingPeers"/> slots. When they are all taken, a newcomer
/// evicts a random session still waiting for its hello (<see cref="PendingSlots"/>; issue 13, finding 7), so links
/// that never say hello cannot keep a fresh peer out; it is refused only when every pending session has said hello.
/// Failures are reported as state events; evictions and refusals are counted.
/// </summary>
internal sealed class InboundAcceptor
{
    private readonly PendingSlots _slots;
    private readonly SessionSetup _sessions;
    private readonly NodeEvents _events;
    private readonly CancellationToken _stop;
    private int _pending;

    public InboundAcceptor(int maxPending, SessionSetup sessions, NodeEvents events, CancellationToken stop)
    {
        _slots = new PendingSlots(maxPending, maxPending);
        _sessions = sessions;
        _events = events;
        _stop = stop;
    }

    /// <summary>Inbound session handshakes in progress now.</summary>
    public int PendingCount => Volatile.Read(ref _pending);

    /// <summary>Inbound sessions evicted before their hello, or refused, to make room, so far.</summary>
    public long RejectedCount => _slots.EvictedCount + _slots.RefusedCount;

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

            PendingSlots.Slot? slot = _slots.TryTake(null, out PendingSlots.Slot? evicted);
            evicted?.SignalEvicted();
            if (slot is null)
            {
                _ = RefuseAsync(link);
                continue;
            }

            Interlocked.Increment(ref _pending);
            _ = Task.Run(async () =>
            {
                try
                {
                    await AddAsync(link, scheme, slot).ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Decrement(ref _pending);
                    _slots.Release(slot);
                }
            });
        }
    }

    private static async Task RefuseAsync(IMessageLink link)
    {
        await SessionFrame.TrySendDisconnectAsync(link, DisconnectReason.TooManyPeers, TimeSpan.FromMilliseconds(200)).ConfigureAwait(false);
        await link.DisposeAsync().ConfigureAwait(false);
    }

    private async Task AddAsync(IMessageLink link, string scheme, PendingSlots.Slot slot)
    {
        if (_stop.IsCancellationRequested)
        {
            await link.DisposeAsync().ConfigureAwait(false); // the node stopped before it took the link
            return;
        }

        string text = link.RemoteAddress?.ToString() ?? $"link to {link.RemoteId:s}";
        _events.State(link.RemoteId, text, ConnectionState.Connecting, null, false, null);
        using var evicted = new CancellationTokenSource();
        _ = slot.Evicted.ContinueWith(static (_, state) => Cancel((CancellationTokenSource)state!), evicted, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            // The session handshake already ends when the node stops (ClientQuitting); the token ends it when evicted.
            await _sessions.EstablishAsync(link, isInbound: true, expectedId: null, text, scheme, dial: null, evicted.Token, () => _slots.Progress(slot)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is PeerConnectException or OperationCanceledException or ObjectDisposedException)
        {
            // Reported through the node's ConnectionStateChanged.
        }
    }

    private static void Cancel(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
