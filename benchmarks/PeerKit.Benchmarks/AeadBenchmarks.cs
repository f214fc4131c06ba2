using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using PeerKit.Links.Noise;

namespace PeerKit.Benchmarks;

/// <summary>
/// Sealing and opening one UDP packet's payload with an AEAD: ChaCha20-Poly1305 and AES-256-GCM through
/// System.Security.Cryptography (OpenSSL underneath), and <see cref="ManagedAesGcm"/> (AES-NI and PCLMULQDQ in
/// managed code). Each category (operation × size) has ChaCha20-Poly1305 as its baseline, the link's default
/// cipher, so the Ratio column is each cipher's time over ChaCha20-Poly1305's.
/// </summary>
/// <remarks>
/// All three use the same 32-byte key, 12-byte nonce, 16-byte tag and 13 bytes of associated data (the size of
/// a small packet header). Sealing writes into one reused buffer; opening reads ciphertext and tag made by the
/// same cipher in <see cref="Setup"/> and checks that the tag matched.
/// </remarks>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class AeadBenchmarks
{
    private const int TagSize = 16;

    private readonly byte[] _key = new byte[32];
    private readonly byte[] _nonce = new byte[12];
    private readonly byte[] _associatedData = new byte[13];
    private byte[] _plaintext = [];
    private byte[] _output = [];
    private byte[] _tag = new byte[TagSize];
    private byte[] _chaChaSealed = [], _chaChaTag = [];
    private byte[] _aesSealed = [], _aesTag = [];
    private byte[] _managedSealed = [], _managedTag = [];

    private ChaCha20Poly1305? _chaCha;
    private AesGcm? _aesGcm;
    private ManagedAesGcm? _managed;

    /// <summary>The payload size in bytes: a small game-state packet and a full one under a 1500-byte MTU.</summary>
    [Params(64, 1400)]
    public int Size { get; set; }

    /// <summary>Creates the ciphers and seals one payload with each for the open benchmarks.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        random.NextBytes(_key);
        random.NextBytes(_nonce);
        random.NextBytes(_associatedData);
        _plaintext = new byte[Size];
        random.NextBytes(_plaintext);
        _output = new byte[Size];
        _tag = new byte[TagSize];

        _chaCha = new ChaCha20Poly1305(_key);
        _aesGcm = new AesGcm(_key, TagSize);
        _managed = new ManagedAesGcm(_key);

        (_chaChaSealed, _chaChaTag) = (new byte[Size], new byte[TagSize]);
        _chaCha.Encrypt(_nonce, _plaintext, _chaChaSealed, _chaChaTag, _associatedData);
        (_aesSealed, _aesTag) = (new byte[Size], new byte[TagSize]);
        _aesGcm.Encrypt(_nonce, _plaintext, _aesSealed, _aesTag, _associatedData);
        (_managedSealed, _managedTag) = (new byte[Size], new byte[TagSize]);
        _managed.Encrypt(_nonce, _plaintext, _managedSealed, _managedTag, _associatedData);
        if (!_managedSealed.AsSpan().SequenceEqual(_aesSealed) || !_managedTag.AsSpan().SequenceEqual(_aesTag))
        {
            throw new InvalidOperationException("ManagedAesGcm and AesGcm disagree.");
        }
    }

    /// <summary>Disposes the ciphers.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _chaCha?.Dispose();
        _aesGcm?.Dispose();
        _managed?.Dispose();
    }

    /// <summary>System.Security.Cryptography.ChaCha20Poly1305.Encrypt.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Seal")]
    public void Seal_ChaCha20Poly1305() => _chaCha!.Encrypt(_nonce, _plaintext, _output, _tag, _associatedData);

    /// <summary>System.Security.Cryptography.AesGcm.Encrypt.</summary>
    [Benchmark, BenchmarkCategory("Seal")]
    public void Seal_AesGcm() => _aesGcm!.Encrypt(_nonce, _plaintext, _output, _tag, _associatedData);

    /// <summary>ManagedAesGcm.Encrypt.</summary>
    [Benchmark, BenchmarkCategory("Seal")]
    public void Seal_ManagedAesGcm() => _managed!.Encrypt(_nonce, _plaintext, _output, _tag, _associatedData);

    /// <summary>System.Security.Cryptography.ChaCha20Poly1305.Decrypt (throws on a tag mismatch).</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Open")]
    public void Open_ChaCha20Poly1305() => _chaCha!.Decrypt(_nonce, _chaChaSealed, _chaChaTag, _output, _associatedData);

    /// <summary>System.Security.Cryptography.AesGcm.Decrypt (throws on a tag mismatch).</summary>
    [Benchmark, BenchmarkCategory("Open")]
    public void Open_AesGcm() => _aesGcm!.Decrypt(_nonce, _aesSealed, _aesTag, _output, _associatedData);

    /// <summary>ManagedAesGcm.TryDecrypt.</summary>
    [Benchmark, BenchmarkCategory("Open")]
    public bool Open_ManagedAesGcm() => _managed!.TryDecrypt(_nonce, _managedSealed, _managedTag, _output, _associatedData);
}
