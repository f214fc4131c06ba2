using System.Runtime.CompilerServices;
using System.Threading.Channels;
using PeerKit.Memory;

namespace PeerKit.Links;

/// <summary>
/// The receive side and close state every link shares: a queue of received frames (bounded, with back-pressure
/// on the producer; or unbounded for a link that bounds it itself by flow control), the first close reason, and
/// the completion task.
/// </summary>
/// <remarks>
/// Frames queued as <em>counted</em> are tallied in cost units (<see cref="FrameCost"/> + length) when they are
/// queued and when the application takes them, so a link can grant its peer credit for exactly what the
/// application has consumed (the UDP link's flow control). Every frame queued once an <see cref="Account"/> is set is
/// charged to it (<see cref="FrameCost"/> + length) until the application takes it or it is discarded: the node's
/// memory budget across its peers.
/// </remarks>
internal sealed class LinkInbox
{
    /// <summary>What one frame costs in flow-control units beyond its bytes, so that empty frames are not free.</summary>
    public const int FrameCost = 64;

    private readonly Channel<Entry> _frames;
    private readonly TaskCompletionSource<LinkCloseReason> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action? _consumed;
    private readonly LinkInboxReceiver _receiver;
    private int _closed;
    private LinkCloseReason _reason;
    private Exception? _cause;
    private long _queuedCost;
    private long _consumedCost;
    private long _tallied;
    private long _talliedCost;
    private MemoryAccount? _account;
    private List<Entry> _held = new();
    private List<Entry> _delivering = new();
    private bool _holding;
    private volatile bool _discardRequested;

    /// <param name="capacity">Frames the queue holds; 0 for no limit (the link must bound it itself).</param>
    /// <param name="consumed">Called after the application took a counted frame (on the receiving thread).</param>
    /// <param name="inlineContinuations">A receiver waiting for a frame resumes on the thread that queued it
    /// (unbounded queues only). The producer must then not hold locks when it queues: see <see cref="Hold"/>.</param>
    public LinkInbox(int capacity, Action? consumed = null, bool inlineContinuations = false)
    {
        _consumed = consumed;
        _receiver = new LinkInboxReceiver(this);
        _frames = capacity == 0
            ? new InboxChannel<Entry>(inlineContinuations) // an idle link's holds an empty array (docs/router.md, "Figures")
            : Channel.CreateBounded<Entry>(new BoundedChannelOptions(capacity)
            {
                FullMode = BoundedChannelFullMode.Wait,
                SingleReader = false,
                SingleWriter = false,
                AllowSynchronousContinuations = false,
            });
    }

    /// <summary>The cost of every counted frame queued so far (written by the single producer, under its lock).</summary>
    public long QueuedCost => Volatile.Read(ref _queuedCost);

    /// <summary>The cost of every counted frame the application has taken so far.</summary>
    public long ConsumedCost => Interlocked.Read(ref _consumedCost);

    /// <summary>The cost of the counted frames queued and not yet taken.</summary>
    public long CountedCostWaiting => QueuedCost - ConsumedCost;

    /// <summary>How many frames queued with <see cref="TryEnqueueTallied"/> wait to be taken.</summary>
    public long TalliedWaiting => Interlocked.Read(ref _tallied);

    /// <summary>The cost (<see cref="FrameCost"/> + length each) of the frames queued with <see cref="TryEnqueueTallied"/> and not yet taken.</summary>
    public long TalliedCostWaiting => Interlocked.Read(ref _talliedCost);

    /// <summary>The peer's share of its node's memory budget, charged for every frame queued from now on (null: none).</summary>
    public MemoryAccount? Account
    {
        get => Volatile.Read(ref _account);
        set => Volatile.Write(ref _account, value);
    }

    public Task<LinkCloseReason> Completion => _completion.Task;

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>The number of frames waiting to be received.</summary>
    public int Count => _frames.Reader.Count;

    /// <summary>Gives the receive queue's array back after a quiet period (the UDP link's timer; a bounded queue keeps its own).</summary>
    public void TrimIdle()
    {
        if (_frames is InboxChannel<Entry> channel)
        {
            channel.TrimIdle();
        }
    }

    /// <summary>Closes the link once; later calls do nothing and return false.</summary>
    /// <param name="reason">Why.</param>
    /// <param name="cause">The error, if any.</param>
    /// <param name="discardPending">Drop (and return to the pool) frames not yet received: a local close.</param>
    /// <param name="held">Frames the producer held back (<see cref="DetachHeld"/>), delivered before the queue
    /// completes, or dropped with the rest when <paramref name="discardPending"/>.</param>
    public bool Close(LinkCloseReason reason, Exception? cause, bool discardPending, List<Entry>? held = null)
    {
        if (Interlocked.CompareExchange(ref _closed, 1, 0) != 0)
        {
            DisposeAll(held);
            if (discardPending)
            {
                // A closing thread may still be writing held frames (a receiver it resumed inline closes again):
                // it drains the queue once more when it is done.
                _discardRequested = true;
                DiscardPending();
            }

            return false;
        }

        _reason = reason;
        _cause = cause;
        Volatile.Write(ref _closed, 2);
        try
        {
            if (discardPending)
            {
                DisposeAll(held);
            }
            else if (held is not null)
            {
                // Frames held back for the end of a run of datagrams stay receivable after the close. With inline
                // continuations, a waiting receiver may resume here or in TryComplete below, on the closing thread:
                // the UDP link therefore closes its inbox once the link itself is closed and its lock released.
                WriteAll(held);
            }
        }
        finally
        {
            _frames.Writer.TryComplete();
            if (discardPending || _discardRequested)
            {
                DiscardPending();
            }

            _completion.TrySetResult(reason);
        }

        return true;
    }

    /// <summary>Queues a received frame, waiting while the queue is full. Takes ownership of the frame.</summary>
    /// <returns>False (the frame disposed) when the link is closed.</returns>
    public ValueTask<bool> EnqueueAsync(LinkFrame frame, CancellationToken cancellationToken)
    {
        Entry entry = Charge(frame, Kind.Plain);
        if (_frames.Writer.TryWrite(entry))
        {
            return new ValueTask<bool>(true);
        }

        return EnqueueSlowAsync(entry, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> EnqueueSlowAsync(Entry entry, CancellationToken cancellationToken)
    {
        try
        {
            while (await _frames.Writer.WaitToWriteAsync(cancellationToken).ConfigureAwait(false))
            {
                if (_frames.Writer.TryWrite(entry))
                {
                    return true;
                }
            }
        }
        catch
        {
            Discard(entry);
            throw;
        }

        Discard(entry);
        return false;
    }

    /// <summary>
    /// Keeps frames queued from now on out of the receiver's sight until <see cref="TakeHeld"/> and
    /// <see cref="DeliverHeld"/>: a producer that queues under its own lock delivers them after releasing it, so a
    /// receiver resuming inline never runs under that lock. Only the single producer thread may use these three.
    /// </summary>
    public void Hold() => _holding = true;

    /// <summary>Stops holding and moves the held frames aside for <see cref="DeliverHeld"/> (call under the producer's lock).</summary>
    /// <returns>Whether any frames are waiting to be delivered.</returns>
    public bool TakeHeld()
    {
        _holding = false;
        (_held, _delivering) = (_delivering, _held);
        return _delivering.Count > 0;
    }

    /// <summary>Hands the frames moved aside by <see cref="TakeHeld"/> to the receiver (call outside the producer's lock).</summary>
    public void DeliverHeld() => WriteAll(_delivering);

    /// <summary>
    /// Stops holding and takes the frames held so far out of the inbox, for <see cref="Close"/> (call under the
    /// producer's lock, as the producer closes): <see cref="Close"/> may then run on any thread without touching
    /// lists the producer thread still uses.
    /// </summary>
    public List<Entry> DetachHeld()
    {
        _holding = false;
        List<Entry> held = _held;
        _held = new List<Entry>();
        return held;
    }

    private void DisposeAll(List<Entry>? frames)
    {
        if (frames is null)
        {
            return;
        }

        foreach (Entry entry in frames)
        {
            Discard(entry);
        }

        frames.Clear();
    }

    /// <summary>Queues the frames of <paramref name="frames"/> in order (disposing any a closed queue refuses) and empties it.</summary>
    private void WriteAll(List<Entry> frames)
    {
        foreach (Entry entry in frames)
        {
            if (!_frames.Writer.TryWrite(entry))
            {
                Discard(entry);
            }
        }

        frames.Clear();
    }

    /// <summary>Queues a received frame if there is room; takes ownership of the frame either way (disposed when refused).</summary>
    /// <param name="frame">The frame.</param>
    /// <param name="counted">Tally it in <see cref="QueuedCost"/> and, once taken, <see cref="ConsumedCost"/>. Only one thread at a time may queue counted frames.</param>
    public bool TryEnqueue(LinkFrame frame, bool counted = false)
    {
        long cost = counted ? FrameCost + frame.Length : 0;
        Volatile.Write(ref _queuedCost, _queuedCost + cost); // before the frame can be taken: consumed never passes queued
        Entry entry = Charge(frame, counted ? Kind.Counted : Kind.Plain);
        if (_holding && !IsClosed)
        {
            _held.Add(entry);
            return true;
        }

        if (_frames.Writer.TryWrite(entry))
        {
            return true;
        }

        Volatile.Write(ref _queuedCost, _queuedCost - cost);
        Discard(entry);
        return false;
    }

    /// <summary>Queues a frame whose presence is tallied in <see cref="TalliedWaiting"/> and <see cref="TalliedCostWaiting"/>
    /// until it is taken or discarded (the UDP link's unreliable frames).</summary>
    public bool TryEnqueueTallied(LinkFrame frame)
    {
        Entry entry = Charge(frame, Kind.Tallied);
        Interlocked.Increment(ref _tallied);
        Interlocked.Add(ref _talliedCost, FrameCost + frame.Length);
        if (_holding && !IsClosed)
        {
            _held.Add(entry);
            return true;
        }

        if (_frames.Writer.TryWrite(entry))
        {
            return true;
        }

        Discard(entry);
        return false;
    }

    public bool TryReceive(out LinkFrame frame)
    {
        if (_frames.Reader.TryRead(out Entry entry))
        {
            frame = Take(entry);
            return true;
        }

        frame = default;
        return false;
    }

    public ValueTask<LinkFrame> ReceiveAsync(CancellationToken cancellationToken)
    {
        if (_frames.Reader.TryRead(out Entry entry))
        {
            return new ValueTask<LinkFrame>(Take(entry));
        }

        if (cancellationToken.CanBeCanceled)
        {
            // The channel allocates a waiter for every wait with a token that can be cancelled: the receiver does not.
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<LinkFrame>(cancellationToken);
            }

            if (_receiver.TryStart(cancellationToken) is { } waiting)
            {
                return waiting;
            }
        }

        return ReceiveSlowAsync(cancellationToken);
    }

    /// <summary>Waits, without a token, until a frame may be read or the queue completed (false then).</summary>
    internal ValueTask<bool> WaitToReadAsync() => _frames.Reader.WaitToReadAsync(CancellationToken.None);

    /// <summary>Takes the next entry, if any, without accounting for it (<see cref="Take"/> does).</summary>
    internal bool TryRead(out Entry entry) => _frames.Reader.TryRead(out entry);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<LinkFrame> ReceiveSlowAsync(CancellationToken cancellationToken)
    {
        while (await _frames.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_frames.Reader.TryRead(out Entry entry))
            {
                return Take(entry);
            }
        }

        throw CreateClosedException();
    }

    /// <summary>Accounts for an entry the application takes.</summary>
    internal LinkFrame Take(Entry entry)
    {
        entry.Account?.Release(FrameCost + entry.Frame.Length);
        if (entry.Kind == Kind.Counted)
        {
            Interlocked.Add(ref _consumedCost, FrameCost + entry.Frame.Length);
            _consumed?.Invoke();
        }
        else if (entry.Kind == Kind.Tallied)
        {
            Untally(entry);
        }

        return entry.Frame;
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
        while (_frames.Reader.TryRead(out Entry entry))
        {
            Discard(entry);
        }
    }

    /// <summary>An entry for a frame about to be queued, charged to the account, if any.</summary>
    private Entry Charge(LinkFrame frame, Kind kind)
    {
        MemoryAccount? account = Volatile.Read(ref _account);
        account?.Charge(FrameCost + frame.Length);
        return new Entry(frame, kind, account);
    }

    /// <summary>Drops an entry that will never be taken: its frame back to the pool, its charge and tally undone.</summary>
    private void Discard(Entry entry)
    {
        entry.Account?.Release(FrameCost + entry.Frame.Length);
        if (entry.Kind == Kind.Tallied)
        {
            Untally(entry);
        }

        entry.Frame.Dispose();
    }

    private void Untally(Entry entry)
    {
        Interlocked.Decrement(ref _tallied);
        Interlocked.Add(ref _talliedCost, -(FrameCost + entry.Frame.Length));
    }

    internal enum Kind : byte
    {
        Plain,
        Counted,
        Tallied,
    }

    /// <summary>A queued frame, how it is accounted, and the memory account it was charged to (if any).</summary>
    internal readonly record struct Entry(LinkFrame Frame, Kind Kind, MemoryAccount? Account);
}
