using System.Buffers.Binary;
using System.Net;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>Path validation alone: challenges, their rate, and the move to a new address.</summary>
public sealed class PathValidatorTests
{
    private static SocketAddress Address(int port) => new IPEndPoint(IPAddress.Loopback, port).Serialize();

    private static ulong Challenge(PathValidator paths, SocketAddress source, long now, out SocketAddress destination)
    {
        byte[] frame = new byte[PathValidator.FrameSize];
        Assert.True(paths.TryChallenge(source, now, interval: 10_000, frame, out destination));
        Assert.Equal(UdpWire.FramePathChallenge, frame[0]);
        return BinaryPrimitives.ReadUInt64LittleEndian(frame.AsSpan(1));
    }

    [Fact]
    public void An_answer_from_the_challenged_address_moves_the_link_there()
    {
        var paths = new PathValidator();
        SocketAddress moved = Address(4000);
        ulong data = Challenge(paths, moved, now: 0, out SocketAddress destination);
        Assert.Equal(moved, destination);
        Assert.Null(paths.OnResponse(data + 1, moved)); // wrong data
        Assert.Equal(moved, paths.OnResponse(data, moved));
        Assert.Equal(1, paths.Migrations);
        Assert.Null(paths.OnResponse(data, moved)); // the challenges are forgotten after a move
    }

    [Fact]
    public void An_answer_from_another_address_does_not_move_the_link()
    {
        var paths = new PathValidator();
        ulong data = Challenge(paths, Address(4000), now: 0, out _);
        Assert.Null(paths.OnResponse(data, Address(4001)));
        Assert.Equal(0, paths.Migrations);
    }

    [Fact]
    public void An_address_is_challenged_again_only_after_the_interval_and_the_previous_answer_still_counts()
    {
        var paths = new PathValidator();
        SocketAddress moved = Address(4000);
        ulong first = Challenge(paths, moved, now: 0, out _);
        byte[] frame = new byte[PathValidator.FrameSize];
        Assert.False(paths.TryChallenge(moved, now: 9_999, interval: 10_000, frame, out _));
        ulong second = Challenge(paths, moved, now: 10_000, out _);
        Assert.NotEqual(first, second);
        Assert.Equal(2, paths.ChallengesSent);
        Assert.Equal(moved, paths.OnResponse(first, moved)); // the answer to the first was still on its way
    }

    [Fact]
    public void The_oldest_of_more_addresses_than_slots_is_forgotten()
    {
        var paths = new PathValidator();
        ulong oldest = Challenge(paths, Address(5000), now: 0, out _);
        for (int i = 1; i <= PathValidator.Slots; i++)
        {
            Challenge(paths, Address(5000 + i), now: i, out _);
        }

        Assert.Null(paths.OnResponse(oldest, Address(5000)));
    }

    [Fact]
    public void A_response_frame_echoes_the_challenge_data()
    {
        byte[] frame = new byte[PathValidator.FrameSize];
        PathValidator.WriteResponse(frame, 0x0102030405060708);
        Assert.Equal(UdpWire.FramePathResponse, frame[0]);
        Assert.Equal(0x0102030405060708UL, BinaryPrimitives.ReadUInt64LittleEndian(frame.AsSpan(1)));
    }
}
