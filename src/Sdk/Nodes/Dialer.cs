namespace PeerKit;

/// <summary>
/// The node's dialing (go-ethereum's <c>p2p/dial.go</c>): which dials are in progress, by the node id they expect,
/// and the static peers, kept connected with <see cref="RedialBackoff"/>. The dial itself (transport, session) is
/// the node's <c>connect</c> function; the dialer only schedules it.
/// </summary>
internal sealed class Dialer
{
    private readonly object _gate = new();
    private readonly Dictionary<NodeId, DialCount> _inProgress = [];
    private readonly Func<NodeAddress, CancellationToken, Task<Peer>> _connect;
    private readonly TimeSpan _minDelay;
    private readonly TimeSpan _maxDelay;
    private readonly TimeProvider _time;

    public Dialer(Func<NodeAddress, CancellationToken, Task<Peer>> connect, TimeSpan minDelay, TimeSpan maxDelay, TimeProvider? time = null)
    {
        _connect = connect;
        _minDelay = minDelay;
        _maxDelay = maxDelay;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Marks a dial to <paramref name="id"/> as in progress until the returned handle is disposed.</summary>
    public DialHandle Begin(NodeId id)
    {
        lock (_gate)
        {
            if (!_inProgress.TryGetValue(id, out DialCount? count))
            {
                count = new DialCount();
                _inProgress.Add(id, count);
            }

            count.Value++;
            return new DialHandle(this, id);
        }
    }

    /// <summary>Completes when no dial to <paramref name="id"/> is in progress (at once when none is).</summary>
    public Task WhenIdleAsync(NodeId id)
    {
        lock (_gate)
        {
            return _inProgress.TryGetValue(id, out DialCount? count) ? count.Idle.Task : Task.CompletedTask;
        }
    }

    /// <summary>Keeps a static peer connected until <paramref name="stop"/>: dials, waits for the session to end, backs off, redials.</summary>
    public async Task KeepConnectedAsync(NodeAddress address, CancellationToken stop)
    {
        var backoff = new RedialBackoff(_minDelay, _maxDelay);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                Peer peer = await _connect(address, stop).ConfigureAwait(false);
                backoff.Connected();
                await peer.Completion.WaitAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is PeerConnectException or InvalidOperationException or ObjectDisposedException)
            {
                // Retried below with backoff.
            }

            DateTimeOffset now = _time.GetUtcNow();
            TimeSpan wait = backoff.Failed(now) - now;
            try
            {
                await Task.Delay(wait, _time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void End(NodeId id)
    {
        lock (_gate)
        {
            if (_inProgress.TryGetValue(id, out DialCount? count) && --count.Value == 0)
            {
                _inProgress.Remove(id);
                count.Idle.TrySetResult();
            }
        }
    }

    private sealed class DialCount
    {
        public int Value { get; set; }

        public TaskCompletionSource Idle { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>A dial in progress; disposing it (once) ends it.</summary>
    internal sealed class DialHandle(Dialer dialer, NodeId id) : IDisposable
    {
        private int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                dialer.End(id);
            }
        }
    }
}
