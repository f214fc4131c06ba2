using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace PeerKit.Links;

/// <summary>
/// The receive side and close state every link shares: a bounded queue of received frames (back-pressure on
/// the producer), the first close reason, and the completion task.
/// </summary>
internal sealed class LinkInbox
{
    private readonly Channel<LinkFrame> _frames;
    private readonly TaskCompletionSource<LinkCloseReason> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _closed;
    private LinkCloseReason _reason;
    private Exception? _cause;

    public LinkInbox(int capacity)
    {
        _frames = Channel.CreateBounded<LinkFrame>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });
    }

    public Task<LinkCloseReason> Completion => _completion.Task;

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>The number of frames waiting to be received.</summary>
    public int Count => _frames.Reader.Count;

    /// <summary>Closes the link once; later calls do nothing and return false.</summary>
    /// <param name="reason">Why.</param>
    /// <param name="cause">The error, if any.</param>
    /// <param name="discardPending">Drop (and return to the pool) frames not yet received: a local close.</param>
    public bool Close(LinkCloseReason reason, Exception? cause, bool discardPending)
    {
        if (Interlocked.CompareExchange(ref _closed, 1, 0) != 0)
        {
            if (discardPending)
            {
                DiscardPending();
            }

            return false;
        }

        _reason = reason;
        _cause = cause;
        Volatile.Write(ref _closed, 2);
        _frames.Writer.TryComplete();
        if (discardPending)
        {
            DiscardPending();
        }

        _completion.TrySetResult(reason);
        return true;
    }

    /// <summary>Queues a received frame, waiting while the queue is full. Takes ownership of the frame.</summary>
    /// <returns>False (the frame disposed) when the link is closed.</returns>
    public ValueTask<bool> EnqueueAsync(LinkFrame frame, CancellationToken cancellationToken)
    {
        if (_frames.Writer.TryWrite(frame))
        {
            return new ValueTask<bool>(true);
        }

        return EnqueueSlowAsync(frame, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> EnqueueSlowAsync(LinkFrame frame, CancellationToken cancellationToken)
    {
        try
        {
            while (await _frames.Writer.WaitToWriteAsync(cancellationToken).ConfigureAwait(false))
            {
                if (_frames.Writer.TryWrite(frame))
                {
                    return true;
                }
            }
        }
        catch
        {
            frame.Dispose();
            throw;
        }

        frame.Dispose();
        return false;
    }

    /// <summary>Queues a received frame if there is room; takes ownership of the frame either way (disposed when refused).</summary>
    public bool TryEnqueue(LinkFrame frame)
    {
        if (_frames.Writer.TryWrite(frame))
        {
            return true;
        }

        frame.Dispose();
        return false;
    }

    public bool TryReceive(out LinkFrame frame) => _frames.Reader.TryRead(out frame);

    public ValueTask<LinkFrame> ReceiveAsync(CancellationToken cancellationToken)
    {
        if (_frames.Reader.TryRead(out LinkFrame frame))
        {
            return new ValueTask<LinkFrame>(frame);
        }

        return ReceiveSlowAsync(cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<LinkFrame> ReceiveSlowAsync(CancellationToken cancellationToken)
    {
        while (await _frames.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_frames.Reader.TryRead(out LinkFrame frame))
            {
                return frame;
            }
        }

        throw CreateClosedException();
    }

    public void ThrowIfClosed()
    {
        if (IsClosed)
        {
            throw CreateClosedException();
        }
    }

    public LinkClosedException CreateClosedException()
    {
        SpinWait spin = default;
        while (Volatile.Read(ref _closed) == 1)
        {
            spin.SpinOnce();
        }

        return new LinkClosedException(_reason, _cause);
    }

    private void DiscardPending()
    {
        while (_frames.Reader.TryRead(out LinkFrame frame))
        {
            frame.Dispose();
        }
    }
}
