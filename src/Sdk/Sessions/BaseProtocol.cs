namespace PeerKit.Sessions;

/// <summary>
/// The base protocol every session speaks before and beside the sub-protocols: codes 0x00–0x0F, never offset.
/// Hello (0x00) is the first frame each side sends; Disconnect (0x01) carries a devp2p reason; Ping (0x02) and
/// Pong (0x03) keep the session alive and measure the round-trip time. Codes 0x04–0x0F are reserved.
/// </summary>
/// <remarks>The proto3 schema is <c>contracts/peerkit/v1/base.proto</c>, generated from these records.</remarks>
[Protocol("peerkit", Version = 1, Length = 16)]
public sealed partial class BaseProtocol
{
    /// <summary>The base-protocol version this build speaks; a hello with a lower one is refused (<see cref="DisconnectReason.IncompatibleVersion"/>).</summary>
    public const int ProtocolVersion = 1;

    /// <summary>The first code available to sub-protocols.</summary>
    public const int FirstSubprotocolCode = 0x10;

    /// <summary>The largest hello accepted, in bytes (devp2p's limit).</summary>
    public const int MaxHelloSize = 2048;

    internal const int HelloCode = 0x00;
    internal const int DisconnectCode = 0x01;
    internal const int PingCode = 0x02;
    internal const int PongCode = 0x03;

    /// <summary>The first frame of a session, sent by both sides at once.</summary>
    /// <param name="ProtocolVersion">The base-protocol version (<see cref="BaseProtocol.ProtocolVersion"/>).</param>
    /// <param name="Name">The node's name (client identification, like <c>Geth/v1.14</c>).</param>
    /// <param name="Capabilities">Every protocol the node runs, as name and version.</param>
    /// <param name="ListenPort">The port the node accepts connections on, or 0.</param>
    /// <param name="NodeId">The node id (32 bytes); it must match the identity the link authenticated.</param>
    [Message(Code = HelloCode)]
    public sealed partial record Hello(int ProtocolVersion, string Name, Capability[] Capabilities, int ListenPort, byte[] NodeId);

    /// <summary>Says why the sender is closing the session; the last frame it sends.</summary>
    /// <param name="Reason">The devp2p reason.</param>
    [Message(Code = DisconnectCode)]
    public readonly partial record struct Disconnect(DisconnectReason Reason);

    /// <summary>Asks for a <see cref="Pong"/> with the same nonce.</summary>
    /// <param name="Nonce">Any value; the pong echoes it.</param>
    [Message(Code = PingCode)]
    public readonly partial record struct Ping([Fixed] ulong Nonce);

    /// <summary>Answers a <see cref="Ping"/>.</summary>
    /// <param name="Nonce">The ping's nonce.</param>
    [Message(Code = PongCode)]
    public readonly partial record struct Pong([Fixed] ulong Nonce);
}
