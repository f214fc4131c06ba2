using System.Security.Cryptography;
using PeerKit.Links.Noise;

namespace PeerKit.Tests.Links.Noise;

/// <summary>
/// ManagedAesGcm against the published AES-256-GCM vectors and against System.Security.Cryptography.AesGcm.
/// On a processor without AES-NI/PCLMULQDQ (or not x86) the class is not supported: the tests then check that
/// it says so and refuses to be constructed, which is the contract the caller relies on to fall back.
/// </summary>
public sealed class ManagedAesGcmTests
{
    private static readonly int[] AadLengths = [0, 1, 13, 16, 17, 31, 64, 70];

    /// <summary>AES-256 test cases 13–16 of McGrew and Viega, "The Galois/Counter Mode of Operation (GCM)", with 96-bit IVs.</summary>
    public static TheoryData<string, string, string, string, string, string> KnownAnswers() => new()
    {
        {
            // Test case 13: empty plaintext, zero key and IV.
            "0000000000000000000000000000000000000000000000000000000000000000",
            "000000000000000000000000",
            "",
            "",
            "",
            "530f8afbc74536b9a963b4f1c4cb738b"
        },
        {
            // Test case 14: one zero block.
            "0000000000000000000000000000000000000000000000000000000000000000",
            "000000000000000000000000",
            "00000000000000000000000000000000",
            "",
            "cea7403d4d606b6e074ec5d3baf39d18",
            "d0d1c8a799996bf0265b98b5d48ab919"
        },
        {
            // Test case 15: four blocks, no associated data.
            "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
            "cafebabefacedbaddecaf888",
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
            "",
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
            "b094dac5d93471bdec1a502270e3cc6c"
        },
        {
            // Test case 16: 60 bytes (a partial last block) and 20 bytes of associated data.
            "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
            "cafebabefacedbaddecaf888",
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
            "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
            "76fc6ece0f4e1768cddf8853bb2d551b"
        },
    };

    [Fact]
    public void Is_supported_exactly_on_x86_with_aes_ni_and_pclmulqdq_and_refuses_construction_elsewhere()
    {
        bool expected = System.Runtime.Intrinsics.X86.Aes.IsSupported
            && System.Runtime.Intrinsics.X86.Pclmulqdq.IsSupported
            && System.Runtime.Intrinsics.X86.Ssse3.IsSupported
            && System.Runtime.Intrinsics.X86.Sse41.IsSupported;
        Assert.Equal(expected, ManagedAesGcm.IsSupported);
        if (!ManagedAesGcm.IsSupported)
        {
            Assert.Throws<PlatformNotSupportedException>(() => new ManagedAesGcm(new byte[32]));
        }
    }

    [Theory]
    [MemberData(nameof(KnownAnswers))]
    public void Matches_the_published_aes256_gcm_vectors(string key, string nonce, string plaintext, string aad, string ciphertext, string tag)
    {
        byte[] k = Convert.FromHexString(key), n = Convert.FromHexString(nonce), p = Convert.FromHexString(plaintext);
        byte[] a = Convert.FromHexString(aad), c = Convert.FromHexString(ciphertext), t = Convert.FromHexString(tag);

        // The vectors themselves, through the platform's AES-GCM: a typo here would show as a failure of both.
        using (var system = new AesGcm(k, 16))
        {
            byte[] sc = new byte[p.Length], st = new byte[16];
            system.Encrypt(n, p, sc, st, a);
            Assert.Equal(c, sc);
            Assert.Equal(t, st);
        }

        if (!ManagedAesGcm.IsSupported)
        {
            return; // Covered by the IsSupported test: the class cannot be constructed here.
        }

        using var gcm = new ManagedAesGcm(k);
        byte[] outC = new byte[p.Length], outT = new byte[16];
        gcm.Encrypt(n, p, outC, outT, a);
        Assert.Equal(c, outC);
        Assert.Equal(t, outT);

        byte[] outP = new byte[c.Length];
        Assert.True(gcm.TryDecrypt(n, c, t, outP, a));
        Assert.Equal(p, outP);
    }

    [Fact]
    public void Agrees_with_system_aes_gcm_at_every_length_up_to_1600_bytes()
    {
        if (!ManagedAesGcm.IsSupported)
        {
            return; // Nothing to compare: the caller uses System.Security.Cryptography.AesGcm itself.
        }

        var random = new Random(20261121);
        byte[] key = new byte[32];
        random.NextBytes(key);
        using var system = new AesGcm(key, 16);
        using var managed = new ManagedAesGcm(key);

        byte[] nonce = new byte[12];
        byte[] plaintext = new byte[1600];
        byte[] aadBuffer = new byte[70];
        byte[] expectedC = new byte[1600], actualC = new byte[1600];
        byte[] expectedT = new byte[16], actualT = new byte[16];
        byte[] decrypted = new byte[1600];
        for (int length = 0; length <= 1600; length++)
        {
            foreach (int aadLength in AadLengths)
            {
                random.NextBytes(nonce);
                random.NextBytes(plaintext.AsSpan(0, length));
                random.NextBytes(aadBuffer);
                ReadOnlySpan<byte> p = plaintext.AsSpan(0, length);
                ReadOnlySpan<byte> aad = aadBuffer.AsSpan(0, aadLength);

                system.Encrypt(nonce, p, expectedC.AsSpan(0, length), expectedT, aad);
                managed.Encrypt(nonce, p, actualC.AsSpan(0, length), actualT, aad);
                if (!expectedC.AsSpan(0, length).SequenceEqual(actualC.AsSpan(0, length)) || !expectedT.AsSpan().SequenceEqual(actualT))
                {
                    Assert.Fail($"Output differs from AesGcm at plaintext length {length}, AAD length {aadLength}.");
                }

                // Each side opens the other's output.
                Assert.True(managed.TryDecrypt(nonce, expectedC.AsSpan(0, length), expectedT, decrypted.AsSpan(0, length), aad));
                Assert.True(p.SequenceEqual(decrypted.AsSpan(0, length)), $"Managed decryption differs at {length}/{aadLength}.");
                Array.Clear(decrypted);
                system.Decrypt(nonce, actualC.AsSpan(0, length), actualT, decrypted.AsSpan(0, length), aad);
                Assert.True(p.SequenceEqual(decrypted.AsSpan(0, length)), $"System decryption differs at {length}/{aadLength}.");
            }
        }
    }

    [Theory]
    [InlineData(0, 13)]
    [InlineData(1, 0)]
    [InlineData(70, 13)]
    [InlineData(200, 17)]
    public void Flipping_any_bit_of_ciphertext_tag_aad_or_nonce_fails_and_writes_nothing(int length, int aadLength)
    {
        if (!ManagedAesGcm.IsSupported)
        {
            return; // See Is_supported_…: the class cannot be constructed here.
        }

        var random = new Random(length * 31 + aadLength);
        byte[] key = new byte[32], nonce = new byte[12], plaintext = new byte[length], aad = new byte[aadLength];
        random.NextBytes(key);
        random.NextBytes(nonce);
        random.NextBytes(plaintext);
        random.NextBytes(aad);
        using var gcm = new ManagedAesGcm(key);
        byte[] ciphertext = new byte[length], tag = new byte[16];
        gcm.Encrypt(nonce, plaintext, ciphertext, tag, aad);

        byte[] output = new byte[length];
        int checkedBits = 0;
        foreach (byte[] target in new[] { ciphertext, tag, aad, nonce })
        {
            for (int bit = 0; bit < target.Length * 8; bit++)
            {
                target[bit / 8] ^= (byte)(1 << (bit % 8));
                output.AsSpan().Fill(0xA5);
                Assert.False(gcm.TryDecrypt(nonce, ciphertext, tag, output, aad));
                Assert.All(output, b => Assert.Equal(0xA5, b));
                target[bit / 8] ^= (byte)(1 << (bit % 8));
                checkedBits++;
            }
        }

        Assert.Equal((length + 16 + aadLength + 12) * 8, checkedBits);
        Assert.True(gcm.TryDecrypt(nonce, ciphertext, tag, output, aad));
        Assert.Equal(plaintext, output);
    }

    [Fact]
    public void A_wrong_key_fails_authentication()
    {
        if (!ManagedAesGcm.IsSupported)
        {
            return; // See Is_supported_…: the class cannot be constructed here.
        }

        byte[] key = new byte[32], other = new byte[32];
        other[31] = 1;
        using var a = new ManagedAesGcm(key);
        using var b = new ManagedAesGcm(other);
        byte[] nonce = new byte[12], plaintext = new byte[40], ciphertext = new byte[40], tag = new byte[16];
        a.Encrypt(nonce, plaintext, ciphertext, tag, default);
        Assert.False(b.TryDecrypt(nonce, ciphertext, tag, new byte[40], default));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(64)]
    [InlineData(128)]
    [InlineData(1400)]
    [InlineData(1413)]
    public void Encrypts_and_decrypts_in_place(int length)
    {
        if (!ManagedAesGcm.IsSupported)
        {
            return; // See Is_supported_…: the class cannot be constructed here.
        }

        var random = new Random(length);
        byte[] key = new byte[32], nonce = new byte[12], aad = new byte[13], plaintext = new byte[length];
        random.NextBytes(key);
        random.NextBytes(nonce);
        random.NextBytes(aad);
        random.NextBytes(plaintext);
        using var system = new AesGcm(key, 16);
        byte[] expectedC = new byte[length], expectedT = new byte[16];
        system.Encrypt(nonce, plaintext, expectedC, expectedT, aad);

        using var gcm = new ManagedAesGcm(key);
        byte[] buffer = (byte[])plaintext.Clone();
        byte[] tag = new byte[16];
        gcm.Encrypt(nonce, buffer, buffer, tag, aad);
        Assert.Equal(expectedC, buffer);
        Assert.Equal(expectedT, tag);

        Assert.True(gcm.TryDecrypt(nonce, buffer, tag, buffer, aad));
        Assert.Equal(plaintext, buffer);

        // A failed in-place decryption leaves the ciphertext as it was.
        gcm.Encrypt(nonce, buffer, buffer, tag, aad);
        tag[0] ^= 1;
        Assert.False(gcm.TryDecrypt(nonce, buffer, tag, buffer, aad));
        Assert.Equal(expectedC, buffer);
    }

    [Fact]
    public void Does_not_allocate_per_call()
    {
        if (!ManagedAesGcm.IsSupported)
        {
            return; // See Is_supported_…: the class cannot be constructed here.
        }

        byte[] key = new byte[32], nonce = new byte[12], aad = new byte[13];
        byte[] plaintext = new byte[1400], ciphertext = new byte[1400], output = new byte[1400], tag = new byte[16];
        using var gcm = new ManagedAesGcm(key);
        for (int i = 0; i < 100; i++)
        {
            gcm.Encrypt(nonce, plaintext.AsSpan(0, i * 7), ciphertext.AsSpan(0, i * 7), tag, aad);
            Assert.True(gcm.TryDecrypt(nonce, ciphertext.AsSpan(0, i * 7), tag, output.AsSpan(0, i * 7), aad));
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            int length = i % 3 == 0 ? 64 : 1400;
            gcm.Encrypt(nonce, plaintext.AsSpan(0, length), ciphertext.AsSpan(0, length), tag, aad);
            gcm.TryDecrypt(nonce, ciphertext.AsSpan(0, length), tag, output.AsSpan(0, length), aad);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Wrong_sizes_and_partial_overlap_throw_argument_exception()
    {
        Assert.Throws<ArgumentException>(() => new ManagedAesGcm(new byte[16]));
        Assert.Throws<ArgumentException>(() => new ManagedAesGcm(new byte[31]));
        Assert.Throws<ArgumentException>(() => new ManagedAesGcm(new byte[33]));
        if (!ManagedAesGcm.IsSupported)
        {
            return; // See Is_supported_…: the class cannot be constructed here.
        }

        using var gcm = new ManagedAesGcm(new byte[32]);
        byte[] p = new byte[20], c = new byte[20], t = new byte[16];
        Assert.Throws<ArgumentException>(() => gcm.Encrypt(new byte[11], p, c, t, default));
        Assert.Throws<ArgumentException>(() => gcm.Encrypt(new byte[16], p, c, t, default));
        Assert.Throws<ArgumentException>(() => gcm.Encrypt(new byte[12], p, c, new byte[12], default));
        Assert.Throws<ArgumentException>(() => gcm.Encrypt(new byte[12], p, c, new byte[17], default));
        Assert.Throws<ArgumentException>(() => gcm.Encrypt(new byte[12], p, new byte[19], t, default));
        Assert.Throws<ArgumentException>(() => gcm.TryDecrypt(new byte[13], c, t, p, default));
        Assert.Throws<ArgumentException>(() => gcm.TryDecrypt(new byte[12], c, new byte[15], p, default));
        Assert.Throws<ArgumentException>(() => gcm.TryDecrypt(new byte[12], c, t, new byte[21], default));

        byte[] shared = new byte[40];
        Assert.Throws<ArgumentException>(() => gcm.Encrypt(new byte[12], shared.AsSpan(0, 20), shared.AsSpan(4, 20), t, default));
        Assert.Throws<ArgumentException>(() => gcm.TryDecrypt(new byte[12], shared.AsSpan(4, 20), t, shared.AsSpan(0, 20), default));
    }

    [Fact]
    public void Dispose_clears_the_key_and_later_calls_throw()
    {
        if (!ManagedAesGcm.IsSupported)
        {
            return; // See Is_supported_…: the class cannot be constructed here.
        }

        var gcm = new ManagedAesGcm(new byte[32]);
        gcm.Dispose();
        Assert.Throws<ObjectDisposedException>(() => gcm.Encrypt(new byte[12], new byte[4], new byte[4], new byte[16], default));
        Assert.Throws<ObjectDisposedException>(() => gcm.TryDecrypt(new byte[12], new byte[4], new byte[16], new byte[4], default));
    }
}
