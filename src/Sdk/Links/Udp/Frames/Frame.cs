namespace PeerKit.Links.Udp;

/// <summary>
/// One frame read from a decrypted packet by <see cref="FrameReader"/>, its structure checked. Which fields are set
/// depends on <see cref="Kind"/>: MESSAGE (class, sequence number, data), FRAGMENT (class, sequence number, total
/// length, chunk size, index, data), PATH_CHALLENGE and PATH_RESPONSE (data as <see cref="PathData"/>), ACK
/// (<see cref="Ack"/>).
/// </summary>
internal ref struct Frame
{
    public FrameKind Kind;
    public int Class;
    public ulong Seq;
    public long Total;
    public int ChunkSize;
    public int Index;
    public ulong PathData;
    public ReadOnlySpan<byte> Data;
    public AckFrame Ack;
}
