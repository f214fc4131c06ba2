namespace PeerKit;

/// <summary>Settings of a <see cref="RadioNode"/>.</summary>
public sealed class RadioNodeOptions
{
    /// <summary>
    /// This node's id for addressed sends (0 to 254; 255 is broadcast), or -1 (default) to use the radio's id when it is
    /// at most 254. Nodes on one channel need distinct ids.
    /// </summary>
    public int NodeId { get; init; } = -1;

    /// <summary>
    /// The P2P port that carries the acknowledged unicast layer (0 to 15), or -1 to turn it off. Default 15, the port
    /// the Crazyflie firmware's own reliability layer uses.
    /// </summary>
    public int UnicastPort { get; init; } = 15;

    /// <summary>The bound of the <see cref="RadioNode.Packets"/> queue, in bytes (each packet takes a fixed 80). Default 64 KiB.</summary>
    public int QueueBytes { get; init; } = 64 * 1024;

    /// <summary>How long an addressed send waits for each acknowledgement. Default 15 ms.</summary>
    public TimeSpan AckTimeout { get; init; } = TimeSpan.FromMilliseconds(15);

    /// <summary>How many times an addressed send is repeated before it fails with <see cref="RadioError.NotAcknowledged"/>. Default 25.</summary>
    public int MaxRetries { get; init; } = 25;
}
