using System.Threading.Channels;
using System.Threading.Tasks.Sources;

namespace PeerKit.Links;

/// <summary>
/// An unbounded channel for a link's inbox (<see cref="LinkInbox"/> with no capacity: the UDP link bounds it by flow
/// control), smaller than <see cref="Channel.CreateUnbounded{T}()"/>'s: a queue under one lock whose array grows with
/// what waits and goes back after a quiet period (<see cref="TrimIdle"/>), so an idle link's inbox holds an empty array (the
/// framework's holds a 32-slot segment from the start; docs/router.md, "Figures"). A reader waiting without a token
/// reuses one waiter, so waiting allocates nothing, as with the framework's. Supports what the inbox uses: write,
/// complete, read, wait to read (several readers), count; <see cref="ChannelReader{T}.Completion"/> is not tracked.
/// </summary>
/// <typeparam name="T">The item.</typeparam>
internal sealed class InboxChannel<T> : Channel<T>
{
    private readonly Queue<T> _items = new();
    private readonly Lock _gate = new();
    private readonly bool _inline;
    private readonly Waiter _waiter;
    private int _count;
    private int _peak; // the most items waiting since the last TrimIdle
    private bool _waiterWaiting; // _waiter is handed out and not yet completed
    private TaskCompletionSource<bool>? _others; // further readers, or readers with a token
    private bool _done;
    private Exception? _error;

    /// <param name="inlineContinuations">A waiting reader resumes on the writer's thread (the framework's
    /// AllowSynchronousContinuations); writers wake readers only after releasing the channel's lock.</param>
    public InboxChannel(bool inlineContinuations)
    {
        _inline = inlineContinuations;
        _waiter = new Waiter(inlineContinuations);
        Reader = new InboxReader(this);
        Writer = new InboxWriter(this);
    }

    /// <summary>
    /// Gives the queue's array back when the channel is empty and nothing was written since the last call (the link's
    /// timer calls it once a second): a burst's array serves the next burst, and an idle link holds none. Returns
    /// whether it did.
    /// </summary>
    public bool TrimIdle()
    {
        lock (_gate)
        {
            bool trim = _count == 0 && _peak == 0;
            if (trim)
            {
                _items.TrimExcess();
            }

            _peak = _count;
            return trim;
        }
    }

    private bool TryWrite(T item)
    {
        bool wake;
        TaskCompletionSource<bool>? others;
        lock (_gate)
        {
            if (_done)
            {
                return false;
            }

            _items.Enqueue(item);
            _peak = Math.Max(_peak, ++_count);
            wake = _waiterWaiting;
            _waiterWaiting = false;
            others = _others;
            _others = null;
        }

        if (wake)
        {
            _waiter.Complete(true, null);
        }

        others?.TrySetResult(true);
        return true;
    }

    private bool TryComplete(Exception? error)
    {
        bool wake;
        TaskCompletionSource<bool>? others;
        bool more;
        lock (_gate)
        {
            if (_done)
            {
                return false;
            }

            _done = true;
            _error = error;
            more = _count > 0;
            wake = _waiterWaiting;
            _waiterWaiting = false;
            others = _others;
            _others = null;
        }

        // Readers wait only on an empty channel; one written to meanwhile already woke them.
        Exception? failure = more ? null : error;
        if (wake)
        {
            _waiter.Complete(more, failure);
        }

        if (others is not null)
        {
            if (failure is not null)
            {
                others.TrySetException(failure);
            }
            else
            {
                others.TrySetResult(more);
            }
        }

        return true;
    }

    private bool TryRead(out T item)
    {
        lock (_gate)
        {
            if (!_items.TryDequeue(out item!))
            {
                return false;
            }

            _count--;
            return true;
        }
    }

    private ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        Task<bool> others;
        lock (_gate)
        {
            if (_count > 0)
            {
                return new ValueTask<bool>(true);
            }

            if (_done)
            {
                return _error is null ? new ValueTask<bool>(false) : ValueTask.FromException<bool>(_error);
            }

            if (!cancellationToken.CanBeCanceled && _waiter.TryOwn())
            {
                _waiterWaiting = true;
                return new ValueTask<bool>(_waiter, _waiter.Version);
            }

            _others ??= new TaskCompletionSource<bool>(_inline ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
            others = _others.Task;
        }

        return cancellationToken.CanBeCanceled ? WaitAsync(others, cancellationToken) : new ValueTask<bool>(others);
    }

    /// <summary>Waits for <paramref name="readable"/> or the token; an item written before the token was cancelled wins
    /// (as with the framework channel's waiter, which the token cannot take back once it completed).</summary>
    private static async ValueTask<bool> WaitAsync(Task<bool> readable, CancellationToken cancellationToken)
    {
        try
        {
            return await readable.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (readable.IsCompleted)
        {
            return await readable.ConfigureAwait(false);
        }
    }

    /// <summary>The reader that waits without a token: reused, owned from the hand-out until its result is taken.</summary>
    private sealed class Waiter(bool inline) : IValueTaskSource<bool>
    {
        private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = !inline };
        private int _owned;

        public short Version => _core.Version;

        /// <summary>Takes the waiter for a new wait (under the channel's lock); false while the last one's result is not yet taken.</summary>
        public bool TryOwn()
        {
            if (Volatile.Read(ref _owned) != 0)
            {
                return false;
            }

            _owned = 1;
            _core.Reset();
            return true;
        }

        public void Complete(bool result, Exception? error)
        {
            if (error is null)
            {
                _core.SetResult(result);
            }
            else
            {
                _core.SetException(error);
            }
        }

        public bool GetResult(short token)
        {
            try
            {
                return _core.GetResult(token);
            }
            finally
            {
                Volatile.Write(ref _owned, 0);
            }
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }

    private sealed class InboxReader(InboxChannel<T> channel) : ChannelReader<T>
    {
        public override bool CanCount => true;

        public override int Count => Volatile.Read(ref channel._count);

        public override bool TryRead(out T item) => channel.TryRead(out item);

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => channel.WaitToReadAsync(cancellationToken);
    }

    private sealed class InboxWriter(InboxChannel<T> channel) : ChannelWriter<T>
    {
        public override bool TryComplete(Exception? error = null) => channel.TryComplete(error);

        public override bool TryWrite(T item) => channel.TryWrite(item);

        public override ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<bool>(cancellationToken);
            }

            lock (channel._gate)
            {
                return new ValueTask<bool>(!channel._done); // unbounded: room while open
            }
        }
    }
}
