namespace PeerKit.Links.Udp;

/// <summary>
/// The receive side of a link's four lanes: reliable frames in a reorder window per lane (delivered exactly once, in
/// order for the ordered one), unreliable frames once (sequenced ones never older than the newest delivered), and
/// fragments reassembled by byte offset. Complete frames go to the inbox. Owned by one link and used under its lock.
/// </summary>
internal sealed class ReceiveLanes
{
    private readonly ReliableReceiveLane[] _reliable;
    private readonly UnreliableReceiveLane[] _unreliable = [new(), new() { Sequenced = true }];
    private readonly LinkInbox _inbox;
    private readonly FramePool _buffers;
    private readonly int _maxFrameSize;

    /// <param name="inbox">Where complete frames go.</param>
    /// <param name="buffers">Where whole frames are copied to.</param>
    /// <param name="reliableWindow">The reorder window, in frames.</param>
    /// <param name="maxFrameSize">The largest frame accepted.</param>
    public ReceiveLanes(LinkInbox inbox, FramePool buffers, int reliableWindow, int maxFrameSize)
    {
        _inbox = inbox;
        _buffers = buffers;
        _maxFrameSize = maxFrameSize;
        _reliable = [new ReliableReceiveLane(true, reliableWindow), new ReliableReceiveLane(false, reliableWindow)];
    }

    /// <summary>Unreliable frames dropped: a full receive queue, or fragments that never completed.</summary>
    public long Dropped => DroppedFull + _unreliable[0].IncompleteDropped + _unreliable[1].IncompleteDropped;

    /// <summary>Unreliable frames dropped because the receive queue was full.</summary>
    public long DroppedFull { get; private set; }

    /// <summary>An unreliable frame was dropped for a full receive queue.</summary>
    public void CountDropped() => DroppedFull++;

    /// <summary>A MESSAGE frame: frame <paramref name="seq"/> of class <paramref name="cls"/>, whole.</summary>
    /// <returns>An error that closes the link, or null.</returns>
    public FrameError? ReceiveWhole(int cls, ulong seq, ReadOnlySpan<byte> data)
    {
        if (data.Length > _maxFrameSize)
        {
            return new FrameError(LinkCloseReason.FrameTooLarge, new FrameTooLargeException(data.Length, _maxFrameSize));
        }

        if (cls < 2)
        {
            ReliableReceiveLane lane = _reliable[cls];
            if (!lane.InWindow(seq))
            {
                return FrameError.Malformed("a reliable frame beyond the reorder window");
            }

            if (!lane.IsDone(seq))
            {
                // Fragments may have come first: the sender cut the frame anew when its path MTU changed.
                if (lane.Partial.Remove(seq, out Reassembly? partial))
                {
                    partial.Release();
                }

                lane.Complete(seq, LinkFrame.Copy(data, _buffers), _inbox);
            }

            return null;
        }

        UnreliableReceiveLane unreliable = _unreliable[cls - 2];
        if (unreliable.Sequenced)
        {
            if (unreliable.HasDelivered && seq <= unreliable.Newest)
            {
                return null;
            }

            unreliable.HasDelivered = true;
            unreliable.Newest = seq;
        }

        _inbox.TryEnqueueTallied(LinkFrame.Copy(data, _buffers));
        return null;
    }

    /// <summary>A FRAGMENT frame: bytes at <paramref name="index"/> × <paramref name="chunkSize"/> of frame
    /// <paramref name="seq"/>, <paramref name="total"/> bytes long.</summary>
    /// <returns>An error that closes the link, or null.</returns>
    public FrameError? ReceiveFragment(int cls, ulong seq, int total, int chunkSize, int index, ReadOnlySpan<byte> data)
    {
        Dictionary<ulong, Reassembly> partial;
        if (cls < 2)
        {
            ReliableReceiveLane lane = _reliable[cls];
            if (!lane.InWindow(seq))
            {
                return FrameError.Malformed("a reliable fragment beyond the reorder window");
            }

            if (lane.IsDone(seq))
            {
                return null;
            }

            partial = lane.Partial;
        }
        else
        {
            UnreliableReceiveLane unreliable = _unreliable[cls - 2];
            if (unreliable.Sequenced && unreliable.HasDelivered && seq <= unreliable.Newest)
            {
                return null;
            }

            partial = unreliable.Partial;
            if (!partial.ContainsKey(seq))
            {
                // Fragments of unreliable frames are never resent: a frame that misses one is dropped whole once
                // newer frames crowd it out.
                while (partial.Count >= UnreliableReceiveLane.MaxPartial)
                {
                    ulong oldest = ulong.MaxValue;
                    foreach (ulong key in partial.Keys)
                    {
                        oldest = Math.Min(oldest, key);
                    }

                    partial.Remove(oldest, out Reassembly? evicted);
                    evicted!.Release();
                    unreliable.IncompleteDropped++;
                }
            }
        }

        if (!partial.TryGetValue(seq, out Reassembly? reassembly))
        {
            reassembly = Reassembly.Create(total);
            partial.Add(seq, reassembly);
        }
        else if (reassembly.Total != total)
        {
            return FrameError.Malformed("fragments of one frame that disagree on its size");
        }

        // Chunk sizes may differ between fragments of one frame (the sender's path MTU changed): offsets are in bytes.
        if (!reassembly.Add(index * chunkSize, data) || !reassembly.IsComplete)
        {
            return null;
        }

        partial.Remove(seq);
        LinkFrame frame = reassembly.TakeFrame();
        if (cls < 2)
        {
            _reliable[cls].Complete(seq, frame, _inbox);
            return null;
        }

        UnreliableReceiveLane sequenced = _unreliable[cls - 2];
        if (sequenced.Sequenced)
        {
            if (sequenced.HasDelivered && seq <= sequenced.Newest)
            {
                frame.Dispose();
                return null;
            }

            sequenced.HasDelivered = true;
            sequenced.Newest = seq;
            // Older partial frames can no longer be delivered.
            foreach (ulong key in sequenced.Partial.Keys)
            {
                if (key < seq && sequenced.Partial.Remove(key, out Reassembly? stale))
                {
                    stale.Release();
                    sequenced.IncompleteDropped++;
                }
            }
        }

        _inbox.TryEnqueueTallied(frame);
        return null;
    }

    /// <summary>Drops frames held for reordering and partial frames, returning their buffers (the link closed).</summary>
    public void Release()
    {
        foreach (ReliableReceiveLane lane in _reliable)
        {
            lane.Release();
        }

        foreach (UnreliableReceiveLane lane in _unreliable)
        {
            lane.Release();
        }
    }
}
