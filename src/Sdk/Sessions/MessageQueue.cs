using System.Threading.Channels;
using PeerKit.Links;
using PeerKit.Memory;

namespace PeerKit.Sessions;

/// <summary>
/// A session's queue of received messages (a protocol's inbox, or the pull reader's), bounded in bytes and in
/// messages: a writer waits while the queue is full, which stops the peer's read loop, which stops reading the link,
/// so the link pushes back on the peer (reliable data is never dropped here). Each message counts as its payload plus
/// <see cref="LinkInbox.FrameCost"/> bytes; one message larger than the byte limit passes when the queue is empty.
/// Messages waiting are charged to the peer's memory account, if any.
/// </summary>
/// <remarks>
/// A queue under one lock rather than a channel: an idle session's queue holds an empty array and, while a reader
/// waits, one task (a channel holds a 32-slot segment from the start; docs/router.md, "Figures"). The array grows with
/// what waits (at most the queue's capacity), and is given back after a quiet keepalive period (<see cref="TrimIdle"/>).
/// </remarks>
internal sealed class MessageQueue
{
    private readonly Queue<ProtocolMessage> _items = new();
    private readonly Lock _gate = new();
    private readonly int _capacity;
    private readonly long _capacityBytes;
    private readonly MemoryAccount? _account;
    private int _count;
    private long _bytes;
    private int _peak; // the most messages waiting since the last TrimIdle
    private TaskCompletionSource? _room;
    private TaskCompletionSource<bool>? _readable; // readers waiting on an empty queue: true once a message comes
    private bool _completed;

    /// <param name="capacity">Messages the queue holds at most.</param>
    /// <param name="capacityBytes">Bytes (payload + 64 each) the queue holds at most; one larger message passes when it is empty.</param>
    /// <param name="account">Charged for the messages waiting; null for none.</param>
    public MessageQueue(int capacity, long capacityBytes, MemoryAccount? account = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityBytes, 1);
        _capacity = capacity;
        _capacityBytes = capacityBytes;
        _account = account;
    }

    /// <summary>The messages waiting.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The bytes waiting (payload + 64 each).</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Queues <paramref name="message"/> if there is room; the caller keeps it when this returns false.</summary>
    /// <exception cref="ChannelClosedException">The queue was completed.</exception>
    public bool TryWrite(ProtocolMessage message)
    {
        long cost = Cost(message);
        TaskCompletionSource<bool>? readable;
        lock (_gate)
        {
            if (_completed)
            {
                throw new ChannelClosedException();
            }

            if (_count > 0 && (_count >= _capacity || _bytes + cost > _capacityBytes))
            {
                return false;
            }

            _items.Enqueue(message);
            _count++;
            _peak = Math.Max(_peak, _count);
            _bytes += cost;
            readable = _readable;
            _readable = null;
        }

        _account?.Charge(cost);
        readable?.TrySetResult(true);
        return true;
    }

    /// <summary>
    /// Gives the queue's array back when it is empty and nothing was written since the last call (the peer's keepalive
    /// tick): a burst's array serves the next burst, and an idle session holds none.
    /// </summary>
    public void TrimIdle()
    {
        lock (_gate)
        {
            if (_count == 0 && _peak == 0)
            {
                _items.TrimExcess();
            }

            _peak = _count;
        }
    }

    /// <summary>Queues <paramref name="message"/>, waiting while the queue is full. The caller keeps it when this throws.</summary>
    /// <exception cref="ChannelClosedException">The queue was completed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask WriteAsync(ProtocolMessage message, CancellationToken cancellationToken)
    {
        return TryWrite(message) ? default : WaitAndWriteAsync(message, cancellationToken);
    }

    /// <summary>Waits until a message may be read (true) or the queue is completed and empty (false).</summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        Task<bool> readable;
        lock (_gate)
        {
            if (_count > 0)
            {
                return new ValueTask<bool>(true);
            }

            if (_completed)
            {
                return new ValueTask<bool>(false);
            }

            _readable ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            readable = _readable.Task;
        }

        return cancellationToken.CanBeCanceled ? WaitAsync(readable, cancellationToken) : new ValueTask<bool>(readable);
    }

    /// <summary>
    /// Waits for <paramref name="readable"/> or the token. A message written before the token was cancelled wins (as
    /// with a channel's waiter): the wait's own completion runs later, on the pool, and must not lose the message to a
    /// session closing right after it arrived.
    /// </summary>
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

    /// <summary>Takes the next message, if any; it then no longer counts against the queue or the account.</summary>
    public bool TryRead(out ProtocolMessage message)
    {
        long cost;
        TaskCompletionSource? room;
        lock (_gate)
        {
            if (!_items.TryDequeue(out message))
            {
                return false;
            }

            cost = Cost(message);
            _count--;
            _bytes -= cost;
            room = _room;
            _room = null;
        }

        _account?.Release(cost);
        room?.TrySetResult();
        return true;
    }

    /// <summary>Completes the queue: writers fail, readers take what is left and then see the end.</summary>
    public void Complete()
    {
        TaskCompletionSource? room;
        TaskCompletionSource<bool>? readable;
        lock (_gate)
        {
            _completed = true;
            room = _room;
            _room = null;
            readable = _readable; // waiting on an empty queue: the end
            _readable = null;
        }

        room?.TrySetResult();
        readable?.TrySetResult(false);
    }

    private static long Cost(ProtocolMessage message) => LinkInbox.FrameCost + message.Size;

    private async ValueTask WaitAndWriteAsync(ProtocolMessage message, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task room;
            lock (_gate)
            {
                _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                room = _room.Task;
            }

            // Room may have come between TryWrite and taking the wait; trying again first closes that gap.
            if (TryWrite(message))
            {
                return;
            }

            await room.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (TryWrite(message))
            {
                return;
            }
        }
    }
}
