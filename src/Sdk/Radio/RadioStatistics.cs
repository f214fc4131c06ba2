namespace PeerKit;

/// <summary>Counters of one <see cref="Radio"/>, as the native radio keeps them.</summary>
/// <param name="Sent">Frames put on the air.</param>
/// <param name="Received">Frames handed to the receiver.</param>
/// <param name="LostSignal">Frames lost to a low signal-to-noise ratio (or the medium's extra loss).</param>
/// <param name="LostCollision">Frames destroyed by an overlapping frame, or that arrived while this radio transmitted.</param>
/// <param name="DroppedQueueFull">Frames dropped because the radio's receive queue was full.</param>
public readonly record struct RadioStatistics(long Sent, long Received, long LostSignal, long LostCollision, long DroppedQueueFull);
