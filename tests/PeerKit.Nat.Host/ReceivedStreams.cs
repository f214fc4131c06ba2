namespace PeerKit.Nat.Host;

/// <summary>
/// The numbered messages received from each peer, checked as they arrive: how many, whether every one came exactly
/// once and in order (1, 2, 3, …), and the first one that did not.
/// </summary>
public sealed class ReceivedStreams
{
    private readonly object _gate = new();
    private readonly Dictionary<NodeId, Stream> _streams = [];

    /// <summary>Records message <paramref name="sequence"/> from <paramref name="peer"/>.</summary>
    public void Record(NodeId peer, ulong sequence)
    {
        lock (_gate)
        {
            if (!_streams.TryGetValue(peer, out Stream? stream))
            {
                stream = new Stream();
                _streams[peer] = stream;
            }

            stream.Count++;
            if (sequence == stream.Last + 1)
            {
                stream.Last = sequence;
            }
            else
            {
                stream.Broken ??= $"{sequence} after {stream.Last}";
                stream.Last = Math.Max(stream.Last, sequence);
            }

            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for <paramref name="expected"/> messages from <paramref name="peer"/>, then
    /// describes the stream: <c>count=N last=N inorder=true|false [broken=…]</c>.
    /// </summary>
    public string WaitFor(NodeId peer, long expected, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        lock (_gate)
        {
            while (true)
            {
                _streams.TryGetValue(peer, out Stream? stream);
                long count = stream?.Count ?? 0;
                TimeSpan left = deadline - DateTime.UtcNow;
                if (count >= expected || left <= TimeSpan.Zero)
                {
                    return $"count={count} last={stream?.Last ?? 0} inorder={(stream?.Broken is null ? "true" : "false")}" +
                        (stream?.Broken is { } broken ? $" broken={broken.Replace(' ', '_')}" : "");
                }

                Monitor.Wait(_gate, left);
            }
        }
    }

    private sealed class Stream
    {
        public long Count { get; set; }

        public ulong Last { get; set; }

        public string? Broken { get; set; }
    }
}
