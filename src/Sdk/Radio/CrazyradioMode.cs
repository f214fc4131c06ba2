namespace PeerKit;

/// <summary>How a Crazyradio dongle is driven.</summary>
public enum CrazyradioMode
{
    /// <summary>Sniffer mode on a Crazyradio 2.0 in native mode (35f0:ad20), else PA legacy mode.</summary>
    Auto = 0,

    /// <summary>Crazyradio 2.0 sniffer mode: sends and receives P2P frames of up to 63 bytes.</summary>
    Sniffer = 1,

    /// <summary>The Crazyradio PA protocol (1915:7777) with ACK off: sends frames of at most 32 bytes (30 P2P data bytes) and cannot receive P2P.</summary>
    Legacy = 2,
}
