using System.Runtime.InteropServices;

namespace PeerKit;

/// <summary><c>pk_sim_medium_config</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeMediumConfig
{
    public ulong Seed;
    public nint Path;
    public int Clock;
    public double TxPowerDbm;
    public double ReferenceLossDb;
    public double PathLossExponent;
    public double NoiseFloorDbm;
    public double ExtraLoss;
    public double CaptureDb;
    public uint QueueFrames;
}

/// <summary><c>pk_radio_frame</c>: 80 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeRadioFrame
{
    public ulong TimestampMicroseconds;
    public uint Sender;
    public short RssiDbm;
    public byte Length;
    public byte Pipe;
    public fixed byte Data[64];

    /// <summary>The frame's bytes, copied (for tests and diagnostics).</summary>
    internal readonly byte[] ToArray()
    {
        fixed (byte* data = Data)
        {
            return new ReadOnlySpan<byte>(data, Math.Min((int)Length, 64)).ToArray();
        }
    }

    /// <summary>A frame holding <paramref name="bytes"/> (at most 64), as the native receive would fill it.</summary>
    internal static NativeRadioFrame Create(ReadOnlySpan<byte> bytes, int rssiDbm, uint sender)
    {
        NativeRadioFrame frame = default;
        frame.Length = (byte)Math.Min(bytes.Length, 64);
        frame.RssiDbm = (short)rssiDbm;
        frame.Sender = sender;
        bytes[..frame.Length].CopyTo(new Span<byte>(frame.Data, 64));
        return frame;
    }
}

/// <summary><c>pk_radio_stats</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeRadioStats
{
    public ulong Sent;
    public ulong Received;
    public ulong LostSignal;
    public ulong LostCollision;
    public ulong DroppedQueueFull;
}

/// <summary><c>pk_radio_error</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeRadioError
{
    public fixed byte Message[256];
}

/// <summary><c>pk_crazyradio_config</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeCrazyradioConfig
{
    public nint Usb;
    public nint LibUsbPath;
    public int DeviceIndex;
    public int Mode;
}
