using System.Security.Cryptography;

namespace PeerKit.Tests.Links;

public sealed class IdentityTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("peerkit-links-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void NodeId_is_sha256_of_the_uncompressed_public_key()
    {
        using NodeKey key = NodeKey.Generate();
        Assert.Equal(NodeKey.PublicKeySize, key.PublicKey.Length);
        Assert.Equal(0x04, key.PublicKey[0]);
        Assert.Equal(SHA256.HashData(key.PublicKey), key.Id.ToArray());
        Assert.False(key.Id.IsEmpty);
    }

    [Fact]
    public void NodeId_formats_and_parses_hex()
    {
        using NodeKey key = NodeKey.Generate();
        string hex = key.Id.ToString();
        Assert.Equal(64, hex.Length);
        Assert.Equal(hex, hex.ToLowerInvariant());
        Assert.Equal(key.Id, NodeId.Parse(hex));
        Assert.Equal(key.Id, NodeId.Parse(hex.ToUpperInvariant()));
        Assert.Equal(hex.ToUpperInvariant(), key.Id.ToString("X", null));
        Assert.Equal(hex[..8], $"{key.Id:s}");
        Assert.True(NodeId.TryParse(hex.AsSpan(), out NodeId parsed));
        Assert.Equal(key.Id, parsed);
        Assert.True(key.Id == parsed);
        Assert.Equal(key.Id.GetHashCode(), parsed.GetHashCode());

        Span<char> small = stackalloc char[10];
        Assert.False(key.Id.TryFormat(small, out _, default, null));
    }

    [Theory]
    [InlineData("")]
    [InlineData("00")]
    [InlineData("zz00000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("00000000000000000000000000000000000000000000000000000000000000000")]
    public void NodeId_rejects_invalid_text(string text)
    {
        Assert.False(NodeId.TryParse(text, out _));
        Assert.Throws<FormatException>(() => NodeId.Parse(text));
    }

    [Fact]
    public void NodeId_equality_distinguishes_every_byte()
    {
        byte[] bytes = new byte[32];
        var zero = new NodeId(bytes);
        Assert.True(zero.IsEmpty);
        Assert.Equal(default, zero);
        for (int i = 0; i < 32; i++)
        {
            bytes[i] = 1;
            var other = new NodeId(bytes);
            Assert.NotEqual(zero, other);
            Assert.Equal(bytes, other.ToArray());
            bytes[i] = 0;
        }

        Assert.Throws<ArgumentException>(() => new NodeId(new byte[31]));
        Assert.Throws<ArgumentException>(() => NodeId.FromPublicKey(new byte[33]));
    }

    [Fact]
    public void NodeKey_save_and_load_round_trip_with_owner_only_permissions()
    {
        using NodeKey key = NodeKey.Generate();
        string path = Path.Combine(_folder, "node.key");
        key.Save(path);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        using NodeKey loaded = NodeKey.Load(path);
        Assert.Equal(key.Id, loaded.Id);
        Assert.True(key.PublicKey.SequenceEqual(loaded.PublicKey));

        // Saving again replaces the file and keeps the mode.
        using NodeKey other = NodeKey.Generate();
        other.Save(path);
        using NodeKey reloaded = NodeKey.Load(path);
        Assert.Equal(other.Id, reloaded.Id);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        Assert.Single(Directory.GetFiles(_folder));
    }

    [Fact]
    public void NodeKey_loads_raw_hex_and_sec1_encodings()
    {
        using var ecdh = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        byte[] d = ecdh.ExportParameters(true).D!;
        using NodeKey expected = NodeKey.FromPrivateKey(d);

        string raw = Path.Combine(_folder, "raw.key");
        File.WriteAllBytes(raw, d);
        string hex = Path.Combine(_folder, "hex.key");
        File.WriteAllText(hex, Convert.ToHexStringLower(d) + "\n");
        string sec1 = Path.Combine(_folder, "sec1.pem");
        File.WriteAllText(sec1, ecdh.ExportECPrivateKeyPem());

        foreach (string path in new[] { raw, hex, sec1 })
        {
            using NodeKey loaded = NodeKey.Load(path);
            Assert.Equal(expected.Id, loaded.Id);
        }
    }

    [Fact]
    public void NodeKey_load_errors_are_typed()
    {
        string garbage = Path.Combine(_folder, "garbage.key");
        File.WriteAllText(garbage, "not a key at all");
        NodeKeyFormatException e = Assert.Throws<NodeKeyFormatException>(() => NodeKey.Load(garbage));
        Assert.Equal(garbage, e.Path);

        string badPem = Path.Combine(_folder, "bad.pem");
        File.WriteAllText(badPem, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        Assert.Throws<NodeKeyFormatException>(() => NodeKey.Load(badPem));

        string otherCurve = Path.Combine(_folder, "p384.pem");
        using (var p384 = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384))
        {
            File.WriteAllText(otherCurve, p384.ExportPkcs8PrivateKeyPem());
        }

        Assert.Throws<NodeKeyFormatException>(() => NodeKey.Load(otherCurve));

        string zero = Path.Combine(_folder, "zero.key");
        File.WriteAllBytes(zero, new byte[32]);
        Assert.Throws<NodeKeyFormatException>(() => NodeKey.Load(zero));

        Assert.Throws<NodeKeyFormatException>(() => NodeKey.FromPrivateKey(new byte[31]));
        Assert.Throws<FileNotFoundException>(() => NodeKey.Load(Path.Combine(_folder, "missing.key")));
    }
}
