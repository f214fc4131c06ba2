namespace PeerKit.Links.Udp;

/// <summary>
/// The packets in flight, indexed by packet number in a ring that grows as needed, from
/// <see cref="InitialCapacity"/>: an idle link has a ping or two in flight. <see cref="Trim"/> shrinks it back after a
/// quiet period.
/// </summary>
internal sealed class SentRing
{
    /// <summary>The ring's size when the link starts, and what <see cref="Trim"/> brings an empty ring back to.</summary>
    public const int InitialCapacity = 8;

    private SentPacket?[] _items = new SentPacket?[InitialCapacity];
    private ulong _base;
    private int _span;
    private int _peakSpan; // the widest span since the last Trim
    private int _count;

    public ulong Base => _base;

    public ulong End => _base + (ulong)_span;

    public int Count => _count;

    public void Add(SentPacket packet)
    {
        if (_span == 0)
        {
            _base = packet.Pn;
        }

        ulong needed = packet.Pn - _base + 1;
        while (needed > (ulong)_items.Length)
        {
            Grow();
        }

        _items[(int)(packet.Pn & (ulong)(_items.Length - 1))] = packet;
        _span = (int)needed;
        _peakSpan = Math.Max(_peakSpan, _span);
        _count++;
    }

    public SentPacket? Get(ulong pn) => pn < _base || pn >= End ? null : _items[(int)(pn & (ulong)(_items.Length - 1))];

    public SentPacket? Remove(ulong pn)
    {
        SentPacket? packet = Get(pn);
        if (packet is null)
        {
            return null;
        }

        _items[(int)(pn & (ulong)(_items.Length - 1))] = null;
        _count--;
        while (_span > 0 && _items[(int)(_base & (ulong)(_items.Length - 1))] is null)
        {
            _base++;
            _span--;
        }

        return packet;
    }

    /// <summary>The ring's size (for tests).</summary>
    internal int Capacity => _items.Length;

    /// <summary>Gives a grown ring back when nothing is in flight and the period since the last call never needed
    /// more than <see cref="InitialCapacity"/> (the link's timer, once a second): a busy link keeps its ring.</summary>
    public void Trim()
    {
        if (_count == 0 && _items.Length > InitialCapacity && _peakSpan <= InitialCapacity)
        {
            _items = new SentPacket?[InitialCapacity];
            _span = 0;
        }

        _peakSpan = _span;
    }

    public SentPacket? Oldest() => _span == 0 ? null : _items[(int)(_base & (ulong)(_items.Length - 1))];

    private void Grow()
    {
        var items = new SentPacket?[_items.Length * 2];
        for (ulong pn = _base; pn < End; pn++)
        {
            items[(int)(pn & (ulong)(items.Length - 1))] = _items[(int)(pn & (ulong)(_items.Length - 1))];
        }

        _items = items;
    }
}
