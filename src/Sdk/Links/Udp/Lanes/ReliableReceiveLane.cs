namespace PeerKit.Links.Udp;

/// <summary>The receive side of one reliable lane: a reorder window of <c>window</c> sequence numbers.</summary>
internal sealed class ReliableReceiveLane
{
    private readonly bool _ordered;
    private readonly int _window;
    private readonly LinkFrame[] _slots;
    private readonly bool[] _present;

    public ReliableReceiveLane(bool ordered, int window)
    {
        _ordered = ordered;
        _window = window;
        _slots = ordered ? new LinkFrame[window] : [];
        _present = new bool[window];
    }

    /// <summary>Ordered: the next sequence number to deliver. Unordered: the lowest not yet delivered.</summary>
    public ulong Next { get; private set; }

    public readonly Dictionary<ulong, Reassembly> Partial = new();

    /// <summary>The cost (<see cref="LinkInbox.FrameCost"/> + length each) of the frames held for reordering.</summary>
    public long HeldCost { get; private set; }

    public bool InWindow(ulong seq) => seq < Next + (ulong)_window;

    public bool IsDone(ulong seq) => seq < Next || _present[(int)(seq % (ulong)_window)];

    /// <summary>A complete frame arrived (not done, within the window): deliver it and whatever it unblocks.</summary>
    public void Complete(ulong seq, LinkFrame frame, LinkInbox inbox)
    {
        int slot = (int)(seq % (ulong)_window);
        if (_ordered)
        {
            if (seq != Next)
            {
                _slots[slot] = frame;
                _present[slot] = true;
                HeldCost += LinkInbox.FrameCost + frame.Length;
                return;
            }

            inbox.TryEnqueue(frame, counted: true);
            Next++;
            while (_present[slot = (int)(Next % (ulong)_window)])
            {
                _present[slot] = false;
                HeldCost -= LinkInbox.FrameCost + _slots[slot].Length;
                inbox.TryEnqueue(_slots[slot], counted: true);
                _slots[slot] = default;
                Next++;
            }
        }
        else
        {
            inbox.TryEnqueue(frame, counted: true);
            _present[slot] = true;
            while (_present[slot = (int)(Next % (ulong)_window)])
            {
                _present[slot] = false;
                Next++;
            }
        }
    }

    public void Release()
    {
        foreach (Reassembly r in Partial.Values)
        {
            r.Release();
        }

        Partial.Clear();
        if (_ordered)
        {
            for (int i = 0; i < _window; i++)
            {
                if (_present[i])
                {
                    _slots[i].Dispose();
                    _slots[i] = default;
                    _present[i] = false;
                }
            }
        }

        HeldCost = 0;
    }
}
