namespace PeerKit;

/// <summary>Crazyflie P2P on the air: <c>[0xFF, 0x80 | port, data…]</c>, and the firmware's acceptance rule.</summary>
internal static class P2PFrame
{
    /// <summary>Header bytes before the data.</summary>
    internal const int HeaderSize = 2;

    /// <summary>The nRF firmware's test (esb.c): at least 2 bytes, <c>(b0 &amp; 0xF3) == 0xF3</c>, <c>(b1 &amp; 0xF0) == 0x80</c>.</summary>
    internal static bool IsP2P(ReadOnlySpan<byte> frame) =>
        frame.Length >= 2 && (frame[0] & 0xF3) == 0xF3 && (frame[1] & 0xF0) == 0x80;

    /// <summary>The native shim's <c>pk_p2p_accepts</c>, for tests that compare both.</summary>
    internal static unsafe bool NativeAccepts(ReadOnlySpan<byte> frame)
    {
        fixed (byte* f = frame)
        {
            return RadioNativeMethods.P2PAccepts(f, (nuint)frame.Length) != 0;
        }
    }

    /// <summary>Writes the header for <paramref name="port"/>; the data follows at <see cref="HeaderSize"/>.</summary>
    internal static void WriteHeader(Span<byte> frame, int port)
    {
        frame[0] = 0xFF;
        frame[1] = (byte)(0x80 | (port & 0x0F));
    }
}
