using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;

namespace PeerKit.Links.Udp;

/// <summary>
/// Path validation (RFC 9000 §8.2 in spirit): an authenticated packet from a new address makes it a candidate,
/// challenged with random data; the link moves there when the answer comes back from it. The last
/// <see cref="Slots"/> addresses challenged are remembered with their data, so an answer counts only from the address
/// its challenge went to, and copies of packets forwarded from other addresses do not cancel a genuine move. Until an
/// answer arrives, everything still goes to the old address, so a forwarded copy cannot redirect the link. Owned by
/// one link and used under its lock; times in microseconds.
/// </summary>
internal sealed class PathValidator
{
    /// <summary>Addresses challenged at once, at most.</summary>
    public const int Slots = 4;

    /// <summary>The size of a PATH_CHALLENGE or PATH_RESPONSE frame.</summary>
    public const int FrameSize = 9;

    private PathChallenge[] _challenges = []; // made by the first challenge: most links never see a new address

    /// <summary>Challenges sent.</summary>
    public long ChallengesSent { get; private set; }

    /// <summary>Moves to a new address.</summary>
    public long Migrations { get; private set; }

    /// <summary>
    /// A packet came from <paramref name="source"/>, not the link's address: writes a PATH_CHALLENGE frame for it into
    /// <paramref name="frame"/> (<see cref="FrameSize"/> bytes) unless that address was challenged less than
    /// <paramref name="interval"/> µs ago. The oldest remembered address makes room for a new one.
    /// </summary>
    /// <param name="source">The new address.</param>
    /// <param name="now">The time.</param>
    /// <param name="interval">The least time between two challenges to one address.</param>
    /// <param name="frame">Where the frame is written.</param>
    /// <param name="destination">Where to send the challenge (a copy of <paramref name="source"/> this part keeps).</param>
    /// <returns>Whether to send a challenge.</returns>
    public bool TryChallenge(SocketAddress source, long now, long interval, Span<byte> frame, out SocketAddress destination)
    {
        if (_challenges.Length == 0)
        {
            _challenges = new PathChallenge[Slots];
        }

        int slot = -1;
        int oldest = 0;
        for (int i = 0; i < _challenges.Length; i++)
        {
            if (_challenges[i].Address is { } address && address.Equals(source))
            {
                slot = i;
                break;
            }

            if (_challenges[i].SentAt < _challenges[oldest].SentAt)
            {
                oldest = i;
            }
        }

        ref PathChallenge challenge = ref _challenges[slot < 0 ? oldest : slot];
        if (slot >= 0 && now - challenge.SentAt < interval)
        {
            destination = null!;
            return false;
        }

        if (slot < 0)
        {
            challenge = new PathChallenge { Address = UdpEndpoint.Clone(source) };
        }

        frame[0] = UdpWire.FramePathChallenge;
        RandomNumberGenerator.Fill(frame[1..FrameSize]);
        challenge.Previous = challenge.Data; // an answer to the last challenge may still be on its way
        challenge.Data = BinaryPrimitives.ReadUInt64LittleEndian(frame[1..]);
        challenge.SentAt = now;
        ChallengesSent++;
        destination = challenge.Address!;
        return true;
    }

    /// <summary>
    /// A PATH_RESPONSE with <paramref name="data"/> arrived from <paramref name="source"/>: the address to move to when
    /// it answers a challenge sent there (the remembered challenges are forgotten then), else null.
    /// </summary>
    public SocketAddress? OnResponse(ulong data, SocketAddress source)
    {
        foreach (PathChallenge challenge in _challenges)
        {
            if (challenge.Address is { } address && address.Equals(source) && (data == challenge.Data || data == challenge.Previous))
            {
                Array.Clear(_challenges);
                Migrations++;
                return address;
            }
        }

        return null;
    }

    /// <summary>Writes the PATH_RESPONSE frame that answers a challenge carrying <paramref name="data"/>.</summary>
    public static void WriteResponse(Span<byte> frame, ulong data)
    {
        frame[0] = UdpWire.FramePathResponse;
        BinaryPrimitives.WriteUInt64LittleEndian(frame[1..], data);
    }
}
