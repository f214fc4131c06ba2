using System.Net;
using System.Net.Sockets;

namespace PeerKit.Links.Udp;

/// <summary>Receives datagrams; called from one thread at a time. <paramref name="source"/> is only valid during the call.</summary>
internal delegate void DatagramHandler(ReadOnlySpan<byte> datagram, SocketAddress source);
