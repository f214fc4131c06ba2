namespace PeerKit.Routing;

/// <summary>
/// The bytes a router has handed to Redis and not yet seen published, bounded: a publish reserves its size first and
/// releases it when Redis answered (or failed). When the limit would be passed the publish does not happen: a relayed
/// datagram is dropped and counted, a signaling message fails with a typed reason. Pure state, tested alone.
/// </summary>
internal sealed class PublishQueue
{
    private readonly long _maxBytes;
    private long _bytes;
    private long _refused;

    public PublishQueue(long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        _maxBytes = maxBytes;
    }

    /// <summary>Bytes waiting now.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>The limit.</summary>
    public long MaxBytes => _maxBytes;

    /// <summary>Reservations refused for the limit.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Reserves <paramref name="bytes"/>; false (and nothing reserved) when that would pass the limit.</summary>
    public bool TryReserve(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (Interlocked.Add(ref _bytes, bytes) > _maxBytes)
        {
            Interlocked.Add(ref _bytes, -bytes);
            Interlocked.Increment(ref _refused);
            return false;
        }

        return true;
    }

    /// <summary>Releases a reservation (its publish completed or failed).</summary>
    public void Release(int bytes) => Interlocked.Add(ref _bytes, -bytes);
}
