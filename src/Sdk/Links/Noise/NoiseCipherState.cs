using System.Buffers.Binary;
using System.Security.Cryptography;

namespace PeerKit.Links.Noise;

/// <summary>The AEAD a Noise handshake and its transport use; its value is the cipher id in the link preamble.</summary>
internal enum NoiseCipher : byte
{
    /// <summary>ChaCha20-Poly1305 (RFC 8439); the nonce is 4 zero bytes then the 64-bit counter little-endian.</summary>
    ChaChaPoly = 1,

    /// <summary>AES-256-GCM; the nonce is 4 zero bytes then the 64-bit counter big-endian.</summary>
    AesGcm = 2,
}

/// <summary>
/// A Noise CipherState: a 32-byte key and a 64-bit nonce counter. Each encryption uses the next nonce; a
/// decryption that fails authentication does not advance it, so a replayed, reordered or tampered frame fails.
/// Not thread-safe: one sender (or one receiver) at a time.
/// </summary>
internal sealed class NoiseCipherState : IDisposable
{
    public const int KeySize = 32;
    public const int TagSize = 16;

    private readonly ChaCha20Poly1305? _chaCha;
    private readonly AesGcm? _aesGcm;
    private readonly ManagedAesGcm? _managedAesGcm;
    private ulong _nonce;

    public NoiseCipherState(NoiseCipher cipher, ReadOnlySpan<byte> key)
    {
        if (key.Length != KeySize)
        {
            throw new ArgumentException($"A cipher key is {KeySize} bytes.", nameof(key));
        }

        Cipher = cipher;
        if (cipher == NoiseCipher.ChaChaPoly)
        {
            _chaCha = new ChaCha20Poly1305(key);
        }
        else if (ManagedAesGcm.IsSupported)
        {
            // AES-NI and PCLMULQDQ in managed code: 36 ns to seal 64 B where OpenSSL's EVP call costs ~800 ns.
            _managedAesGcm = new ManagedAesGcm(key);
        }
        else
        {
            _aesGcm = new AesGcm(key, TagSize);
        }
    }

    public NoiseCipher Cipher { get; }

    /// <summary>The nonce the next operation uses.</summary>
    public ulong Nonce => _nonce;

    /// <summary>Puts the counter back (a handshake message that failed authentication is rolled back).</summary>
    internal void RestoreNonce(ulong nonce) => _nonce = nonce;

    /// <summary>
    /// The cipher a dialer on this machine asks for: AES-256-GCM where AES runs in hardware (x86 AES-NI with
    /// PCLMULQDQ, sealed by <see cref="ManagedAesGcm"/>; Arm64 AES through the platform), else ChaCha20-Poly1305,
    /// which is faster in software. A responder accepts either, so two machines may differ.
    /// </summary>
    public static NoiseCipher Default { get; } =
        (ManagedAesGcm.IsSupported || (System.Runtime.Intrinsics.Arm.Aes.IsSupported && AesGcm.IsSupported)) ? NoiseCipher.AesGcm
        : ChaCha20Poly1305.IsSupported ? NoiseCipher.ChaChaPoly
        : NoiseCipher.AesGcm;

    public static bool IsSupported(NoiseCipher cipher) => cipher switch
    {
        NoiseCipher.ChaChaPoly => ChaCha20Poly1305.IsSupported,
        NoiseCipher.AesGcm => AesGcm.IsSupported,
        _ => false,
    };

    /// <summary>EncryptWithAd: writes <c>plaintext.Length + 16</c> bytes (ciphertext, then the tag) to <paramref name="ciphertext"/>.</summary>
    public void Encrypt(ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext)
    {
        if (ciphertext.Length < plaintext.Length + TagSize)
        {
            throw new ArgumentException("The ciphertext buffer is too short.", nameof(ciphertext));
        }

        Span<byte> nonce = stackalloc byte[12];
        TakeNonce(nonce);
        Span<byte> body = ciphertext[..plaintext.Length];
        Span<byte> tag = ciphertext.Slice(plaintext.Length, TagSize);
        Seal(nonce, plaintext, body, tag, associatedData);

        _nonce++;
    }

    /// <summary>
    /// DecryptWithAd: writes <c>ciphertext.Length - 16</c> bytes to <paramref name="plaintext"/>, which may be the
    /// same memory as <paramref name="ciphertext"/>.
    /// </summary>
    /// <returns>False, without advancing the nonce, when the ciphertext fails authentication.</returns>
    public bool TryDecrypt(ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        if (ciphertext.Length < TagSize)
        {
            return false;
        }

        int length = ciphertext.Length - TagSize;
        if (plaintext.Length < length)
        {
            throw new ArgumentException("The plaintext buffer is too short.", nameof(plaintext));
        }

        Span<byte> nonce = stackalloc byte[12];
        TakeNonce(nonce);
        if (!Open(nonce, ciphertext[..length], ciphertext.Slice(length, TagSize), plaintext[..length], associatedData))
        {
            return false;
        }

        _nonce++;
        return true;
    }

    /// <summary>
    /// Encrypts with an explicit nonce (datagram links: the packet number), leaving the counter alone. The caller
    /// must never reuse a nonce with the same key.
    /// </summary>
    public void EncryptAt(ulong nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext)
    {
        if (ciphertext.Length < plaintext.Length + TagSize)
        {
            throw new ArgumentException("The ciphertext buffer is too short.", nameof(ciphertext));
        }

        Span<byte> nonceBytes = stackalloc byte[12];
        WriteNonce(nonce, nonceBytes);
        Span<byte> body = ciphertext[..plaintext.Length];
        Span<byte> tag = ciphertext.Slice(plaintext.Length, TagSize);
        Seal(nonceBytes, plaintext, body, tag, associatedData);
    }

    /// <summary>Decrypts with an explicit nonce (datagram links), leaving the counter alone.</summary>
    /// <returns>False when the ciphertext fails authentication.</returns>
    public bool TryDecryptAt(ulong nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        if (ciphertext.Length < TagSize)
        {
            return false;
        }

        int length = ciphertext.Length - TagSize;
        Span<byte> nonceBytes = stackalloc byte[12];
        WriteNonce(nonce, nonceBytes);
        return Open(nonceBytes, ciphertext[..length], ciphertext.Slice(length, TagSize), plaintext[..length], associatedData);
    }

    /// <summary>
    /// The Noise <c>REKEY</c> function: a new cipher state of the same cipher whose key is the first 32 bytes of
    /// <c>ENCRYPT(k, 2^64 - 1, empty, 32 zero bytes)</c> under this key. One-way, so learning the new key reveals
    /// nothing sealed under this one. The new state's counter starts at zero; this one is left unchanged.
    /// </summary>
    public NoiseCipherState Rekey()
    {
        Span<byte> zeros = stackalloc byte[KeySize];
        zeros.Clear();
        Span<byte> sealedZeros = stackalloc byte[KeySize + TagSize];
        Span<byte> nonce = stackalloc byte[12];
        WriteNonce(ulong.MaxValue, nonce);
        Seal(nonce, zeros, sealedZeros[..KeySize], sealedZeros[KeySize..], ReadOnlySpan<byte>.Empty);
        try
        {
            return new NoiseCipherState(Cipher, sealedZeros[..KeySize]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sealedZeros);
        }
    }

    public void Dispose()
    {
        _chaCha?.Dispose();
        _aesGcm?.Dispose();
        _managedAesGcm?.Dispose();
    }

    private void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> body, Span<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        if (_managedAesGcm is not null)
        {
            _managedAesGcm.Encrypt(nonce, plaintext, body, tag, associatedData);
        }
        else if (_chaCha is not null)
        {
            _chaCha.Encrypt(nonce, plaintext, body, tag, associatedData);
        }
        else
        {
            _aesGcm!.Encrypt(nonce, plaintext, body, tag, associatedData);
        }
    }

    /// <summary>Decrypts and authenticates; false (nothing thrown) when the tag does not match.</summary>
    private bool Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        if (_managedAesGcm is not null)
        {
            return _managedAesGcm.TryDecrypt(nonce, ciphertext, tag, plaintext, associatedData);
        }

        try
        {
            if (_chaCha is not null)
            {
                _chaCha.Decrypt(nonce, ciphertext, tag, plaintext, associatedData);
            }
            else
            {
                _aesGcm!.Decrypt(nonce, ciphertext, tag, plaintext, associatedData);
            }
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }

        return true;
    }

    private void TakeNonce(Span<byte> nonce)
    {
        // 2^64 - 1 is reserved by the Noise spec; reaching it would take centuries of frames.
        if (_nonce == ulong.MaxValue)
        {
            throw new CryptographicException("The cipher's nonce counter is exhausted.");
        }

        WriteNonce(_nonce, nonce);
    }

    private void WriteNonce(ulong counter, Span<byte> nonce)
    {
        nonce[..4].Clear();
        if (_chaCha is not null)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(nonce[4..], counter);
        }
        else
        {
            BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], counter);
        }
    }
}
