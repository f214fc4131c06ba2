using System.Buffers.Binary;
using PeerKit.Links;
using PeerKit.Links.Noise;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>Both roles of the datagram handshake, run against each other in memory, with fake time (µs).</summary>
public sealed class UdpHandshakeTests
{
    private static readonly UdpLinkOptions Options = new() { HandshakeRetransmitInterval = TimeSpan.FromMilliseconds(100), HandshakeTimeout = TimeSpan.FromSeconds(3) };

    private static UdpHandshake Respond(byte[] init, NodeKey responderKey, uint cid)
    {
        int cookie = init[7];
        return UdpHandshake.Respond((NoiseCipher)init[2], BinaryPrimitives.ReadUInt32BigEndian(init.AsSpan(3)), init.AsSpan(UdpWire.InitHeaderSize + cookie, NoiseHandshake.PublicKeySize), responderKey, Options, cid, now: 0);
    }

    [Fact]
    public void Initiator_and_responder_agree_on_keys_identities_and_connection_ids()
    {
        using NodeKey alice = NodeKey.Generate();
        using NodeKey bob = NodeKey.Generate();
        using UdpHandshake initiator = UdpHandshake.Initiate(alice, Options, localCid: 11, now: 0, Options.HandshakeTimeout);
        Assert.True(initiator.AwaitsResponse);
        using UdpHandshake responder = Respond(initiator.Packet, bob, cid: 22);
        Assert.Equal(UdpWire.TypeResponse, responder.Packet[0]);

        UdpSession a = initiator.ReadResponse(responder.Packet, Options, localCid: 11, expectedRemoteId: bob.Id);
        Assert.False(initiator.AwaitsResponse);
        Assert.Equal(UdpWire.TypeFinish, initiator.Packet[0]);
        UdpSession b = responder.ReadFinish(initiator.Packet, initiatorCid: 11);

        Assert.Equal(22u, a.RemoteConnectionId);
        Assert.Equal(11u, b.RemoteConnectionId);
        Assert.Equal(bob.Id, NodeId.FromPublicKey(a.RemoteStaticKey));
        Assert.Equal(alice.Id, NodeId.FromPublicKey(b.RemoteStaticKey));
        Assert.Equal(a.HandshakeHash, b.HandshakeHash);
        Assert.Equal(Options.ReceiveWindow, a.Remote.Window);

        byte[] sealedBytes = new byte[3 + NoiseCipherState.TagSize];
        a.Send.EncryptAt(5, [], [1, 2, 3], sealedBytes);
        byte[] opened = new byte[3];
        Assert.True(b.Receive.TryDecryptAt(5, [], sealedBytes, opened));
        Assert.Equal([1, 2, 3], opened);
        foreach (NoiseCipherState key in new[] { a.Send, a.Receive, b.Send, b.Receive })
        {
            key.Dispose();
        }
    }

    [Fact]
    public void The_initiator_refuses_a_responder_that_is_not_the_node_it_dialed()
    {
        using NodeKey alice = NodeKey.Generate();
        using NodeKey bob = NodeKey.Generate();
        using NodeKey mallory = NodeKey.Generate();
        using UdpHandshake initiator = UdpHandshake.Initiate(alice, Options, localCid: 1, now: 0, Options.HandshakeTimeout);
        using UdpHandshake responder = Respond(initiator.Packet, mallory, cid: 2);
        var e = Assert.Throws<IdentityMismatchException>(() => initiator.ReadResponse(responder.Packet, Options, 1, bob.Id));
        Assert.Equal(bob.Id, e.Expected);
        Assert.True(initiator.AwaitsResponse); // message 3, which would reveal alice, was never written
    }

    [Fact]
    public void A_tampered_response_fails_authentication()
    {
        using NodeKey alice = NodeKey.Generate();
        using NodeKey bob = NodeKey.Generate();
        using UdpHandshake initiator = UdpHandshake.Initiate(alice, Options, localCid: 1, now: 0, Options.HandshakeTimeout);
        using UdpHandshake responder = Respond(initiator.Packet, bob, cid: 2);
        byte[] response = (byte[])responder.Packet.Clone();
        response[^1] ^= 1;
        Assert.ThrowsAny<HandshakeException>(() => initiator.ReadResponse(response, Options, 1, null));
    }

    [Fact]
    public void An_echoed_cookie_moves_message_one_and_the_responder_still_reads_it()
    {
        using NodeKey alice = NodeKey.Generate();
        using NodeKey bob = NodeKey.Generate();
        using UdpHandshake initiator = UdpHandshake.Initiate(alice, Options, localCid: 1, now: 0, Options.HandshakeTimeout);
        byte[] retry = new byte[UdpWire.RetrySize];
        retry[0] = UdpWire.TypeRetry;
        retry.AsSpan(5).Fill(0xAB);
        initiator.EchoCookie(retry);
        initiator.EchoCookie(retry); // twice: the message moves once
        Assert.Equal(UdpWire.CookieSize, initiator.Packet[7]);
        Assert.True(initiator.Packet.AsSpan(UdpWire.InitHeaderSize, UdpWire.CookieSize).SequenceEqual(retry.AsSpan(5)));
        using UdpHandshake responder = Respond(initiator.Packet, bob, cid: 2);
        UdpSession session = initiator.ReadResponse(responder.Packet, Options, 1, bob.Id);
        session.Send.Dispose();
        session.Receive.Dispose();
    }

    [Fact]
    public void The_initiator_resends_on_a_doubling_timer_and_restarts_it_for_message_three()
    {
        using NodeKey alice = NodeKey.Generate();
        using NodeKey bob = NodeKey.Generate();
        using UdpHandshake initiator = UdpHandshake.Initiate(alice, Options, localCid: 1, now: 0, Options.HandshakeTimeout);
        Assert.Equal(3_000_000, initiator.Deadline);
        initiator.OnSent(0);
        Assert.False(initiator.Due(99_999));
        Assert.True(initiator.Due(100_000));
        initiator.OnSent(100_000);
        Assert.False(initiator.Due(299_999));
        Assert.True(initiator.Due(300_000));
        using UdpHandshake responder = Respond(initiator.Packet, bob, cid: 2);
        UdpSession session = initiator.ReadResponse(responder.Packet, Options, 1, null);
        Assert.True(initiator.Due(300_000)); // message 3 leaves at once
        initiator.OnSent(300_000);
        Assert.True(initiator.Due(400_000));
        session.Send.Dispose();
        session.Receive.Dispose();
    }
}
