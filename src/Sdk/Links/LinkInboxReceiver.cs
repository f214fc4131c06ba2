using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace PeerKit.Links;

/// <summary>
/// One reusable wait for a frame with a cancellation token, for <see cref="LinkInbox.ReceiveAsync"/>. The channel's
/// own wait allocates an operation per call when given a token that can be cancelled; this one waits on the channel
/// without the token (which reuses the channel's singleton waiter), listens to the token itself (a registration
/// node the token's source reuses), and completes a <see cref="ManualResetValueTaskSourceCore{TResult}"/> it resets
/// for the next wait. One wait at a time: a second concurrent receiver takes the channel's path.
/// </summary>
/// <remarks>
/// A cancelled wait completes at once; the channel wait it started is left to finish (when a frame arrives or the
/// queue completes) without taking the frame, and only then is this object free again.
/// </remarks>
internal sealed class LinkInboxReceiver : IValueTaskSource<LinkFrame>
{
    private readonly LinkInbox _inbox;
    private readonly Action _onWaitCompleted;
    private readonly Lock _gate = new();
    private ManualResetValueTaskSourceCore<LinkFrame> _core;
    private ConfiguredValueTaskAwaitable<bool>.ConfiguredValueTaskAwaiter _wait;
    private CancellationToken _token;
    private CancellationTokenRegistration _registration;
    private int _busy; // 1 from Start until both the caller took the result and the channel wait ended
    private int _holds; // of those two
    private bool _finished; // the current wait has its outcome (guarded by _gate)

    public LinkInboxReceiver(LinkInbox inbox)
    {
        _inbox = inbox;
        _onWaitCompleted = OnWaitCompleted;
        // Completions run where the channel's do: on the pool, or inline on the producer's thread when the inbox
        // has inline continuations. Cancellation completes from the pool (see OnCanceled).
        _core.RunContinuationsAsynchronously = false;
    }

    /// <summary>Starts a wait, or returns null when another wait is using this object.</summary>
    public ValueTask<LinkFrame>? TryStart(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            return null;
        }

        _core.Reset();
        _finished = false;
        _holds = 2;
        _token = cancellationToken;
        _registration = cancellationToken.UnsafeRegister(static state => ((LinkInboxReceiver)state!).OnCanceled(), this);
        Arm();
        return new ValueTask<LinkFrame>(this, _core.Version);
    }

    /// <inheritdoc/>
    public LinkFrame GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Release();
        }
    }

    /// <inheritdoc/>
    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    /// <inheritdoc/>
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);

    /// <summary>Waits on the channel until a frame is taken, the queue completes, or the wait was cancelled.</summary>
    private void Arm()
    {
        while (true)
        {
            ValueTask<bool> wait = _inbox.WaitToReadAsync();
            if (!wait.IsCompleted)
            {
                _wait = wait.ConfigureAwait(false).GetAwaiter();
                _wait.UnsafeOnCompleted(_onWaitCompleted);
                return;
            }

            if (Settle(wait.Result))
            {
                return;
            }
        }
    }

    private void OnWaitCompleted()
    {
        bool more;
        try
        {
            more = _wait.GetResult();
        }
        catch (Exception)
        {
            more = false;
        }

        _wait = default;
        if (!Settle(more))
        {
            Arm();
        }
    }

    /// <summary>The channel has a frame (<paramref name="more"/>) or completed: ends the wait unless another
    /// receiver took the frame first.</summary>
    /// <returns>False when the wait must go on.</returns>
    private bool Settle(bool more)
    {
        LinkInbox.Entry entry = default;
        lock (_gate)
        {
            if (_finished)
            {
                // Cancelled meanwhile: the frame, if any, stays for the next receiver.
                Release();
                return true;
            }

            if (more && !_inbox.TryRead(out entry))
            {
                return false;
            }

            _finished = true;
        }

        _registration.Dispose(); // waits for a cancellation callback in progress, which finds the wait finished
        _registration = default;
        _token = default;
        if (more)
        {
            LinkFrame frame;
            try
            {
                frame = _inbox.Take(entry);
            }
            catch (Exception e)
            {
                Release();
                _core.SetException(e);
                return true;
            }

            Release();
            _core.SetResult(frame);
        }
        else
        {
            Release();
            _core.SetException(_inbox.CreateClosedException());
        }

        return true;
    }

    private void OnCanceled()
    {
        lock (_gate)
        {
            if (_finished)
            {
                return;
            }

            _finished = true;
        }

        // On the pool: the canceller's thread must not run the receiver's continuation.
        ThreadPool.UnsafeQueueUserWorkItem(static receiver => receiver._core.SetException(new OperationCanceledException(receiver._token)), this, preferLocal: false);
    }

    /// <summary>One of the two holders (the caller's GetResult, the channel wait) is done; the last frees the object.</summary>
    private void Release()
    {
        if (Interlocked.Decrement(ref _holds) == 0)
        {
            Volatile.Write(ref _busy, 0);
        }
    }
}
