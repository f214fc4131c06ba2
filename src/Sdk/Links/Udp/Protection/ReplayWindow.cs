namespace PeerKit.Links.Udp;

/// <summary>
/// The receive-side anti-replay window (RFC 4303 §3.4.3 style): the highest packet number authenticated so far and a
/// 1024-bit bitmap of the ones below it. Packets older than the window, or already seen, are rejected.
/// </summary>
internal sealed class ReplayWindow
{
    public const int Size = 1024;
    private readonly ulong[] _bits = new ulong[Size / 64];
    private ulong _highest;
    private bool _any;

    public bool IsFresh(ulong pn)
    {
        if (!_any || pn > _highest)
        {
            return true;
        }

        ulong age = _highest - pn;
        if (age >= Size)
        {
            return false;
        }

        return (_bits[(int)(pn % Size) / 64] & (1UL << (int)(pn % 64))) == 0;
    }

    /// <summary>Records an authenticated packet number (after <see cref="IsFresh"/> said yes).</summary>
    public void Mark(ulong pn)
    {
        if (!_any)
        {
            _any = true;
            _highest = pn;
        }
        else if (pn > _highest)
        {
            ulong shift = pn - _highest;
            if (shift >= Size)
            {
                Array.Clear(_bits);
            }
            else
            {
                for (ulong p = _highest + 1; p <= pn; p++)
                {
                    _bits[(int)(p % Size) / 64] &= ~(1UL << (int)(p % 64));
                }
            }

            _highest = pn;
        }

        _bits[(int)(pn % Size) / 64] |= 1UL << (int)(pn % 64);
    }
}
