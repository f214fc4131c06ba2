using System.Buffers;
using System.Numerics;

namespace PeerKit.Links.Udp;

/// <summary>
/// The receive side of one reliable lane: a reorder window of <c>window</c> sequence numbers. What the window marks
/// (frames held for reordering, and for the unordered lane the frames delivered ahead of <see cref="Next"/>) lives in a
/// ring rented from <see cref="ArrayPool{T}.Shared"/> only while something is marked: it starts at
/// <see cref="MinCapacity"/> slots, doubles up to the window as later frames arrive, and goes back to the pool as soon
/// as the gap closes. A lane that receives in order, or is idle, holds no array (docs/udp.md, "Memory").
/// </summary>
internal sealed class ReliableReceiveLane
{
    /// <summary>The ring's first size, in sequence numbers.</summary>
    public const int MinCapacity = 64;

    private readonly bool _ordered;
    private readonly int _window;
    private LinkFrame[]? _slots; // ordered: the frames held, at seq & _mask
    private ulong[]? _marks; // a bit per slot: held (ordered) or delivered ahead of Next (unordered)
    private int _mask; // the ring's capacity - 1 (a power of two); meaningless while _marks is null
    private int _marked; // bits set; the ring is returned when it falls to 0
    private Dictionary<ulong, Reassembly>? _partial;

    public ReliableReceiveLane(bool ordered, int window)
    {
        _ordered = ordered;
        _window = window;
    }

    /// <summary>Ordered: the next sequence number to deliver. Unordered: the lowest not yet delivered.</summary>
    public ulong Next { get; private set; }

    /// <summary>The frames of this lane partly here (fragments), by sequence number; made on first use.</summary>
    public Dictionary<ulong, Reassembly> Partial => _partial ??= new Dictionary<ulong, Reassembly>();

    /// <summary>Whether any frame of this lane is partly here (without making the dictionary).</summary>
    public bool HasPartial => _partial is { Count: > 0 };

    /// <summary>The cost (<see cref="LinkInbox.FrameCost"/> + length each) of the frames held for reordering.</summary>
    public long HeldCost { get; private set; }

    /// <summary>The ring's size in sequence numbers: 0 while nothing is marked (for tests).</summary>
    internal int RingCapacity => _marks is null ? 0 : _mask + 1;

    public bool InWindow(ulong seq) => seq < Next + (ulong)_window;

    public bool IsDone(ulong seq) => seq < Next || IsMarked(seq);

    /// <summary>A complete frame arrived (not done, within the window): deliver it and whatever it unblocks.</summary>
    public void Complete(ulong seq, LinkFrame frame, LinkInbox inbox)
    {
        if (_ordered)
        {
            if (seq != Next)
            {
                int slot = Mark(seq);
                _slots![slot] = frame;
                HeldCost += LinkInbox.FrameCost + frame.Length;
                return;
            }

            inbox.TryEnqueue(frame, counted: true);
            Next++;
            while (_marked > 0 && IsMarked(Next))
            {
                int slot = Unmark(Next);
                LinkFrame held = _slots![slot];
                _slots[slot] = default;
                HeldCost -= LinkInbox.FrameCost + held.Length;
                inbox.TryEnqueue(held, counted: true);
                Next++;
            }
        }
        else
        {
            inbox.TryEnqueue(frame, counted: true);
            if (seq != Next)
            {
                Mark(seq);
                return;
            }

            Next++;
            while (_marked > 0 && IsMarked(Next))
            {
                Unmark(Next);
                Next++;
            }
        }

        if (_marked == 0 && _marks is not null)
        {
            ReturnRing();
        }
    }

    public void Release()
    {
        if (_partial is not null)
        {
            foreach (Reassembly r in _partial.Values)
            {
                r.Release();
            }

            _partial.Clear();
        }

        if (_marks is not null)
        {
            if (_ordered)
            {
                for (int i = 0; i <= _mask; i++)
                {
                    if ((_marks[i >> 6] & (1UL << i)) != 0)
                    {
                        _slots![i].Dispose();
                        _slots[i] = default;
                    }
                }
            }

            ReturnRing();
        }

        HeldCost = 0;
    }

    private bool IsMarked(ulong seq)
    {
        ulong[]? marks = _marks;
        if (marks is null || seq - Next > (ulong)_mask)
        {
            return false; // every mark lies in [Next, Next + capacity)
        }

        int slot = (int)seq & _mask;
        return (marks[slot >> 6] & (1UL << slot)) != 0;
    }

    /// <summary>Marks <paramref name="seq"/> (ahead of <see cref="Next"/>, within the window), growing the ring to reach it; returns its slot.</summary>
    private int Mark(ulong seq)
    {
        ulong distance = seq - Next; // < _window (InWindow)
        if (_marks is null || distance > (ulong)_mask)
        {
            Grow((int)distance + 1);
        }

        int slot = (int)seq & _mask;
        _marks![slot >> 6] |= 1UL << slot;
        _marked++;
        return slot;
    }

    private int Unmark(ulong seq)
    {
        int slot = (int)seq & _mask;
        _marks![slot >> 6] &= ~(1UL << slot);
        _marked--;
        return slot;
    }

    /// <summary>A ring of at least <paramref name="needed"/> slots (at least twice the current one), the marks moved over.</summary>
    private void Grow(int needed)
    {
        int old = _marks is null ? 0 : _mask + 1;
        int capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(Math.Max(needed, MinCapacity), 2 * old));
        ulong[] marks = ArrayPool<ulong>.Shared.Rent((capacity + 63) >> 6);
        Array.Clear(marks); // rented arrays hold what their last user left
        LinkFrame[]? slots = _ordered ? ArrayPool<LinkFrame>.Shared.Rent(capacity) : null;
        int mask = capacity - 1;
        if (_marks is { } oldMarks)
        {
            int oldMask = _mask;
            for (ulong seq = Next, end = Next + (ulong)old; seq < end; seq++)
            {
                int from = (int)seq & oldMask;
                if ((oldMarks[from >> 6] & (1UL << from)) != 0)
                {
                    int to = (int)seq & mask;
                    marks[to >> 6] |= 1UL << to;
                    if (slots is not null)
                    {
                        slots[to] = _slots![from];
                        _slots[from] = default;
                    }
                }
            }

            ReturnArrays();
        }

        _marks = marks;
        _slots = slots;
        _mask = mask;
    }

    private void ReturnRing()
    {
        ReturnArrays();
        _marks = null;
        _slots = null;
        _marked = 0;
    }

    private void ReturnArrays()
    {
        ArrayPool<ulong>.Shared.Return(_marks!);
        if (_slots is not null)
        {
            ArrayPool<LinkFrame>.Shared.Return(_slots); // every slot given back is default: taken, or cleared by Release
        }
    }
}
