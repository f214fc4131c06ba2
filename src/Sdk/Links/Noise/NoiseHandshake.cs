using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace PeerKit.Links.Noise;

/// <summary>
/// The Noise XX handshake (Noise spec rev. 34, §7.5) with DH over P-256:
/// <code>
/// XX:
///   -> e
///   &lt;- e, ee, s, es
///   -> s, se
/// </code>
/// Protocol names <c>Noise_XX_P256_ChaChaPoly_SHA256</c> and <c>Noise_XX_P256_AESGCM_SHA256</c>. Public keys are
/// the 65-byte uncompressed SEC1 encoding; DH(a, B) is the 32-byte x-coordinate of a·B (ECDH raw secret). The
/// symmetric state (ck, h, MixHash, MixKey with HKDF-SHA256, EncryptAndHash, Split) follows the spec literally.
/// </summary>
internal sealed class NoiseHandshake : IDisposable
{
    public const int PublicKeySize = NodeKey.PublicKeySize;
    public const int HashLength = NoiseHkdf.HashLength;
    public const int TagSize = NoiseCipherState.TagSize;

    private readonly NoiseCipher _cipher;
    private readonly bool _initiator;
    private readonly NodeKey _s;
    private readonly ECDiffieHellman _e;
    private readonly byte[] _ePublic;
    private readonly byte[] _ck = new byte[HashLength];
    private readonly byte[] _h = new byte[HashLength];
    private NoiseCipherState? _k;
    private ECDiffieHellman? _re;
    private ECDiffieHellman? _rs;
    private byte[]? _rsPublic;
    private int _step;
    private bool _split;
    private List<NoiseCipherState>? _superseded; // while a read is in progress: keys replaced, disposed on commit

    /// <param name="cipher">The AEAD.</param>
    /// <param name="initiator">Whether this side sends the first message.</param>
    /// <param name="localStatic">This side's static key (s).</param>
    /// <param name="prologue">Data both sides must agree on, mixed into h before the first message.</param>
    /// <param name="ephemeral">The ephemeral key (e); a fresh one when null. Owned by the handshake.</param>
    public NoiseHandshake(NoiseCipher cipher, bool initiator, NodeKey localStatic, ReadOnlySpan<byte> prologue, ECDiffieHellman? ephemeral = null)
    {
        _cipher = cipher;
        _initiator = initiator;
        _s = localStatic;
        _e = ephemeral ?? ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        _ePublic = NodeKey.EncodePublicKey(_e.ExportParameters(includePrivateParameters: false).Q);

        // InitializeSymmetric(protocol_name): names of at most HASHLEN bytes are zero-padded, longer ones hashed.
        byte[] name = Encoding.ASCII.GetBytes(ProtocolName(cipher));
        if (name.Length <= HashLength)
        {
            name.CopyTo(_h, 0);
        }
        else
        {
            SHA256.HashData(name, _h);
        }

        _h.CopyTo(_ck, 0);
        MixHash(prologue);
    }

    /// <summary>Whether all three messages have been written or read.</summary>
    public bool IsComplete => _step == 3;

    /// <summary>Whether the next step is this side writing a message.</summary>
    public bool IsWriteTurn => !IsComplete && (_step % 2 == 0) == _initiator;

    /// <summary>The remote static public key, once its message has been read (message 2 for the initiator, 3 for the responder).</summary>
    public ReadOnlySpan<byte> RemoteStaticKey => _rsPublic;

    /// <summary>The handshake hash h: after the handshake, a value both sides share that identifies this session.</summary>
    public ReadOnlySpan<byte> HandshakeHash => _h;

    public static string ProtocolName(NoiseCipher cipher) => cipher switch
    {
        NoiseCipher.ChaChaPoly => "Noise_XX_P256_ChaChaPoly_SHA256",
        NoiseCipher.AesGcm => "Noise_XX_P256_AESGCM_SHA256",
        _ => throw new ArgumentOutOfRangeException(nameof(cipher)),
    };

    /// <summary>The size of handshake message <paramref name="index"/> (0, 1 or 2) carrying <paramref name="payloadLength"/> payload bytes.</summary>
    public static int MessageSize(int index, int payloadLength) => index switch
    {
        0 => PublicKeySize + payloadLength,
        1 => PublicKeySize + PublicKeySize + TagSize + payloadLength + TagSize,
        2 => PublicKeySize + TagSize + payloadLength + TagSize,
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    /// <summary>WriteMessage: writes the next handshake message with <paramref name="payload"/> to <paramref name="message"/>.</summary>
    /// <returns>The number of bytes written.</returns>
    public int WriteMessage(ReadOnlySpan<byte> payload, Span<byte> message)
    {
        if (!IsWriteTurn)
        {
            throw new InvalidOperationException("It is not this side's turn to write a handshake message.");
        }

        int size = MessageSize(_step, payload.Length);
        if (message.Length < size)
        {
            throw new ArgumentException($"A handshake message with this payload takes {size} bytes.", nameof(message));
        }

        int offset = 0;
        switch (_step)
        {
            case 0: // -> e
                offset += WriteEphemeral(message);
                break;
            case 1: // <- e, ee, s, es
                offset += WriteEphemeral(message);
                MixKey(DeriveSecret(_e, _re!));
                offset += EncryptAndHash(_s.PublicKey, message[offset..]);
                MixKey(DeriveStaticSecret(_re!));
                break;
            case 2: // -> s, se
                offset += EncryptAndHash(_s.PublicKey, message);
                MixKey(DeriveStaticSecret(_re!));
                break;
        }

        offset += EncryptAndHash(payload, message[offset..]);
        _step++;
        return offset;
    }

    /// <summary>ReadMessage: reads the next handshake message and writes its payload to <paramref name="payload"/>.</summary>
    /// <returns>The number of payload bytes.</returns>
    /// <exception cref="HandshakeException">The message is malformed (<see cref="HandshakeFailure.InvalidMessage"/>) or
    /// fails authentication (<see cref="HandshakeFailure.AuthenticationFailed"/>).</exception>
    /// <remarks>The throwing form of <see cref="TryReadMessage"/>, for callers whose failure is an exception anyway.</remarks>
    public int ReadMessage(ReadOnlySpan<byte> message, Span<byte> payload)
    {
        int step = _step;
        if (!TryReadMessage(message, payload, out int length, out HandshakeFailure failure))
        {
            throw new HandshakeException(failure, Describe(failure, step));
        }

        return length;
    }

    /// <summary>
    /// Reads the next handshake message and writes its payload to <paramref name="payload"/>, without throwing for
    /// bad input: a malformed message gives <see cref="HandshakeFailure.InvalidMessage"/>, one that fails
    /// authentication <see cref="HandshakeFailure.AuthenticationFailed"/> (issue 13, finding 9: rejecting costs no
    /// exception).
    /// </summary>
    /// <remarks>
    /// A message that fails (malformed, or failing authentication) changes nothing: the chaining key, the hash, the
    /// keys and the remote keys are rolled back, so a forged or injected packet cannot break a handshake in progress
    /// (QUIC's rule; issue 13, finding 5). Only a message that authenticates moves the handshake on.
    /// </remarks>
    /// <exception cref="InvalidOperationException">It is not this side's turn to read.</exception>
    public bool TryReadMessage(ReadOnlySpan<byte> message, Span<byte> payload, out int length, out HandshakeFailure failure)
    {
        if (IsComplete || IsWriteTurn)
        {
            throw new InvalidOperationException("It is not this side's turn to read a handshake message.");
        }

        Span<byte> ck = stackalloc byte[HashLength];
        Span<byte> h = stackalloc byte[HashLength];
        _ck.CopyTo(ck);
        _h.CopyTo(h);
        NoiseCipherState? k = _k;
        ulong nonce = k?.Nonce ?? 0;
        ECDiffieHellman? re = _re;
        ECDiffieHellman? rs = _rs;
        byte[]? rsPublic = _rsPublic;
        _superseded = [];
        bool read = false;
        try
        {
            failure = ReadMessageCore(message, payload, out length);
            read = failure == ReadSucceeded;
            if (read)
            {
                foreach (NoiseCipherState old in _superseded)
                {
                    old.Dispose();
                }
            }

            return read;
        }
        finally
        {
            if (!read)
            {
                // Failed (or threw): roll back everything the message touched.
                if (!ReferenceEquals(_k, k))
                {
                    _k?.Dispose();
                    foreach (NoiseCipherState replaced in _superseded)
                    {
                        if (!ReferenceEquals(replaced, k))
                        {
                            replaced.Dispose();
                        }
                    }

                    _k = k;
                }

                k?.RestoreNonce(nonce);
                ck.CopyTo(_ck);
                h.CopyTo(_h);
                if (!ReferenceEquals(_re, re))
                {
                    _re?.Dispose();
                    _re = re;
                }

                if (!ReferenceEquals(_rs, rs))
                {
                    _rs?.Dispose();
                    _rs = rs;
                }

                _rsPublic = rsPublic;
            }

            _superseded = null;
        }
    }

    /// <summary>What a failed read of message <paramref name="step"/> (0-based) says.</summary>
    public static string Describe(HandshakeFailure failure, int step) => failure switch
    {
        HandshakeFailure.AuthenticationFailed => $"Handshake message {step + 1} failed authentication: it was altered, or the two sides disagree on the handshake so far.",
        _ => $"Handshake message {step + 1} is malformed: too short, too long, or carrying a key that is not a P-256 point.",
    };

    /// <summary><see cref="ReadMessageCore"/>'s "no failure" (<see cref="HandshakeFailure.Timeout"/> never comes from a read).</summary>
    private const HandshakeFailure ReadSucceeded = HandshakeFailure.Timeout;

    private HandshakeFailure ReadMessageCore(ReadOnlySpan<byte> message, Span<byte> payload, out int payloadLength)
    {
        payloadLength = 0;
        int minimum = MessageSize(_step, 0);
        if (message.Length < minimum)
        {
            return HandshakeFailure.InvalidMessage;
        }

        int offset = 0;
        switch (_step)
        {
            case 0: // -> e
                if (!ReadEphemeral(message))
                {
                    return HandshakeFailure.InvalidMessage;
                }

                offset += PublicKeySize;
                break;
            case 1: // <- e, ee, s, es
                if (!ReadEphemeral(message))
                {
                    return HandshakeFailure.InvalidMessage;
                }

                offset += PublicKeySize;
                MixKey(DeriveSecret(_e, _re!));
                HandshakeFailure s1 = ReadStatic(message.Slice(offset, PublicKeySize + TagSize));
                if (s1 != ReadSucceeded)
                {
                    return s1;
                }

                offset += PublicKeySize + TagSize;
                MixKey(DeriveSecret(_e, _rs!));
                break;
            case 2: // -> s, se
                HandshakeFailure s2 = ReadStatic(message[..(PublicKeySize + TagSize)]);
                if (s2 != ReadSucceeded)
                {
                    return s2;
                }

                offset += PublicKeySize + TagSize;
                MixKey(DeriveSecret(_e, _rs!));
                break;
        }

        ReadOnlySpan<byte> encryptedPayload = message[offset..];
        int length = _k is null ? encryptedPayload.Length : encryptedPayload.Length - TagSize;
        if (payload.Length < length)
        {
            return HandshakeFailure.InvalidMessage;
        }

        if (!DecryptAndHash(encryptedPayload, payload))
        {
            return HandshakeFailure.AuthenticationFailed;
        }

        _step++;
        payloadLength = length;
        return ReadSucceeded;
    }

    /// <summary>Split: the transport cipher states, (send, receive) for this side.</summary>
    public (NoiseCipherState Send, NoiseCipherState Receive) Split()
    {
        if (!IsComplete || _split)
        {
            throw new InvalidOperationException("Split runs once, after the handshake completes.");
        }

        _split = true;
        Span<byte> k1 = stackalloc byte[HashLength];
        Span<byte> k2 = stackalloc byte[HashLength];
        try
        {
            NoiseHkdf.Derive(_ck, ReadOnlySpan<byte>.Empty, k1, k2);
            var c1 = new NoiseCipherState(_cipher, k1); // initiator → responder
            var c2 = new NoiseCipherState(_cipher, k2); // responder → initiator
            return _initiator ? (c1, c2) : (c2, c1);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(k1);
            CryptographicOperations.ZeroMemory(k2);
        }
    }

    public void Dispose()
    {
        _e.Dispose();
        _re?.Dispose();
        _rs?.Dispose();
        _k?.Dispose();
        CryptographicOperations.ZeroMemory(_ck);
    }

    private int WriteEphemeral(Span<byte> message)
    {
        _ePublic.CopyTo(message);
        MixHash(_ePublic);
        return PublicKeySize;
    }

    private bool ReadEphemeral(ReadOnlySpan<byte> message)
    {
        ReadOnlySpan<byte> re = message[..PublicKeySize];
        if (!TryImportPublicKey(re, out ECDiffieHellman? key))
        {
            return false;
        }

        _re = key;
        MixHash(re);
        return true;
    }

    private HandshakeFailure ReadStatic(ReadOnlySpan<byte> encrypted)
    {
        byte[] rs = new byte[PublicKeySize];
        if (!DecryptAndHash(encrypted, rs))
        {
            return HandshakeFailure.AuthenticationFailed;
        }

        if (!TryImportPublicKey(rs, out ECDiffieHellman? key))
        {
            return HandshakeFailure.InvalidMessage;
        }

        _rs = key;
        _rsPublic = rs;
        return ReadSucceeded;
    }

    /// <summary>
    /// Imports an uncompressed P-256 point, checking first that it is one (coordinates below p, y² = x³ − 3x + b), so
    /// that a garbage key is refused without the platform throwing.
    /// </summary>
    private static bool TryImportPublicKey(ReadOnlySpan<byte> encoded, [NotNullWhen(true)] out ECDiffieHellman? key)
    {
        key = null;
        if (encoded.Length != PublicKeySize || encoded[0] != 0x04 || !P256.IsOnCurve(encoded.Slice(1, 32), encoded.Slice(33, 32)))
        {
            return false;
        }

        var parameters = new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = encoded.Slice(1, 32).ToArray(), Y = encoded.Slice(33, 32).ToArray() },
        };
        try
        {
            key = ECDiffieHellman.Create(parameters);
            return true;
        }
        catch (CryptographicException)
        {
            return false; // not expected after the curve check; the platform has the last word
        }
    }

    private static byte[] DeriveSecret(ECDiffieHellman local, ECDiffieHellman remote)
    {
        using ECDiffieHellmanPublicKey publicKey = remote.PublicKey;
        return local.DeriveRawSecretAgreement(publicKey);
    }

    private byte[] DeriveStaticSecret(ECDiffieHellman remote)
    {
        using ECDiffieHellmanPublicKey publicKey = remote.PublicKey;
        return _s.DeriveRawSecretAgreement(publicKey);
    }

    private void MixHash(ReadOnlySpan<byte> data)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(_h);
        hash.AppendData(data);
        hash.GetHashAndReset(_h);
    }

    private void MixKey(byte[] inputKeyMaterial)
    {
        Span<byte> tempK = stackalloc byte[HashLength];
        try
        {
            NoiseHkdf.Derive(_ck, inputKeyMaterial, _ck, tempK);
            if (_superseded is not null && _k is not null)
            {
                _superseded.Add(_k); // disposed once the message is read, or restored if it fails
            }
            else
            {
                _k?.Dispose();
            }

            _k = new NoiseCipherState(_cipher, tempK);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(tempK);
            CryptographicOperations.ZeroMemory(inputKeyMaterial);
        }
    }

    private int EncryptAndHash(ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        int length;
        if (_k is null)
        {
            plaintext.CopyTo(destination);
            length = plaintext.Length;
        }
        else
        {
            _k.Encrypt(_h, plaintext, destination);
            length = plaintext.Length + TagSize;
        }

        MixHash(destination[..length]);
        return length;
    }

    private bool DecryptAndHash(ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        if (_k is null)
        {
            ciphertext.CopyTo(destination);
        }
        else if (!_k.TryDecrypt(_h, ciphertext, destination))
        {
            return false;
        }

        MixHash(ciphertext);
        return true;
    }
}
