using System.Diagnostics.CodeAnalysis;

namespace PeerKit;

/// <summary>
/// One received Crazyflie P2P packet, as the firmware's <c>P2PPacket</c>: <see cref="Port"/>, <see cref="Size"/>,
/// <see cref="Data"/> and <see cref="Rssi"/> (positive: 40 means −40 dBm), plus <see cref="RssiDbm"/> and who sent it.
/// The bytes are stored inline: a packet is a value, copying it allocates nothing.
/// </summary>
public struct P2PPacket
{
    private P2PPacketData _data;

    internal P2PPacket(int port, ReadOnlySpan<byte> data, int rssiDbm, uint sender, bool addressed, long timestampMicroseconds)
    {
        Port = (byte)port;
        Size = (byte)data.Length;
        RssiDbm = (short)rssiDbm;
        Sender = sender;
        IsAddressed = addressed;
        TimestampMicroseconds = timestampMicroseconds;
        data.CopyTo(_data);
    }

    /// <summary>The P2P port, 0 to 15.</summary>
    public byte Port { get; }

    /// <summary>The number of data bytes (the port is not counted), 0 to 60.</summary>
    public byte Size { get; }

    /// <summary>The signal strength in the Crazyflie convention: positive, 40 means −40 dBm.</summary>
    public readonly byte Rssi => (byte)Math.Clamp(-RssiDbm, 0, 255);

    /// <summary>The signal strength in dBm (negative).</summary>
    public short RssiDbm { get; }

    /// <summary>
    /// Who sent the packet: the node id of an addressed packet; for a broadcast, the sending radio's id on a simulated
    /// medium, and 0 on hardware (a Crazyflie broadcast carries no source address on the air).
    /// </summary>
    public uint Sender { get; }

    /// <summary>Whether the packet came through the acknowledged unicast layer (<see cref="RadioNode.SendAsync"/>).</summary>
    public bool IsAddressed { get; }

    /// <summary>When the frame ended on the air, in microseconds of the medium's (or the dongle's) clock.</summary>
    public long TimestampMicroseconds { get; }

    /// <summary>The data bytes. The span points into this packet: keep the packet (not a copy) while you use it.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<byte> Data => ((ReadOnlySpan<byte>)_data)[..Size];

    /// <inheritdoc/>
    public override readonly string ToString() => $"P2P port {Port}, {Size} bytes, rssi {Rssi} ({RssiDbm} dBm), from {Sender}";
}
