using PeerKit.Links.Noise;

namespace PeerKit.Links.Udp;

/// <summary>What a completed handshake gives a link: its keys, the peer's static key and parameters, the handshake
/// hash, and the connection id the peer's packets are addressed with on its side.</summary>
internal sealed record UdpSession(
    NoiseCipherState Send,
    NoiseCipherState Receive,
    byte[] RemoteStaticKey,
    byte[] HandshakeHash,
    HandshakeParameters Remote,
    uint RemoteConnectionId);
