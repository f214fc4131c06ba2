using System.Security.Cryptography;
using System.Text;

namespace PeerKit;

/// <summary>
/// A node's static key pair: a P-256 (secp256r1) private key. Its public key is the node's identity
/// (<see cref="Id"/>); links prove possession of it in their handshake (see <c>docs/links.md</c>).
/// </summary>
/// <remarks>
/// <para>Files: <see cref="Save"/> writes PKCS#8 PEM (<c>-----BEGIN PRIVATE KEY-----</c>) readable by the owner
/// only (mode 0600 on Unix). <see cref="Load"/> also reads SEC1 PEM (<c>-----BEGIN EC PRIVATE KEY-----</c>),
/// 64 hexadecimal characters (the 32-byte private scalar, as go-ethereum's <c>nodekey</c> files hold it) and
/// the raw 32-byte scalar.</para>
/// <para>Thread-safe for concurrent handshakes. Dispose it when no link will use it any more.</para>
/// </remarks>
public sealed class NodeKey : IDisposable
{
    /// <summary>The number of bytes in <see cref="PublicKey"/>: the uncompressed SEC1 point <c>0x04 ‖ X ‖ Y</c>.</summary>
    public const int PublicKeySize = 65;

    /// <summary>The number of bytes in a raw private scalar.</summary>
    public const int PrivateKeySize = 32;

    private readonly ECDiffieHellman _key;
    private readonly byte[] _publicKey;

    private NodeKey(ECDiffieHellman key)
    {
        _key = key;
        ECParameters parameters = key.ExportParameters(includePrivateParameters: false);
        _publicKey = EncodePublicKey(parameters.Q);
        Id = NodeId.FromPublicKey(_publicKey);
    }

    /// <summary>The node's identity: SHA-256 of <see cref="PublicKey"/>.</summary>
    public NodeId Id { get; }

    /// <summary>The 65-byte uncompressed SEC1 encoding of the public key (<c>0x04 ‖ X ‖ Y</c>).</summary>
    public ReadOnlySpan<byte> PublicKey => _publicKey;

    /// <summary>ECDH with this key: the 32-byte x-coordinate of the shared point. Serialized, so concurrent handshakes may share the key.</summary>
    internal byte[] DeriveRawSecretAgreement(ECDiffieHellmanPublicKey otherPartyPublicKey)
    {
        lock (_key)
        {
            return _key.DeriveRawSecretAgreement(otherPartyPublicKey);
        }
    }

    /// <summary>Creates a new random key.</summary>
    public static NodeKey Generate() => new(ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>Creates a key from its raw 32-byte big-endian private scalar.</summary>
    /// <exception cref="NodeKeyFormatException">The scalar is not 32 bytes or not a valid P-256 private key (0 or ≥ the group order).</exception>
    public static NodeKey FromPrivateKey(ReadOnlySpan<byte> privateKey) => FromPrivateKey(privateKey, path: null);

    /// <summary>
    /// Reads a key from a file written by <see cref="Save"/> or holding SEC1 PEM, 64 hexadecimal characters or
    /// the raw 32-byte scalar.
    /// </summary>
    /// <exception cref="NodeKeyFormatException">The file holds none of those, or a key on another curve.</exception>
    /// <exception cref="IOException">The file cannot be read (<see cref="FileNotFoundException"/> when it does not exist).</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read.</exception>
    public static NodeKey Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = File.ReadAllBytes(path);
        try
        {
            return Decode(bytes, path);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>Writes the key to <paramref name="path"/> as PKCS#8 PEM, replacing the file, with mode 0600 on Unix.</summary>
    /// <remarks>The key is written to a temporary file created with mode 0600 in the same folder, then moved over <paramref name="path"/>.</remarks>
    /// <exception cref="IOException">The file cannot be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The file or folder may not be written.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string temporary = full + "." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)) + ".tmp";
        char[] pem = _key.ExportPkcs8PrivateKeyPem().ToCharArray();
        byte[] bytes = Encoding.ASCII.GetBytes(pem);
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
        finally
        {
            Array.Clear(pem);
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>The key as PKCS#8 PEM (the private key in clear text).</summary>
    public string ExportPkcs8Pem() => _key.ExportPkcs8PrivateKeyPem();

    /// <summary>Releases the key.</summary>
    public void Dispose() => _key.Dispose();

    /// <inheritdoc/>
    public override string ToString() => $"NodeKey {Id:s}…";

    internal static byte[] EncodePublicKey(ECPoint q)
    {
        byte[] encoded = new byte[PublicKeySize];
        encoded[0] = 0x04;
        q.X.AsSpan().CopyTo(encoded.AsSpan(1 + 32 - q.X!.Length, q.X.Length));
        q.Y.AsSpan().CopyTo(encoded.AsSpan(33 + 32 - q.Y!.Length, q.Y.Length));
        return encoded;
    }

    private static NodeKey Decode(byte[] bytes, string path)
    {
        if (bytes.Length == PrivateKeySize && !IsText(bytes))
        {
            return FromPrivateKey(bytes, path);
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes).Trim();
        }
        catch (DecoderFallbackException)
        {
            throw new NodeKeyFormatException(path, "the file is neither PEM, 64 hexadecimal characters nor a 32-byte raw key");
        }

        if (text.Length == PrivateKeySize * 2)
        {
            Span<byte> scalar = stackalloc byte[PrivateKeySize];
            if (Convert.FromHexString(text, scalar, out _, out int written) == System.Buffers.OperationStatus.Done && written == PrivateKeySize)
            {
                try
                {
                    return FromPrivateKey(scalar, path);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(scalar);
                }
            }
        }

        if (text.StartsWith("-----BEGIN ", StringComparison.Ordinal))
        {
            ECDiffieHellman key = ECDiffieHellman.Create();
            try
            {
                key.ImportFromPem(text);
                if (!IsP256(key))
                {
                    throw new NodeKeyFormatException(path, "the key is not on the P-256 curve");
                }

                return new NodeKey(key);
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException)
            {
                key.Dispose();
                throw new NodeKeyFormatException(path, "the PEM text is not a PKCS#8 or SEC1 EC private key", e);
            }
            catch
            {
                key.Dispose();
                throw;
            }
        }

        throw new NodeKeyFormatException(path, "the file is neither PEM, 64 hexadecimal characters nor a 32-byte raw key");
    }

    private static NodeKey FromPrivateKey(ReadOnlySpan<byte> privateKey, string? path)
    {
        if (privateKey.Length != PrivateKeySize)
        {
            throw new NodeKeyFormatException(path, $"a raw private key is {PrivateKeySize} bytes, not {privateKey.Length}");
        }

        byte[] d = privateKey.ToArray();
        try
        {
            var parameters = new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = d };
            return new NodeKey(ECDiffieHellman.Create(parameters));
        }
        catch (CryptographicException e)
        {
            throw new NodeKeyFormatException(path, "the scalar is not a valid P-256 private key", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(d);
        }
    }

    private static bool IsP256(ECDiffieHellman key)
    {
        ECParameters parameters = key.ExportParameters(includePrivateParameters: false);
        return parameters.Curve.IsNamed && (parameters.Curve.Oid.Value == ECCurve.NamedCurves.nistP256.Oid.Value
            || parameters.Curve.Oid.FriendlyName is "nistP256" or "ECDSA_P256" or "prime256v1" or "secp256r1");
    }

    private static bool IsText(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            if (b is < 0x09 or > 0x7E || (b is > 0x0D and < 0x20))
            {
                return false;
            }
        }

        return true;
    }
}
