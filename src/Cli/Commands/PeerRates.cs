namespace PeerKit.Cli.Commands;

/// <summary>Byte rates from successive byte counts of each peer (the time is a parameter: a Stopwatch timestamp).</summary>
public sealed class PeerRates
{
    private readonly Dictionary<NodeId, (long In, long Out, long At)> _last = [];

    /// <summary>Bytes per second in and out since the last call for this peer (0 on the first).</summary>
    public (double In, double Out) Update(NodeId peer, long bytesIn, long bytesOut, long timestamp)
    {
        (double, double) rates = (0, 0);
        if (_last.TryGetValue(peer, out var last) && timestamp > last.At)
        {
            double seconds = (timestamp - last.At) / (double)System.Diagnostics.Stopwatch.Frequency;
            rates = ((bytesIn - last.In) / seconds, (bytesOut - last.Out) / seconds);
        }

        _last[peer] = (bytesIn, bytesOut, timestamp);
        return rates;
    }

    /// <summary>Forgets peers that are gone, so the table stays as big as the peer list.</summary>
    public void Retain(IReadOnlyCollection<NodeId> present)
    {
        foreach (NodeId gone in _last.Keys.Where(id => !present.Contains(id)).ToArray())
        {
            _last.Remove(gone);
        }
    }
}
