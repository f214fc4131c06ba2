namespace PeerKit.Links.Udp;

/// <summary>
/// The receive side of a link's four lanes: reliable frames in a reorder window per lane (delivered exactly once, in
/// order for the ordered one), unreliable frames once (sequenced ones never older than the newest delivered), and
/// fragments reassembled by byte offset. Complete frames go to the inbox. Owned by one link and used under its lock.
/// </summary>
/// <remarks>
/// What the lanes hold besides the inbox (partial frames' buffers, frames held for reordering) is charged to the
/// inbox's memory account (<see cref="LinkInbox.Account"/>), and the reliable part of it, in flow-control cost units,
/// is <see cref="ReliableHeldCost"/>: the link counts it against its receive window with the frames waiting in the
/// inbox (issue 13: partial reassembly counts against flow control).
/// </remarks>
internal sealed class ReceiveLanes
{
    private readonly ReliableReceiveLane[] _reliable;
    private readonly UnreliableReceiveLane[] _unreliable = [new(), new() { Sequenced = true }];
    private readonly LinkInbox _inbox;
    private readonly FramePool _buffers;
    private readonly int _maxFrameSize;
    private readonly long _maxPartialBytes;
    private long _partialBytes;
    private long _reliablePartialCost;
    private long _charged;

    /// <param name="inbox">Where complete frames go.</param>
    /// <param name="buffers">Where whole frames are copied to.</param>
    /// <param name="reliableWindow">The reorder window, in frames.</param>
    /// <param name="maxFrameSize">The largest frame accepted.</param>
    /// <param name="maxPartialBytes">The bytes partial frames of this link may hold together (issue 13, finding 1);
    /// beyond it, unreliable partial frames are dropped oldest first, and a reliable fragment that still does not fit
    /// closes the link (a peer within its flow-control credit never gets there). 0: twice the largest frame plus 64 KiB.</param>
    public ReceiveLanes(LinkInbox inbox, FramePool buffers, int reliableWindow, int maxFrameSize, long maxPartialBytes = 0)
    {
        _maxPartialBytes = maxPartialBytes > 0 ? maxPartialBytes : (2L * maxFrameSize) + (64 * 1024);
        _inbox = inbox;
        _buffers = buffers;
        _maxFrameSize = maxFrameSize;
        _reliable = [new ReliableReceiveLane(true, reliableWindow), new ReliableReceiveLane(false, reliableWindow)];
    }

    /// <summary>Unreliable frames dropped: a full receive queue, or fragments that never completed.</summary>
    public long Dropped => DroppedFull + _unreliable[0].IncompleteDropped + _unreliable[1].IncompleteDropped;

    /// <summary>
    /// The flow-control cost (<see cref="LinkInbox.FrameCost"/> + bytes) of the reliable data held here: the bytes of
    /// partial reliable frames that arrived, and frames held for reordering. A peer within its credit never makes the
    /// link's total (this and the inbox's counted frames) exceed its receive window plus one frame.
    /// </summary>
    public long ReliableHeldCost => _reliablePartialCost + _reliable[0].HeldCost + _reliable[1].HeldCost;

    /// <summary>Unreliable frames dropped because the receive queue was full.</summary>
    public long DroppedFull { get; private set; }

    /// <summary>
    /// Whether frame <paramref name="seq"/> of reliable class <paramref name="cls"/> is awaited: it is the next the
    /// ordered lane delivers, and frames are held for reordering behind it, or it is partly here already. Refusing it
    /// could leave what is held waiting forever (nothing else frees it), so the link takes it even when it defers the
    /// others, once the application has taken every frame waiting; that passes the limits by at most one frame.
    /// </summary>
    public bool IsAwaited(int cls, ulong seq) =>
        cls == 0 && seq == _reliable[0].Next && (_reliable[0].HeldCost > 0 || (_reliable[0].HasPartial && _reliable[0].Partial.ContainsKey(seq)));

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
                if (lane.HasPartial && lane.Partial.Remove(seq, out Reassembly? partial))
                {
                    Drop(partial, reliable: true);
                }

                lane.Complete(seq, LinkFrame.Copy(data, _buffers), _inbox);
                SyncCharge();
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
                    Drop(evicted!, reliable: false);
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
        long held = reassembly.HeldBytes;
        long flowCost = FlowCost(reassembly);
        bool added = reassembly.Add(index * chunkSize, data);
        _partialBytes += reassembly.HeldBytes - held;
        if (cls < 2)
        {
            _reliablePartialCost += FlowCost(reassembly) - flowCost;
        }

        if (!added || !reassembly.IsComplete)
        {
            FrameError? overflow = _partialBytes > _maxPartialBytes ? MakeRoom(cls, seq, partial) : null;
            SyncCharge();
            return overflow;
        }

        partial.Remove(seq);
        _partialBytes -= reassembly.HeldBytes;
        if (cls < 2)
        {
            _reliablePartialCost -= FlowCost(reassembly);
        }

        LinkFrame frame = reassembly.TakeFrame();
        if (cls < 2)
        {
            _reliable[cls].Complete(seq, frame, _inbox);
            SyncCharge();
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
            foreach (ulong key in sequenced.Partial.Keys) // made by this frame's fragments
            {
                if (key < seq && sequenced.Partial.Remove(key, out Reassembly? stale))
                {
                    Drop(stale, reliable: false);
                    sequenced.IncompleteDropped++;
                }
            }
        }

        SyncCharge();
        _inbox.TryEnqueueTallied(frame);
        return null;
    }

    /// <summary>The bytes partial frames hold now (tests and status).</summary>
    public long PartialBytes => _partialBytes;

    /// <summary>Partial frames dropped because the link's partial frames held more than their byte limit.</summary>
    public long PartialOverflowDropped { get; private set; }

    private void Drop(Reassembly reassembly, bool reliable)
    {
        _partialBytes -= reassembly.HeldBytes;
        if (reliable)
        {
            _reliablePartialCost -= FlowCost(reassembly);
        }

        reassembly.Release();
    }

    /// <summary>What a partial reliable frame counts against flow control: the bytes that arrived, plus the frame's
    /// <see cref="LinkInbox.FrameCost"/> once any did (the sender counted the whole frame when it started it).</summary>
    private static long FlowCost(Reassembly reassembly) =>
        reassembly.Received == 0 ? 0 : LinkInbox.FrameCost + Math.Min((long)reassembly.Received * UdpWire.FragmentGranule, reassembly.Total);

    /// <summary>
    /// Brings the memory account's charge to what the lanes hold now (partial frames' buffers and frames held for
    /// reordering). The account may be attached after the lanes started holding bytes: the first sync charges them.
    /// </summary>
    private void SyncCharge()
    {
        if (_inbox.Account is not { } account)
        {
            return;
        }

        long target = _partialBytes + _reliable[0].HeldCost + _reliable[1].HeldCost;
        if (target != _charged)
        {
            account.Charge(target - _charged);
            _charged = target;
        }
    }

    /// <summary>Over the byte limit: drops unreliable partial frames, oldest first, then fails a reliable fragment.</summary>
    private FrameError? MakeRoom(int cls, ulong seq, Dictionary<ulong, Reassembly> current)
    {
        foreach (UnreliableReceiveLane lane in _unreliable)
        {
            while (_partialBytes > _maxPartialBytes && lane.HasPartial)
            {
                ulong oldest = ulong.MaxValue;
                foreach (ulong key in lane.Partial.Keys)
                {
                    oldest = Math.Min(oldest, key);
                }

                lane.Partial.Remove(oldest, out Reassembly? evicted);
                Drop(evicted!, reliable: false);
                lane.IncompleteDropped++;
                PartialOverflowDropped++;
            }
        }

        if (_partialBytes <= _maxPartialBytes)
        {
            return null;
        }

        if (current.Remove(seq, out Reassembly? mine))
        {
            Drop(mine, reliable: cls < 2);
        }

        return cls < 2
            ? FrameError.Malformed($"partial frames beyond {_maxPartialBytes} bytes: more than the flow-control credit allows")
            : null;
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

        _partialBytes = 0;
        _reliablePartialCost = 0;
        if (_inbox.Account is { } account && _charged != 0)
        {
            account.Release(_charged);
        }

        _charged = 0;
    }
}
