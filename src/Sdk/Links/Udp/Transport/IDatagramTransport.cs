using System.Net;
using System.Net.Sockets;

namespace PeerKit.Links.Udp;

/// <summary>
/// The datagram socket under a <see cref="UdpEndpoint"/>: a real UDP socket, or an in-memory network in tests.
/// </summary>
internal interface IDatagramTransport : IDisposable
{
    IPEndPoint LocalEndPoint { get; }

    /// <summary>How many datagrams one <see cref="SendSegments"/> call may carry (1: no batching).</summary>
    int MaxSegments { get; }

    /// <summary>Calls that sent more than one datagram in one system call.</summary>
    long SegmentedSends => 0;

    /// <summary>
    /// Starts delivering received datagrams to <paramref name="handler"/>, one at a time, and calls
    /// <paramref name="batchEnd"/> after each run of datagrams taken from the socket together (at least once after
    /// every datagram delivered), from the same thread.
    /// </summary>
    void Start(DatagramHandler handler, Action batchEnd);

    /// <summary>Sends one datagram without blocking for long; false when it could not be sent (counted as lost).</summary>
    bool Send(ReadOnlySpan<byte> datagram, SocketAddress destination);

    /// <summary>
    /// Sends one datagram and says why it could not be: <see cref="DatagramSendResult.TooLarge"/> when the local
    /// interface refuses its size (EMSGSIZE; path MTU probes count that as a lost probe), else
    /// <see cref="DatagramSendResult.Failed"/> (a full buffer, an unreachable peer: worth trying again later).
    /// </summary>
    DatagramSendResult SendChecked(ReadOnlySpan<byte> datagram, SocketAddress destination)
        => Send(datagram, destination) ? DatagramSendResult.Sent : DatagramSendResult.Failed;

    /// <summary>
    /// Sends <paramref name="buffer"/> as datagrams of <paramref name="segmentSize"/> bytes each, the last one
    /// possibly shorter, at most <see cref="MaxSegments"/> of them; false when they could not be sent.
    /// </summary>
    bool SendSegments(ReadOnlySpan<byte> buffer, int segmentSize, SocketAddress destination)
        => SendEach(this, buffer, segmentSize, destination);

    /// <summary>Sends the segments of <paramref name="buffer"/> one datagram at a time.</summary>
    static bool SendEach(IDatagramTransport transport, ReadOnlySpan<byte> buffer, int segmentSize, SocketAddress destination)
    {
        bool sent = true;
        for (int offset = 0; offset < buffer.Length; offset += segmentSize)
        {
            sent &= transport.Send(buffer.Slice(offset, Math.Min(segmentSize, buffer.Length - offset)), destination);
        }

        return sent;
    }
}
