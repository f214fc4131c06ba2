namespace PeerKit.Routing;

/// <summary>
/// The Oculus implicit send: a reliable message to a peer without a session waits (bounded in bytes) until the session is
/// up, then goes in the order the sends were made; an unreliable one is dropped. One flusher per peer drains what waits;
/// a send goes straight to the session only when nothing waits and no flusher holds a message not yet sent, so a later
/// message never overtakes an earlier one. Messages lost because their session ended while they were being sent are
/// counted in <see cref="DroppedReliableBytes"/>. <typeparamref name="TSession"/> is a <see cref="Peer"/> (a fake in unit tests).
/// </summary>
internal sealed class ImplicitSends<TSession>
    where TSession : class
{
    private readonly object _gate = new();
    private readonly SendQueue<TSession> _pending;
    private readonly HashSet<NodeId> _flushing = [];
    private readonly Func<NodeId, TSession?> _sessionOf;
    private readonly CancellationToken _stop;
    private long _droppedUnreliable;
    private long _droppedReliableBytes;

    /// <param name="sessionOf">The session with a peer now, or null.</param>
    /// <param name="maxPerPeer">Bytes allowed to wait per peer.</param>
    /// <param name="maxTotal">Bytes allowed to wait over every peer.</param>
    /// <param name="stop">Cancels flushing (the client is disposing).</param>
    public ImplicitSends(Func<NodeId, TSession?> sessionOf, long maxPerPeer, long maxTotal, CancellationToken stop)
    {
        _sessionOf = sessionOf;
        _pending = new SendQueue<TSession>(maxPerPeer, maxTotal);
        _stop = stop;
    }

    /// <summary>Unreliable messages dropped because no session was up.</summary>
    public long DroppedUnreliableCount => Interlocked.Read(ref _droppedUnreliable);

    /// <summary>Bytes of reliable messages dropped: their connect failed (<see cref="Drop"/>) or their session ended while they were sent.</summary>
    public long DroppedReliableBytes => Interlocked.Read(ref _droppedReliableBytes);

    /// <summary>Whether a flusher is draining <paramref name="peer"/>'s messages (for tests).</summary>
    public bool IsFlushing(NodeId peer)
    {
        lock (_gate)
        {
            return _flushing.Contains(peer);
        }
    }

    /// <summary>
    /// The session to send on at once, when one is up and nothing waits for it and no flusher runs (sending on it then
    /// keeps the order); otherwise null. Lets a caller send without building a deferred send (no allocation).
    /// </summary>
    public TSession? SessionIfIdle(NodeId peer)
    {
        TSession? session = _sessionOf(peer);
        if (session is null)
        {
            return null;
        }

        lock (_gate)
        {
            return _flushing.Contains(peer) || _pending.Any(peer) ? null : session;
        }
    }

    /// <summary>
    /// Sends, queues or drops one message. Returns the session when it was sent on one (straight away), or null with
    /// <c>Queued</c> saying whether it waits (reliable) or was dropped (unreliable).
    /// </summary>
    /// <exception cref="PendingSendsFullException">A reliable message would exceed the bytes allowed to wait.</exception>
    public async ValueTask<(TSession? Session, bool Queued)> SendAsync(NodeId peer, Func<TSession, CancellationToken, ValueTask> send, bool reliable, int bytes, CancellationToken cancellationToken)
    {
        TSession? session = _sessionOf(peer);
        bool queued;
        lock (_gate)
        {
            if (session is not null && !_flushing.Contains(peer) && !_pending.Any(peer))
            {
                queued = false;
            }
            else if (!reliable)
            {
                Interlocked.Increment(ref _droppedUnreliable);
                return (null, false);
            }
            else if (_pending.TryEnqueue(peer, send, bytes))
            {
                queued = true;
            }
            else
            {
                throw new PendingSendsFullException(peer, _pending.BytesFor(peer), _pending.TotalBytes);
            }
        }

        if (!queued)
        {
            // Nothing waits and no flusher runs: sending now keeps the order.
            await send(session!, cancellationToken).ConfigureAwait(false);
            return (session, false);
        }

        if (session is not null)
        {
            SessionUp(peer);
        }

        return (null, true);
    }

    /// <summary>The session with <paramref name="peer"/> is up: drains what waits for it (one flusher per peer).</summary>
    public void SessionUp(NodeId peer)
    {
        lock (_gate)
        {
            if (!_pending.Any(peer) || !_flushing.Add(peer))
            {
                return;
            }
        }

        _ = FlushAsync(peer);
    }

    /// <summary>Drops everything waiting for <paramref name="peer"/> (its connect failed); returns the bytes dropped (also counted).</summary>
    public long Drop(NodeId peer)
    {
        long dropped;
        lock (_gate)
        {
            dropped = _pending.Drop(peer);
        }

        Interlocked.Add(ref _droppedReliableBytes, dropped);
        return dropped;
    }

    private async Task FlushAsync(NodeId peer)
    {
        await Task.Yield();
        while (true)
        {
            TSession? session = _sessionOf(peer);
            Func<TSession, CancellationToken, ValueTask> send;
            int bytes;
            lock (_gate)
            {
                // Leave the rest waiting without a session: the next SessionUp (or a Drop) takes it.
                if (session is null || _stop.IsCancellationRequested || !_pending.TryDequeue(peer, out send, out bytes))
                {
                    _flushing.Remove(peer);
                    return;
                }
            }

            try
            {
                await send(session, _stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is PeerDisconnectedException or OperationCanceledException)
            {
                // The session ended while the message was sent: it is lost, and counted. When another session is up
                // already (a duplicate link won), the rest goes on it; otherwise it waits for the next SessionUp.
                Interlocked.Add(ref _droppedReliableBytes, bytes);
                if (!ReferenceEquals(_sessionOf(peer), session))
                {
                    continue;
                }

                lock (_gate)
                {
                    _flushing.Remove(peer);
                }

                return;
            }
            catch (Exception)
            {
                // The session refused this message (too large, its queue full…): it is lost, and counted; the rest goes on.
                Interlocked.Add(ref _droppedReliableBytes, bytes);
            }
        }
    }
}
