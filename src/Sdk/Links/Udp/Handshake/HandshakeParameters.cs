namespace PeerKit.Links.Udp;

/// <summary>What one side announces in its handshake payload: its largest frame, base and largest packet size,
/// connection id and receive window.</summary>
internal readonly record struct HandshakeParameters(int MaxFrame, int Mtu, uint Cid, int Window, int MaxMtu);
