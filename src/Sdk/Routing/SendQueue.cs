namespace PeerKit.Routing;

/// <summary>
/// Reliable messages that wait for a connection to their peer (the Oculus rule: buffered until connected), bounded in
/// bytes per peer and in total. Pure state: the caller holds its lock around every call. <typeparamref name="TSession"/>
/// is what a send runs on (a <see cref="Peer"/>; a fake in unit tests).
/// </summary>
internal class SendQueue<TSession>
{
    private readonly Dictionary<NodeId, Queue<(Func<TSession, CancellationToken, ValueTask> Send, int Bytes)>> _queues = [];
    private readonly Dictionary<NodeId, long> _bytesOf = [];
    private readonly long _maxPerPeer;
    private readonly long _maxTotal;

    public SendQueue(long maxPerPeer, long maxTotal)
    {
        _maxPerPeer = maxPerPeer;
        _maxTotal = maxTotal;
    }

    /// <summary>Bytes waiting, over every peer.</summary>
    public long TotalBytes { get; private set; }

    /// <summary>Bytes waiting for <paramref name="peer"/>.</summary>
    public long BytesFor(NodeId peer) => _bytesOf.GetValueOrDefault(peer);

    /// <summary>Whether anything waits for <paramref name="peer"/>.</summary>
    public bool Any(NodeId peer) => _queues.ContainsKey(peer);

    /// <summary>Queues a send of <paramref name="bytes"/> bytes; <c>false</c> when it would go over a limit (nothing is queued).</summary>
    public bool TryEnqueue(NodeId peer, Func<TSession, CancellationToken, ValueTask> send, int bytes)
    {
        long forPeer = _bytesOf.GetValueOrDefault(peer);
        if (forPeer + bytes > _maxPerPeer || TotalBytes + bytes > _maxTotal)
        {
            return false;
        }

        if (!_queues.TryGetValue(peer, out var queue))
        {
            queue = new Queue<(Func<TSession, CancellationToken, ValueTask>, int)>();
            _queues.Add(peer, queue);
        }

        queue.Enqueue((send, bytes));
        _bytesOf[peer] = forPeer + bytes;
        TotalBytes += bytes;
        return true;
    }

    /// <summary>Takes the oldest send waiting for <paramref name="peer"/>, in the order they were queued.</summary>
    public bool TryDequeue(NodeId peer, out Func<TSession, CancellationToken, ValueTask> send) => TryDequeue(peer, out send, out _);

    /// <summary>Takes the oldest send waiting for <paramref name="peer"/> and its size in bytes.</summary>
    public bool TryDequeue(NodeId peer, out Func<TSession, CancellationToken, ValueTask> send, out int bytes)
    {
        if (!_queues.TryGetValue(peer, out var queue) || !queue.TryDequeue(out var item))
        {
            send = null!;
            bytes = 0;
            return false;
        }

        Account(peer, queue, item.Bytes);
        send = item.Send;
        bytes = item.Bytes;
        return true;
    }

    /// <summary>Drops everything waiting for <paramref name="peer"/> (its connect failed); returns the bytes dropped.</summary>
    public long Drop(NodeId peer)
    {
        if (!_queues.Remove(peer, out var queue))
        {
            return 0;
        }

        long bytes = _bytesOf.GetValueOrDefault(peer);
        _bytesOf.Remove(peer);
        TotalBytes -= bytes;
        queue.Clear();
        return bytes;
    }

    private void Account(NodeId peer, Queue<(Func<TSession, CancellationToken, ValueTask>, int)> queue, int bytes)
    {
        TotalBytes -= bytes;
        long left = _bytesOf[peer] - bytes;
        if (queue.Count == 0)
        {
            _queues.Remove(peer);
            _bytesOf.Remove(peer);
        }
        else
        {
            _bytesOf[peer] = left;
        }
    }
}
