namespace PeerKit;

/// <summary>The settings of a <see cref="SimulatedMedium"/>: its randomness, its model, and whether processes share it.</summary>
public sealed class SimulatedMediumOptions
{
    /// <summary>Seeds every random decision of the medium: the same seed and the same sends give the same outcome.</summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// A directory shared by every process on this medium (each radio binds a Unix datagram socket in it), or
    /// <see langword="null"/> for a medium inside this process. At most 79 bytes.
    /// </summary>
    public string? Path { get; init; }

    /// <summary>
    /// <see langword="true"/>: time moves only with <see cref="SimulatedMedium.Time"/> (deterministic, faster than real
    /// time; in-process only). <see langword="false"/> (default): the machine's monotonic clock.
    /// </summary>
    public bool ManualClock { get; init; }

    /// <summary>Transmit power in dBm. Default 0.</summary>
    public double TxPowerDbm { get; init; }

    /// <summary>Path loss at 1 m in dB. Default 40 (free space at 2.4 GHz).</summary>
    public double ReferenceLossDb { get; init; } = 40.0;

    /// <summary>The log-distance exponent: 2 in free space, 3 (default) indoors.</summary>
    public double PathLossExponent { get; init; } = 3.0;

    /// <summary>The noise floor in dBm. Default −100.</summary>
    public double NoiseFloorDbm { get; init; } = -100.0;

    /// <summary>A probability (0 to 1) of losing any frame, on top of the model, like the Crazyradio 2.0's loss simulation.</summary>
    public double ExtraLoss { get; init; }

    /// <summary>A colliding frame this many dB stronger than the other survives. Default 6.</summary>
    public double CaptureDb { get; init; } = 6.0;

    /// <summary>Each radio's receive queue in the native medium, in frames (1 to 4096; default 256).</summary>
    public int QueueFrames { get; init; } = 256;
}
