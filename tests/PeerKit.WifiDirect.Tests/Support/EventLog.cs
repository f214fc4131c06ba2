namespace PeerKit.WifiDirect.Tests.Support;

/// <summary>Collects a <see cref="WifiP2p"/>'s events through <see cref="WifiP2p.ReadEventsAsync"/> and waits for one.</summary>
internal sealed class EventLog : IAsyncDisposable
{
    private readonly List<WifiP2pEvent> _events = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;

    public EventLog(WifiP2p p2p)
    {
        var started = new TaskCompletionSource();
        _reader = Task.Run(async () =>
        {
            IAsyncEnumerator<WifiP2pEvent> e = p2p.ReadEventsAsync(_stop.Token).GetAsyncEnumerator(_stop.Token);
            try
            {
                ValueTask<bool> first = e.MoveNextAsync();
                started.TrySetResult();
                for (bool more = await first; more; more = await e.MoveNextAsync())
                {
                    lock (_events)
                    {
                        _events.Add(e.Current);
                        Monitor.PulseAll(_events);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                started.TrySetResult();
                await e.DisposeAsync();
            }
        });
        started.Task.Wait(TimeSpan.FromSeconds(10));
    }

    public IReadOnlyList<WifiP2pEvent> Events
    {
        get
        {
            lock (_events)
            {
                return _events.ToArray();
            }
        }
    }

    public async Task<WifiP2pEvent> WaitAsync(Func<WifiP2pEvent, bool> match, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            lock (_events)
            {
                WifiP2pEvent? found = _events.FirstOrDefault(match);
                if (found is not null)
                {
                    return found;
                }
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"no {what} within {seconds} s; events: {string.Join(", ", Events.Select(e => e.Kind + (e.Reason.Length > 0 ? "(" + e.Reason + ")" : "")))}");
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _reader;
        _stop.Dispose();
    }
}
