using System.Net;

namespace PeerKit.Links.Udp;

/// <summary>A challenged address, the random data sent there (and the data of the challenge before), and when (µs).</summary>
internal struct PathChallenge
{
    public SocketAddress? Address;
    public ulong Data;
    public ulong Previous;
    public long SentAt;
}
