using System.Buffers.Binary;
using PeerKit.Links;
using PeerKit.Links.Noise;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Hostile;

/// <summary>
/// Issue 13, finding 5: one injected packet killed a UDP handshake. A garbage FINISH removed the pending handshake
/// before it was checked, and a garbage RESPONSE failed the dialer at once; both also left the Noise state half-mixed,
/// so the genuine message that followed failed too. Now a message that fails authentication changes no state.
/// </summary>
public sealed class HandshakeInjectionTests
{
    private static readonly UdpLinkOptions Options = new() { HandshakeRetransmitInterval = TimeSpan.FromMilliseconds(100), HandshakeTimeout = TimeSpan.FromSeconds(3) };

    private static UdpHandshake Respond(byte[] init, NodeKey responderKey, uint cid)
    {
        int cookie = init[7];
        return UdpHandshake.Respond((NoiseCipher)init[2], BinaryPrimitives.ReadUInt32BigEndian(init.AsSpan(3)), init.AsSpan(UdpWire.InitHeaderSize + cookie, NoiseHandshake.PublicKeySize), responderKey, Options, cid, now: 0);
    }

    /// <summary>Caught: a forged RESPONSE (same header, garbage body) failed the dialer and broke its Noise state.</summary>
    [Fact]
    public void A_forged_response_changes_nothing_and_the_genuine_one_still_completes_the_handshake()
    {
        using NodeKey alice = NodeKey.Generate();
        using NodeKey bob = NodeKey.Generate();
        using UdpHandshake initiator = UdpHandshake.Initiate(alice, Options, localCid: 11, now: 0, Options.HandshakeTimeout);
        using UdpHandshake responder = Respond(initiator.Packet, bob, cid: 22);

        foreach (byte[] forged in Forgeries(responder.Packet, UdpWire.ResponseHeaderSize))
        {
            Assert.ThrowsAny<HandshakeException>(() => initiator.ReadResponse(forged, Options, localCid: 11, expectedRemoteId: bob.Id));
            Assert.False(initiator.RemoteAuthenticated);
            Assert.True(initiator.AwaitsResponse);
        }

        UdpSession a = initiator.ReadResponse(responder.Packet, Options, localCid: 11, expectedRemoteId: bob.Id);
        UdpSession b = responder.ReadFinish(initiator.Packet, initiatorCid: 11);
        Assert.Equal(a.HandshakeHash, b.HandshakeHash);
        Dispose(a, b);
    }

    /// <summary>Caught: a forged FINISH ended the responder's pending handshake; the initiator's real one then failed.</summary>
    [Fact]
    public void A_forged_finish_changes_nothing_and_the_genuine_one_still_completes_the_handshake()
    {
        using NodeKey alice = NodeKey.Generate();
        using NodeKey bob = NodeKey.Generate();
        using UdpHandshake initiator = UdpHandshake.Initiate(alice, Options, localCid: 11, now: 0, Options.HandshakeTimeout);
        using UdpHandshake responder = Respond(initiator.Packet, bob, cid: 22);
        UdpSession a = initiator.ReadResponse(responder.Packet, Options, localCid: 11, expectedRemoteId: bob.Id);

        foreach (byte[] forged in Forgeries(initiator.Packet, UdpWire.FinishHeaderSize))
        {
            Assert.ThrowsAny<HandshakeException>(() => responder.ReadFinish(forged, initiatorCid: 11));
            Assert.False(responder.RemoteAuthenticated);
        }

        UdpSession b = responder.ReadFinish(initiator.Packet, initiatorCid: 11);
        Assert.True(responder.RemoteAuthenticated);
        Assert.Equal(a.HandshakeHash, b.HandshakeHash);
        Dispose(a, b);
    }

    /// <summary>The Noise layer alone: a tampered message 3 leaves the responder able to read the real one.</summary>
    [Fact]
    public void A_tampered_noise_message_rolls_back_the_handshake_state()
    {
        using NodeKey alice = NodeKey.Generate();
        using NodeKey bob = NodeKey.Generate();
        using var initiator = new NoiseHandshake(NoiseCipher.ChaChaPoly, true, alice, []);
        using var responder = new NoiseHandshake(NoiseCipher.ChaChaPoly, false, bob, []);
        byte[] m1 = new byte[NoiseHandshake.MessageSize(0, 0)];
        initiator.WriteMessage([], m1);
        responder.ReadMessage(m1, new byte[16]);
        byte[] m2 = new byte[NoiseHandshake.MessageSize(1, 0)];
        responder.WriteMessage([], m2);
        initiator.ReadMessage(m2, new byte[16]);
        byte[] m3 = new byte[NoiseHandshake.MessageSize(2, 4)];
        initiator.WriteMessage([1, 2, 3, 4], m3);
        byte[] before = responder.HandshakeHash.ToArray();
        for (int i = 0; i < m3.Length; i += 7)
        {
            byte[] tampered = (byte[])m3.Clone();
            tampered[i] ^= 0x40;
            Assert.Throws<HandshakeException>(() => responder.ReadMessage(tampered, new byte[16]));
            Assert.Equal(before, responder.HandshakeHash.ToArray());
        }

        byte[] payload = new byte[16];
        Assert.Equal(4, responder.ReadMessage(m3, payload));
        Assert.Equal(initiator.HandshakeHash.ToArray(), responder.HandshakeHash.ToArray());
    }

    /// <summary>Packets with the genuine header and a damaged or random body.</summary>
    private static IEnumerable<byte[]> Forgeries(byte[] genuine, int headerSize)
    {
        var random = new Random(5);
        byte[] garbage = (byte[])genuine.Clone();
        random.NextBytes(garbage.AsSpan(headerSize));
        yield return garbage;
        foreach (int at in new[] { headerSize, headerSize + 40, genuine.Length - 1 })
        {
            byte[] flipped = (byte[])genuine.Clone();
            flipped[at] ^= 0x01;
            yield return flipped;
        }
    }

    private static void Dispose(UdpSession a, UdpSession b)
    {
        foreach (NoiseCipherState key in new[] { a.Send, a.Receive, b.Send, b.Receive })
        {
            key.Dispose();
        }
    }
}
