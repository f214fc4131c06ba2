using System.Security.Cryptography;
using PeerKit.Links;
using PeerKit.Links.Noise;

namespace PeerKit.Tests.Links;

public sealed class NoiseTests
{
    private static readonly byte[] Prologue = "PeerKit test"u8.ToArray();

    public static TheoryData<int> Ciphers() => new() { (int)NoiseCipher.ChaChaPoly, (int)NoiseCipher.AesGcm };

    [Fact]
    public void Noise_hkdf_equals_rfc5869_hkdf_with_the_chaining_key_as_salt()
    {
        byte[] chainingKey = SHA256.HashData("Noise_XX_P256_ChaChaPoly_SHA256"u8);
        foreach (int ikmLength in new[] { 0, 32, 65, 200 })
        {
            byte[] ikm = new byte[ikmLength];
            for (int i = 0; i < ikm.Length; i++)
            {
                ikm[i] = (byte)(i * 7 + 3);
            }

            byte[] o1 = new byte[32], o2 = new byte[32], o3 = new byte[32];
            NoiseHkdf.Derive(chainingKey, ikm, o1, o2, o3);
            byte[] expected = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 96, salt: chainingKey, info: []);
            Assert.Equal(expected[..32], o1);
            Assert.Equal(expected[32..64], o2);
            Assert.Equal(expected[64..], o3);

            // Chaining: the next step keys HKDF with the first output, as MixKey does.
            byte[] n1 = new byte[32], n2 = new byte[32];
            NoiseHkdf.Derive(o1, ikm, n1, n2);
            byte[] next = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 64, salt: expected[..32], info: []);
            Assert.Equal(next[..32], n1);
            Assert.Equal(next[32..], n2);
        }
    }

    [Fact]
    public void Noise_hkdf_may_write_the_chaining_key_in_place()
    {
        byte[] ck = SHA256.HashData("ck"u8);
        byte[] expected = HKDF.DeriveKey(HashAlgorithmName.SHA256, "ikm"u8.ToArray(), 64, salt: ck, info: []);
        byte[] k = new byte[32];
        NoiseHkdf.Derive(ck, "ikm"u8, ck, k);
        Assert.Equal(expected[..32], ck);
        Assert.Equal(expected[32..], k);
    }

    [Theory]
    [MemberData(nameof(Ciphers))]
    public void XX_handshake_authenticates_both_statics_and_derives_matching_transport_keys(int cipherId)
    {
        var cipher = (NoiseCipher)cipherId;
        if (!NoiseCipherState.IsSupported(cipher))
        {
            return;
        }

        using NodeKey alice = NodeKey.Generate();
        using NodeKey bob = NodeKey.Generate();
        using var initiator = new NoiseHandshake(cipher, initiator: true, alice, Prologue);
        using var responder = new NoiseHandshake(cipher, initiator: false, bob, Prologue);

        Relay(initiator, responder, "one"u8);
        Relay(responder, initiator, "two"u8);
        Relay(initiator, responder, "three"u8);
        Assert.True(initiator.IsComplete);
        Assert.True(responder.IsComplete);

        Assert.Equal(bob.Id, NodeId.FromPublicKey(initiator.RemoteStaticKey));
        Assert.Equal(alice.Id, NodeId.FromPublicKey(responder.RemoteStaticKey));
        Assert.True(initiator.HandshakeHash.SequenceEqual(responder.HandshakeHash));

        (NoiseCipherState aSend, NoiseCipherState aReceive) = initiator.Split();
        (NoiseCipherState bSend, NoiseCipherState bReceive) = responder.Split();
        using (aSend)
        using (aReceive)
        using (bSend)
        using (bReceive)
        {
            for (int i = 0; i < 3; i++)
            {
                AssertDelivers(aSend, bReceive, $"alice {i}");
                AssertDelivers(bSend, aReceive, $"bob {i}");
            }

            // The two directions use different keys.
            byte[] ciphertext = Encrypt(aSend, "x");
            Assert.False(aReceive.TryDecrypt(default, ciphertext, new byte[ciphertext.Length]));
        }
    }

    [Fact]
    public void Handshake_payloads_are_delivered()
    {
        using NodeKey alice = NodeKey.Generate();
        using NodeKey bob = NodeKey.Generate();
        using var initiator = new NoiseHandshake(NoiseCipherState.Default, true, alice, Prologue);
        using var responder = new NoiseHandshake(NoiseCipherState.Default, false, bob, Prologue);
        Assert.Equal("one", Relay(initiator, responder, "one"u8));
        Assert.Equal("two", Relay(responder, initiator, "two"u8));
        Assert.Equal("three", Relay(initiator, responder, "three"u8));
    }

    [Theory]
    [InlineData(1, 0)]      // message 2: the responder's ephemeral key
    [InlineData(1, 70)]     // message 2: the encrypted static key
    [InlineData(1, 160)]    // message 2: the payload's tag
    [InlineData(2, 3)]      // message 3: the encrypted static key
    [InlineData(2, 90)]     // message 3: the payload's tag
    public void A_tampered_handshake_message_fails_with_a_typed_error(int messageIndex, int byteIndex)
    {
        using NodeKey alice = NodeKey.Generate();
        using NodeKey bob = NodeKey.Generate();
        using var initiator = new NoiseHandshake(NoiseCipherState.Default, true, alice, Prologue);
        using var responder = new NoiseHandshake(NoiseCipherState.Default, false, bob, Prologue);
        NoiseHandshake[] writers = [initiator, responder, initiator];
        NoiseHandshake[] readers = [responder, initiator, responder];

        for (int i = 0; i < 3; i++)
        {
            byte[] message = new byte[1024];
            int length = writers[i].WriteMessage("payload"u8, message);
            if (i == messageIndex)
            {
                message[byteIndex] ^= 0x01;
                HandshakeException e = Assert.ThrowsAny<HandshakeException>(() => readers[i].ReadMessage(message.AsSpan(0, length), new byte[1024]));
                Assert.True(e.Failure is HandshakeFailure.AuthenticationFailed or HandshakeFailure.InvalidMessage, e.Failure.ToString());
                return;
            }

            readers[i].ReadMessage(message.AsSpan(0, length), new byte[1024]);
        }

        Assert.Fail("the tampered message was not reached");
    }

    [Fact]
    public void A_tampered_first_message_is_detected_by_the_initiator()
    {
        using NodeKey alice = NodeKey.Generate();
        using NodeKey bob = NodeKey.Generate();
        using var initiator = new NoiseHandshake(NoiseCipherState.Default, true, alice, Prologue);
        using var responder = new NoiseHandshake(NoiseCipherState.Default, false, bob, Prologue);

        byte[] message = new byte[1024];
        int length = initiator.WriteMessage("hello"u8, message);
        message[length - 1] ^= 0x01; // the clear-text payload: hashed into h, so message 2 no longer authenticates
        responder.ReadMessage(message.AsSpan(0, length), new byte[1024]);
        length = responder.WriteMessage(default, message);
        HandshakeException e = Assert.ThrowsAny<HandshakeException>(() => initiator.ReadMessage(message.AsSpan(0, length), new byte[1024]));
        Assert.Equal(HandshakeFailure.AuthenticationFailed, e.Failure);
    }

    [Fact]
    public void Different_prologues_fail_the_handshake()
    {
        using NodeKey alice = NodeKey.Generate();
        using NodeKey bob = NodeKey.Generate();
        using var initiator = new NoiseHandshake(NoiseCipherState.Default, true, alice, "a"u8);
        using var responder = new NoiseHandshake(NoiseCipherState.Default, false, bob, "b"u8);
        Relay(initiator, responder, default);
        byte[] message = new byte[1024];
        int length = responder.WriteMessage(default, message);
        Assert.Equal(HandshakeFailure.AuthenticationFailed, Assert.ThrowsAny<HandshakeException>(() => initiator.ReadMessage(message.AsSpan(0, length), new byte[1024])).Failure);
    }

    [Fact]
    public void An_invalid_ephemeral_point_is_an_invalid_message()
    {
        using NodeKey bob = NodeKey.Generate();
        using var responder = new NoiseHandshake(NoiseCipherState.Default, false, bob, Prologue);
        byte[] message = new byte[65];
        message[0] = 0x04; // (0, 0) is not on the curve
        Assert.Equal(HandshakeFailure.InvalidMessage, Assert.ThrowsAny<HandshakeException>(() => responder.ReadMessage(message, new byte[64])).Failure);
        using var responder2 = new NoiseHandshake(NoiseCipherState.Default, false, bob, Prologue);
        Assert.Equal(HandshakeFailure.InvalidMessage, Assert.ThrowsAny<HandshakeException>(() => responder2.ReadMessage(new byte[10], new byte[64])).Failure);
    }

    [Theory]
    [MemberData(nameof(Ciphers))]
    public void A_replayed_or_reordered_transport_frame_fails_decryption(int cipherId)
    {
        var cipher = (NoiseCipher)cipherId;
        if (!NoiseCipherState.IsSupported(cipher))
        {
            return;
        }

        byte[] key = RandomNumberGenerator.GetBytes(32);
        using var sender = new NoiseCipherState(cipher, key);
        using var receiver = new NoiseCipherState(cipher, key);
        byte[] f0 = Encrypt(sender, "frame 0");
        byte[] f1 = Encrypt(sender, "frame 1");
        byte[] f2 = Encrypt(sender, "frame 2");

        Assert.Equal("frame 0", Decrypt(receiver, f0));
        Assert.Null(Decrypt(receiver, f0));  // replayed
        Assert.Null(Decrypt(receiver, f2));  // reordered: nonce 1 expected
        Assert.Equal(1UL, receiver.Nonce);   // failures do not advance the nonce
        Assert.Equal("frame 1", Decrypt(receiver, f1));
        byte[] tampered = (byte[])f2.Clone();
        tampered[0] ^= 0x80;
        Assert.Null(Decrypt(receiver, tampered));
        Assert.Equal("frame 2", Decrypt(receiver, f2));
    }

    private static string Relay(NoiseHandshake writer, NoiseHandshake reader, ReadOnlySpan<byte> payload)
    {
        byte[] message = new byte[1024];
        int length = writer.WriteMessage(payload, message);
        byte[] received = new byte[1024];
        int payloadLength = reader.ReadMessage(message.AsSpan(0, length), received);
        return System.Text.Encoding.UTF8.GetString(received, 0, payloadLength);
    }

    private static void AssertDelivers(NoiseCipherState sender, NoiseCipherState receiver, string text)
        => Assert.Equal(text, Decrypt(receiver, Encrypt(sender, text)));

    private static byte[] Encrypt(NoiseCipherState cipher, string text)
    {
        byte[] plaintext = System.Text.Encoding.UTF8.GetBytes(text);
        byte[] ciphertext = new byte[plaintext.Length + NoiseCipherState.TagSize];
        cipher.Encrypt(default, plaintext, ciphertext);
        return ciphertext;
    }

    private static string? Decrypt(NoiseCipherState cipher, byte[] ciphertext)
    {
        byte[] buffer = (byte[])ciphertext.Clone();
        return cipher.TryDecrypt(default, buffer, buffer) ? System.Text.Encoding.UTF8.GetString(buffer, 0, buffer.Length - NoiseCipherState.TagSize) : null;
    }
}
