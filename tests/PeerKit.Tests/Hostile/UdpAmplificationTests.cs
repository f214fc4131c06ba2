using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Hostile;

/// <summary>Issue 13, finding 8: no reply to an unvalidated address larger than what it sent.</summary>
public sealed class UdpAmplificationTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Caught: a 5-byte forged FINISH naming a known connection made the node send an encrypted ping (~9× the bytes),
    /// every time. Now only a whole FINISH, larger than the ping, is answered.
    /// </summary>
    [Fact]
    public async Task A_five_byte_forged_finish_naming_a_connection_gets_no_answer()
    {
        using NodeKey aliceKey = NodeKey.Generate();
        using NodeKey bobKey = NodeKey.Generate();
        await using UdpEndpoint alice = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), aliceKey);
        await using UdpEndpoint bob = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), bobKey);
        await using UdpLink dialer = await alice.ConnectAsync(bob.LocalEndPoint).WaitAsync(Wait);
        await using UdpLink accepted = await bob.AcceptAsync().AsTask().WaitAsync(Wait);
        await Task.Delay(300); // the handshake's own packets settle

        long sentBefore = accepted.GetStatus().PacketsSent;
        using var attacker = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        byte[] forged = new byte[5];
        forged[0] = UdpWire.TypeFinish;
        BinaryPrimitives.WriteUInt32BigEndian(forged.AsSpan(1), accepted.LocalConnectionId);
        for (int i = 0; i < 50; i++)
        {
            await attacker.SendToAsync(forged, SocketFlags.None, bob.LocalEndPoint);
        }

        await Task.Delay(500);
        long answered = accepted.GetStatus().PacketsSent - sentBefore;
        Assert.True(answered < 5, $"{answered} packets sent in answer to 50 forged 5-byte packets");
        Assert.True(bob.GetStatistics().DroppedMalformed >= 50);
    }
}
