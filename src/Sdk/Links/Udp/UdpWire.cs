namespace PeerKit.Links.Udp;

/// <summary>Constants and small codecs of the PeerKit UDP wire format (see docs/udp.md).</summary>
internal static class UdpWire
{
    public const byte Version = 4;

    public const byte TypeInit = 1;
    public const byte TypeResponse = 2;
    public const byte TypeFinish = 3;
    public const byte TypeRetry = 4;
    public const byte TypeData = 5;

    /// <summary>The key phase bit of a data packet's type byte: flips with every update of the sender's key.</summary>
    public const byte KeyPhaseBit = 0x80;

    /// <summary>type(1) ‖ destination connection id(4) ‖ packet number(8).</summary>
    public const int DataHeaderSize = 13;
    public const int TagSize = 16;
    public const int PacketOverhead = DataHeaderSize + TagSize;
    public const int CookieSize = 16;

    /// <summary>Initiations are padded to this size so that no reply is larger than the packet that caused it.</summary>
    public const int InitSize = 200;

    /// <summary>type ‖ version ‖ cipher ‖ initiator cid(4) ‖ cookie length(1).</summary>
    public const int InitHeaderSize = 8;
    public const int ResponseHeaderSize = 9;
    public const int FinishHeaderSize = 5;
    public const int RetrySize = 5 + CookieSize;

    /// <summary>
    /// Handshake payload: version(1) ‖ max frame size(4) ‖ mtu(2) ‖ sender's connection id(4) ‖ receive window(4) ‖
    /// max mtu(2), the largest packet the sender accepts (the ceiling of the peer's path MTU search).
    /// </summary>
    public const int HandshakePayloadSize = 17;

    /// <summary>One byte of padding (probes are filled with them); receivers skip a run of zeros at once.</summary>
    public const byte FramePadding = 0x00;

    public const byte FrameAck = 0x01;
    public const byte FramePing = 0x02;
    public const byte FrameClose = 0x03;

    /// <summary>The receiver's queue drained after it deferred packets: the sender resends what is in flight now.</summary>
    public const byte FrameResume = 0x04;

    /// <summary>Asks the peer to echo 8 bytes, to prove it receives at the address the packet went to.</summary>
    public const byte FramePathChallenge = 0x05;

    /// <summary>The 8 bytes of a <see cref="FramePathChallenge"/>, echoed.</summary>
    public const byte FramePathResponse = 0x06;

    /// <summary>A whole message: 0x10 | class, varint seq, varint length, bytes.</summary>
    public const byte FrameMessage = 0x10;

    /// <summary>A fragment: 0x14 | class, varint seq, varint total, varint chunk size, varint index, bytes.</summary>
    public const byte FrameFragment = 0x14;

    /// <summary>Room reserved in every packet for an ACK frame, so a full-size fragment still fits beside one.</summary>
    public const int AckBudget = 48;
    public const int MessageHeaderMax = 1 + 10 + 5;
    public const int FragmentHeaderMax = 1 + 10 + 5 + 5 + 5;

    public const int MinMtu = 300;
    public const int MaxMtu = 65507;

    /// <summary>
    /// Fragment offsets and chunk sizes are multiples of this many bytes, so a receiver tracks what it holds of a frame
    /// per 16-byte granule and can combine fragments cut to different sizes (before and after a path MTU change).
    /// </summary>
    public const int FragmentGranule = 16;

    /// <summary>The default <see cref="UdpLinkOptions.MaxMtu"/>: a 1500-byte Ethernet path less IPv6 (40) and UDP (8) headers.</summary>
    public const int DefaultMaxMtu = 1452;

    /// <summary>Path MTU discovery: a size is given up after this many probes of it were lost (RFC 8899 MAX_PROBES).</summary>
    public const int MaxProbes = 3;

    /// <summary>Path MTU discovery ends when the sizes still in doubt span less than this many bytes.</summary>
    public const int SearchGranularity = 16;

    /// <summary>
    /// Black-hole detection: this many loss events in a row that lost only packets larger than the base size, with no
    /// such packet acknowledged in between, take the link back to the base size.
    /// </summary>
    public const int BlackHoleLossEvents = 3;
}
