namespace PeerKit;

/// <summary>Who sent a typed radio message, and how strong it arrived.</summary>
/// <param name="Address">The sender's node id (addressed messages) or radio id (broadcasts on a simulated medium); 0 when unknown.</param>
/// <param name="RssiDbm">The signal strength in dBm.</param>
/// <param name="IsAddressed">Whether the message came through the acknowledged unicast layer.</param>
public readonly record struct RadioSender(uint Address, int RssiDbm, bool IsAddressed)
{
    /// <summary>The signal strength in the Crazyflie convention: positive, 40 means −40 dBm.</summary>
    public byte Rssi => (byte)Math.Clamp(-RssiDbm, 0, 255);
}
