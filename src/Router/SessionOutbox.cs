namespace PeerKit.Routing;

/// <summary>
/// The control messages waiting to go to one client, sent in order by one task. Bounded: a client that stops reading
/// fills it and is dropped, so it cannot make the router hold memory or stall the other sessions. A queue under a lock
/// and one task to wake the sender, not a channel: an idle session's outbox holds an empty array and that task
/// (docs/router.md, "Figures").
/// </summary>
internal sealed class SessionOutbox
{
    /// <summary>Control messages waiting for one client at most.</summary>
    public const int Capacity = 256;

    private readonly Queue<Func<Peer, CancellationToken, ValueTask>> _queue = new();
    private readonly Lock _gate = new();
    private TaskCompletionSource? _ready; // the sender waits on an empty queue
    private int _peak; // the most messages waiting since the queue was last empty
    private bool _completed;

    /// <summary>Queues a message; <c>false</c> when the outbox is full (the client is not reading).</summary>
    public bool TryPost<T>(T message) where T : IMessage<T> =>
        TryQueue((peer, ct) => peer.SendAsync(message, ct));

    /// <summary>Queues a last message: once it is sent (or its send failed), the client is disconnected with <paramref name="reason"/>; <c>false</c> when the outbox is full.</summary>
    public bool TryPostThenDisconnect<T>(T message, DisconnectReason reason) where T : IMessage<T> =>
        TryQueue(async (peer, ct) =>
        {
            try
            {
                await peer.SendAsync(message, ct).ConfigureAwait(false);
            }
            finally
            {
                await peer.DisconnectAsync(reason).ConfigureAwait(false);
            }
        });

    /// <summary>Sends until the session ends; a send that waits longer than <paramref name="sendTimeout"/> drops the client.</summary>
    public async Task RunAsync(Peer peer, TimeSpan sendTimeout, CancellationToken cancellationToken)
    {
        try
        {
            while (await NextAsync(cancellationToken).ConfigureAwait(false) is { } send)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(sendTimeout);
                try
                {
                    await send(peer, timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    await peer.DisconnectAsync(DisconnectReason.ReadTimeout).ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (PeerDisconnectedException)
        {
        }
    }

    /// <summary>Ends the send loop once what is queued has been sent.</summary>
    public void Complete()
    {
        TaskCompletionSource? ready;
        lock (_gate)
        {
            _completed = true;
            ready = _ready;
            _ready = null;
        }

        ready?.TrySetResult();
    }

    private bool TryQueue(Func<Peer, CancellationToken, ValueTask> send)
    {
        TaskCompletionSource? ready;
        lock (_gate)
        {
            if (_completed || _queue.Count >= Capacity)
            {
                return false;
            }

            _queue.Enqueue(send);
            _peak = Math.Max(_peak, _queue.Count);
            ready = _ready;
            _ready = null;
        }

        ready?.TrySetResult();
        return true;
    }

    /// <summary>The next send, waiting while the queue is empty; null once completed and empty.</summary>
    private async ValueTask<Func<Peer, CancellationToken, ValueTask>?> NextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (_queue.TryDequeue(out Func<Peer, CancellationToken, ValueTask>? send))
                {
                    if (_queue.Count == 0 && _peak > 16)
                    {
                        _queue.TrimExcess(); // a burst's array goes back
                        _peak = 0;
                    }

                    return send;
                }

                if (_completed)
                {
                    return null;
                }

                _ready ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _ready.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
