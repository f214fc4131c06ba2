using System.Runtime.InteropServices;

namespace PeerKit;

/// <summary>
/// A simulated 2.4 GHz medium (after mac80211_hwsim + wmediumd, in user space): radios attached to it hear each other's
/// frames on the same channel, address and data rate, with RSSI from their positions (log-distance path loss), loss from
/// the signal-to-noise ratio, and collisions when frames overlap on the air. Seeded and deterministic. With
/// <see cref="SimulatedMediumOptions.Path"/>, radios in several processes share it. See docs/radio.md.
/// </summary>
/// <example>
/// <code>
/// using var medium = new SimulatedMedium(new SimulatedMediumOptions { Seed = 1 });
/// using Radio a = medium.OpenRadio(1, 0, 0, 0), b = medium.OpenRadio(2, 5, 0, 0);
/// </code>
/// </example>
public sealed unsafe class SimulatedMedium : IDisposable
{
    private readonly SimulatedMediumHandle _handle;

    /// <summary>Creates a medium.</summary>
    /// <param name="options">The settings; <see langword="null"/> for an in-process medium with the defaults.</param>
    /// <exception cref="RadioException">A setting is out of range, or the shared directory cannot be created.</exception>
    /// <exception cref="PeerKit.Native.NativeRuntimeUnavailableException">The native library cannot be loaded.</exception>
    public SimulatedMedium(SimulatedMediumOptions? options = null)
    {
        options ??= new SimulatedMediumOptions();
        Options = options;
        _ = PeerKit.Native.NativeRuntime.Version; // a clear NativeRuntimeUnavailableException when the library is missing

        NativeMediumConfig config;
        RadioNativeMethods.MediumConfigInit(&config);
        config.Seed = options.Seed;
        config.Clock = options.ManualClock ? 1 : 0;
        config.TxPowerDbm = options.TxPowerDbm;
        config.ReferenceLossDb = options.ReferenceLossDb;
        config.PathLossExponent = options.PathLossExponent;
        config.NoiseFloorDbm = options.NoiseFloorDbm;
        config.ExtraLoss = options.ExtraLoss;
        config.CaptureDb = options.CaptureDb;
        config.QueueFrames = (uint)Math.Max(0, options.QueueFrames);
        config.Path = options.Path is null ? 0 : Marshal.StringToCoTaskMemUTF8(options.Path);
        try
        {
            NativeRadioError error = default;
            nint medium = 0;
            int status = RadioNativeMethods.MediumCreate(&config, &medium, &error);
            if (status != RadioNativeMethods.Ok)
            {
                throw new RadioException(RadioException.FromStatus(status), Radio.Message(ref error));
            }

            _handle = new SimulatedMediumHandle(medium);
        }
        finally
        {
            Marshal.FreeCoTaskMem(config.Path);
        }
    }

    /// <summary>The settings the medium was created with.</summary>
    public SimulatedMediumOptions Options { get; }

    /// <summary>
    /// The medium's time in microseconds. Setting it (only with <see cref="SimulatedMediumOptions.ManualClock"/>) moves
    /// time forward and delivers the frames that have ended on the air.
    /// </summary>
    /// <exception cref="RadioException">The medium uses the real clock, or time would go backwards.</exception>
    public ulong Time
    {
        get => RadioNativeMethods.MediumTime(_handle);
        set
        {
            if (RadioNativeMethods.MediumSetTime(_handle, value) != RadioNativeMethods.Ok)
            {
                throw new RadioException(RadioError.InvalidArgument,
                    Options.ManualClock ? $"Time only moves forward (it is {Time} µs)." : "Only a medium with ManualClock = true lets you set the time.");
            }
        }
    }

    /// <summary>Attaches a radio to the medium at a position in metres: channel 80, 2 Mbit/s, the P2P broadcast address.</summary>
    /// <param name="id">The radio's id, unique on the medium (across processes too); receivers see it as the sender.</param>
    /// <param name="x">East, in metres.</param>
    /// <param name="y">North, in metres.</param>
    /// <param name="z">Up, in metres.</param>
    /// <exception cref="RadioException"><see cref="RadioError.InUse"/> when the id is taken.</exception>
    public Radio OpenRadio(uint id, double x = 0, double y = 0, double z = 0)
    {
        NativeRadioError error = default;
        nint radio = 0;
        int status = RadioNativeMethods.OpenSim(_handle, id, x, y, z, &radio, &error);
        if (status != RadioNativeMethods.Ok)
        {
            throw new RadioException(RadioException.FromStatus(status), Radio.Message(ref error));
        }

        return new Radio(new RadioHandle(radio, _handle), id, simulated: true);
    }

    /// <summary>Releases the medium; it is destroyed when its last radio closes.</summary>
    public void Dispose() => _handle.Dispose();
}
