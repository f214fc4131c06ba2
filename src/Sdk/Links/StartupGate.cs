using System.Net;

namespace PeerKit.Links;

/// <summary>
/// Random early drop among unauthenticated connections, as OpenSSH's <c>MaxStartups start:rate:full</c> and
/// <c>PerSourceMaxStartups</c> (issue 13, finding 7): below <c>start</c> every newcomer enters; from <c>start</c> to
/// <c>full</c> a newcomer is refused with a probability rising linearly from 0 to 1; at <c>full</c>, or when its
/// address already holds <c>perAddress</c>, it is refused. Refusing throws nothing and is counted. Thread-safe.
/// </summary>
internal sealed class StartupGate
{
    private readonly object _gate = new();
    private readonly int _start;
    private readonly int _full;
    private readonly int _perAddress;
    private readonly Random _random;
    private readonly Dictionary<IPAddress, int> _byAddress = [];
    private int _count;
    private long _refused;

    /// <param name="start">Unauthenticated connections below which none is refused.</param>
    /// <param name="full">Unauthenticated connections at which every newcomer is refused.</param>
    /// <param name="perAddress">Unauthenticated connections one source address may hold.</param>
    /// <param name="random">Draws the early drops (a seeded one in tests).</param>
    public StartupGate(int start, int full, int perAddress, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(full, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start, full);
        ArgumentOutOfRangeException.ThrowIfLessThan(perAddress, 1);
        _start = start;
        _full = full;
        _perAddress = perAddress;
        _random = random ?? Random.Shared;
    }

    /// <summary>Unauthenticated connections held now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Newcomers refused so far.</summary>
    public long RefusedCount => Interlocked.Read(ref _refused);

    /// <summary>Lets a newcomer from <paramref name="address"/> in, or refuses it (counted).</summary>
    public bool TryEnter(IPAddress? address)
    {
        lock (_gate)
        {
            bool refuse = _count >= _full
                || (address is not null && _byAddress.GetValueOrDefault(address) >= _perAddress)
                || (_count >= _start && _random.Next(_full - _start) < _count - _start);
            if (refuse)
            {
                _refused++;
                return false;
            }

            _count++;
            if (address is not null)
            {
                _byAddress[address] = _byAddress.GetValueOrDefault(address) + 1;
            }

            return true;
        }
    }

    /// <summary>A connection let in by <see cref="TryEnter"/> authenticated, failed or closed.</summary>
    public void Exit(IPAddress? address)
    {
        lock (_gate)
        {
            _count--;
            if (address is not null && _byAddress.TryGetValue(address, out int held))
            {
                if (held <= 1)
                {
                    _byAddress.Remove(address);
                }
                else
                {
                    _byAddress[address] = held - 1;
                }
            }
        }
    }
}
