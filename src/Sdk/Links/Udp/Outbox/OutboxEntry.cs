using System.Net;

namespace PeerKit.Links.Udp;

/// <summary>Datagrams sealed under a link's lock, waiting in its <see cref="Outbox"/>: <see cref="Segment"/> is 0 for one
/// datagram, else the size of each of the equal-size datagrams in <see cref="Buffer"/> (the last may be shorter).
/// <see cref="Buffer"/> comes from <see cref="System.Buffers.ArrayPool{T}.Shared"/> and goes back once sent.</summary>
internal readonly record struct OutboxEntry(byte[] Buffer, int Length, int Segment, SocketAddress Destination);
