namespace PeerKit.Routing;

/// <summary>
/// Raw packets between two <see cref="RouterClient"/>s (the Oculus <c>SendPacket</c>/<c>ReadPacket</c>, CLASP's
/// <c>send_p2p</c>): bytes the application frames itself, raised as <see cref="RoutingEventKind.Data"/>.
/// </summary>
[Protocol("peerkit-packet", Version = 1)]
public sealed partial class PacketProtocol
{
    /// <summary>A packet sent reliably (ordered, retried, up to 65,535 bytes as in the Oculus SDK).</summary>
    /// <param name="Data">The bytes.</param>
    [Message(Code = 0)]
    public readonly partial record struct Packet(ReadOnlyMemory<byte> Data);

    /// <summary>A packet sent unreliably (best effort; keep it within 1,200 bytes).</summary>
    /// <param name="Data">The bytes.</param>
    [Message(Code = 1, Reliability = Reliability.Unreliable)]
    public readonly partial record struct UnreliablePacket(ReadOnlyMemory<byte> Data);
}
