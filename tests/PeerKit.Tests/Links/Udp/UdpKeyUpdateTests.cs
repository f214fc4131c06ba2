using System.Security.Cryptography;
using PeerKit.Links;
using PeerKit.Links.Noise;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>Key updates of the UDP link: Noise REKEY per direction, signalled by the key phase bit.</summary>
public sealed class UdpKeyUpdateTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData((int)NoiseCipher.AesGcm)]
    [InlineData((int)NoiseCipher.ChaChaPoly)]
    public void Rekey_derives_the_key_the_Noise_spec_defines(int cipherId)
    {
        var cipher = (NoiseCipher)cipherId;
        byte[] key = RandomNumberGenerator.GetBytes(32);

        // REKEY(k) = the first 32 bytes of ENCRYPT(k, 2^64 - 1, empty, 32 zero bytes); both nonce encodings of
        // 2^64 - 1 are 4 zero bytes then eight 0xFF bytes.
        byte[] nonce = [0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        byte[] expected = new byte[32];
        byte[] tag = new byte[16];
        if (cipher == NoiseCipher.AesGcm)
        {
            using var aes = new AesGcm(key, 16);
            aes.Encrypt(nonce, new byte[32], expected, tag);
        }
        else
        {
            using var chacha = new ChaCha20Poly1305(key);
            chacha.Encrypt(nonce, new byte[32], expected, tag);
        }

        using var state = new NoiseCipherState(cipher, key);
        using NoiseCipherState next = state.Rekey();
        using var reference = new NoiseCipherState(cipher, expected);
        Assert.NotEqual(key, expected);
        byte[] header = [5, 1, 2, 3, 4];
        byte[] plain = RandomNumberGenerator.GetBytes(100);
        byte[] fromNext = new byte[116];
        byte[] fromReference = new byte[116];
        byte[] fromOld = new byte[116];
        next.EncryptAt(7, header, plain, fromNext);
        reference.EncryptAt(7, header, plain, fromReference);
        state.EncryptAt(7, header, plain, fromOld);
        Assert.Equal(fromReference, fromNext);
        Assert.NotEqual(fromOld, fromNext);
        Assert.Equal(cipher, next.Cipher);
    }

    [Fact]
    public void Key_update_options_are_validated()
    {
        var options = new UdpLinkOptions();
        Assert.Equal(1L << 22, options.KeyUpdatePackets);
        Assert.Equal(TimeSpan.FromMinutes(10), options.KeyUpdateInterval);
        Assert.Throws<ArgumentOutOfRangeException>(() => new UdpLinkOptions { KeyUpdatePackets = 15 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new UdpLinkOptions { KeyUpdateInterval = TimeSpan.Zero });
    }

    [Fact]
    public async Task Keys_update_many_times_under_loss_duplication_and_reordering_without_losing_a_frame()
    {
        const int count = 20_000;
        UdpLinkOptions options = UdpHarness.FastOptions(keyUpdatePackets: 64);
        var impairment = new Impairment
        {
            Loss = 0.10,
            Duplication = 0.05,
            Reordering = 0.10,
            Delay = TimeSpan.FromMilliseconds(1),
            Jitter = TimeSpan.FromMilliseconds(1),
        };
        await using var h = new UdpHarness(seed: 400, impairment, options);
        int phaseZero = 0;
        int phaseOne = 0;
        h.Network.Filter = (from, data) =>
        {
            if (data[0] == UdpWire.TypeData)
            {
                Interlocked.Increment(ref phaseZero);
            }
            else if (data[0] == (UdpWire.TypeData | UdpWire.KeyPhaseBit))
            {
                Interlocked.Increment(ref phaseOne);
            }

            return false;
        };

        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        Task sending = UdpHarness.SendNumbersAsync(client, count, Reliability.ReliableOrdered);
        Task echoing = UdpHarness.SendNumbersAsync(server, count / 10, Reliability.ReliableOrdered);
        for (int expected = 0; expected < count; expected++)
        {
            using LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(expected, UdpHarness.ReadNumber(frame));
        }

        for (int expected = 0; expected < count / 10; expected++)
        {
            using LinkFrame frame = await client.ReceiveAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(expected, UdpHarness.ReadNumber(frame));
        }

        await Task.WhenAll(sending, echoing).WaitAsync(Timeout);
        UdpLinkStatus c = client.GetStatus();
        UdpLinkStatus s = server.GetStatus();

        // Each update waits for an acknowledgement of the current key, so at most one is ahead of the peer.
        Assert.True(c.KeyUpdates >= 10, $"client updated its key {c.KeyUpdates} times in {c.PacketsSent} packets");
        Assert.True(s.KeyUpdates >= 2, $"server updated its key {s.KeyUpdates} times in {s.PacketsSent} packets");
        Assert.InRange(s.PeerKeyUpdates, c.KeyUpdates - 1, c.KeyUpdates);
        Assert.InRange(c.PeerKeyUpdates, s.KeyUpdates - 1, s.KeyUpdates);
        Assert.True(c.PacketsSent <= 64 * (c.KeyUpdates + 2), "no key sealed many more packets than the limit");
        Assert.True(Volatile.Read(ref phaseZero) > 0 && Volatile.Read(ref phaseOne) > 0, "both key phases went on the wire");
        Assert.False(server.TryReceive(out _));
    }

    [Fact]
    public async Task Keys_update_when_the_interval_passes_on_a_quiet_link()
    {
        UdpLinkOptions options = UdpHarness.FastOptions(keyUpdateInterval: TimeSpan.FromMilliseconds(50));
        await using var h = new UdpHarness(seed: 401, options: options);
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        for (int i = 0; i < 20; i++)
        {
            await client.SendAsync(new[] { (byte)i });
            using LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(i, frame.Span[0]);
            await Task.Delay(20);
        }

        UdpLinkStatus c = client.GetStatus();
        Assert.True(c.KeyUpdates >= 2, $"{c.KeyUpdates} updates in about 400 ms with a 50 ms interval");
        Assert.True(c.KeyUpdates < 20, "an update per interval, not per packet");
        Assert.InRange(server.GetStatus().PeerKeyUpdates, c.KeyUpdates - 1, c.KeyUpdates);
    }

    [Fact]
    public async Task A_packet_whose_key_phase_bit_was_flipped_is_dropped_as_invalid()
    {
        await using var h = new UdpHarness(seed: 402);
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        int flipped = 0;
        h.Network.Filter = (from, data) =>
        {
            if (from == h.ClientTransport && data[0] == UdpWire.TypeData && Interlocked.Exchange(ref flipped, 1) == 0)
            {
                // The type byte is authenticated with the packet, so the flipped copy must fail, whichever key it
                // is tried with; the original is dropped so that only the copy arrives.
                byte[] copy = data.ToArray();
                copy[0] ^= UdpWire.KeyPhaseBit;
                h.Network.Inject(h.ClientTransport.LocalEndPoint, h.ServerTransport, copy);
                return true;
            }

            return false;
        };

        await client.SendAsync(new byte[] { 42 });
        using (LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout))
        {
            Assert.Equal(42, frame.Span[0]); // the retransmission, in a new packet
        }

        Assert.Equal(1, Volatile.Read(ref flipped));
        UdpLinkStatus s = server.GetStatus();
        Assert.Equal(1, s.PacketsDroppedInvalid);
        Assert.Equal(0, s.PeerKeyUpdates);
        Assert.False(server.TryReceive(out _));
    }
}
