using System.Runtime.InteropServices;

namespace PeerKit;

/// <summary>
/// One 2.4 GHz radio of the native shim: a simulated radio on a <see cref="SimulatedMedium"/>, or a Crazyradio USB
/// dongle (<see cref="OpenCrazyradio"/>). It sends and receives raw frames; <see cref="RadioNode"/> speaks Crazyflie
/// P2P on top of it.
/// </summary>
/// <remarks>One thread may receive while others send. Dispose waits for calls in progress to return.</remarks>
public sealed unsafe class Radio : IDisposable
{
    /// <summary>The Crazyflie P2P broadcast address, <c>0xFFE7E7E7E7</c>: the default of every radio.</summary>
    public static ReadOnlySpan<byte> P2PBroadcastAddress => [0xFF, 0xE7, 0xE7, 0xE7, 0xE7];

    private readonly RadioHandle _handle;
    private int _channel = 80;
    private RadioDataRate _dataRate = RadioDataRate.Rate2M;

    internal Radio(RadioHandle handle, uint id, bool simulated)
    {
        _handle = handle;
        Id = id;
        IsSimulated = simulated;
        MaxFrameSize = RadioNativeMethods.MaxFrame(handle);
    }

    /// <summary>The radio's id on its medium (0 for a Crazyradio).</summary>
    public uint Id { get; }

    /// <summary>Whether the radio is simulated.</summary>
    public bool IsSimulated { get; }

    /// <summary>The most bytes one frame may have: 64 simulated, 63 for a Crazyradio 2.0 (sniffer), 32 for a Crazyradio PA.</summary>
    public int MaxFrameSize { get; }

    internal RadioHandle Handle => _handle;

    /// <summary>The channel, 0 to 125 (2400 + channel MHz). The Crazyflie default is 80.</summary>
    /// <exception cref="RadioException">Out of range, or the dongle failed.</exception>
    public int Channel
    {
        get => _channel;
        set
        {
            Check(RadioNativeMethods.SetChannel(_handle, value));
            _channel = value;
        }
    }

    /// <summary>The data rate.</summary>
    /// <exception cref="RadioException">The dongle failed.</exception>
    public RadioDataRate DataRate
    {
        get => _dataRate;
        set
        {
            Check(RadioNativeMethods.SetDataRate(_handle, (int)value));
            _dataRate = value;
        }
    }

    /// <summary>Opens a Crazyradio USB dongle through libusb-1.0 (loaded at run time) and configures it for P2P.</summary>
    /// <param name="options">Which dongle and mode; <see langword="null"/> for the first one, sniffer mode on a Crazyradio 2.0.</param>
    /// <exception cref="RadioException">
    /// <see cref="RadioError.NoLibUsb"/>, <see cref="RadioError.NoDevice"/>, <see cref="RadioError.NoPermission"/> (the
    /// message gives the udev rule) or <see cref="RadioError.OldFirmware"/>.
    /// </exception>
    public static Radio OpenCrazyradio(CrazyradioOptions? options = null)
    {
        options ??= new CrazyradioOptions();
        nint path = options.LibUsbPath is null ? 0 : Marshal.StringToCoTaskMemUTF8(options.LibUsbPath);
        try
        {
            NativeCrazyradioConfig config = new() { LibUsbPath = path, DeviceIndex = options.DeviceIndex, Mode = (int)options.Mode };
            NativeRadioError error = default;
            nint radio = 0;
            int status = RadioNativeMethods.OpenCrazyradio(&config, &radio, &error);
            if (status != RadioNativeMethods.Ok)
            {
                throw new RadioException(RadioException.FromStatus(status), Message(ref error));
            }

            return new Radio(new RadioHandle(radio, null), 0, simulated: false);
        }
        finally
        {
            Marshal.FreeCoTaskMem(path);
        }
    }

    /// <summary>Sets the 5-byte address frames are sent to and received on.</summary>
    /// <param name="address">Five bytes, most significant first (the Crazyflie P2P address is FF E7 E7 E7 E7).</param>
    /// <exception cref="ArgumentException">The address is not 5 bytes.</exception>
    public void SetAddress(ReadOnlySpan<byte> address)
    {
        if (address.Length != 5)
        {
            throw new ArgumentException($"A radio address has 5 bytes, not {address.Length}.", nameof(address));
        }

        fixed (byte* a = address)
        {
            Check(RadioNativeMethods.SetAddress(_handle, a));
        }
    }

    /// <summary>Moves a simulated radio to a position in metres.</summary>
    /// <exception cref="RadioException"><see cref="RadioError.Unsupported"/> on hardware.</exception>
    public void SetPosition(double x, double y, double z) => Check(RadioNativeMethods.SetPosition(_handle, x, y, z));

    /// <summary>Puts one frame on the air, without acknowledgement.</summary>
    /// <param name="frame">1 to <see cref="MaxFrameSize"/> bytes.</param>
    /// <exception cref="RadioException"><see cref="RadioError.TooLarge"/> naming the limit, or a device error.</exception>
    public void Send(ReadOnlySpan<byte> frame)
    {
        fixed (byte* f = frame)
        {
            Check(RadioNativeMethods.Send(_handle, f, (nuint)frame.Length));
        }
    }

    /// <summary>The radio's counters.</summary>
    public RadioStatistics GetStatistics()
    {
        NativeRadioStats stats;
        Check(RadioNativeMethods.GetStats(_handle, &stats));
        return new RadioStatistics((long)stats.Sent, (long)stats.Received, (long)stats.LostSignal, (long)stats.LostCollision, (long)stats.DroppedQueueFull);
    }

    /// <summary>Waits for one frame. Allocates nothing.</summary>
    /// <returns><see langword="true"/> with a frame; <see langword="false"/> on timeout.</returns>
    internal bool TryReceive(NativeRadioFrame* frame, int timeoutMilliseconds)
    {
        int status = RadioNativeMethods.Receive(_handle, frame, timeoutMilliseconds);
        if (status == RadioNativeMethods.Ok)
        {
            return true;
        }

        if (status == RadioNativeMethods.Timeout)
        {
            return false;
        }

        Check(status);
        return false;
    }

    /// <summary>Waits for one frame into <paramref name="frame"/>. Allocates nothing.</summary>
    internal bool TryReceive(out NativeRadioFrame frame, int timeoutMilliseconds)
    {
        frame = default;
        fixed (NativeRadioFrame* f = &frame)
        {
            return TryReceive(f, timeoutMilliseconds);
        }
    }

    /// <summary>Closes the radio.</summary>
    public void Dispose() => _handle.Dispose();

    internal static string Message(ref NativeRadioError error)
    {
        fixed (byte* m = error.Message)
        {
            return Marshal.PtrToStringUTF8((nint)m) ?? "";
        }
    }

    private void Check(int status)
    {
        if (status >= 0)
        {
            return;
        }

        string detail = Marshal.PtrToStringUTF8(RadioNativeMethods.LastError(_handle)) ?? "";
        if (detail.Length == 0)
        {
            detail = Marshal.PtrToStringUTF8(RadioNativeMethods.StatusString(status)) ?? "radio error";
        }

        throw new RadioException(RadioException.FromStatus(status), detail);
    }
}
