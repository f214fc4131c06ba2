using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using Aes = System.Runtime.Intrinsics.X86.Aes;

namespace PeerKit.Links.Noise;

/// <summary>
/// AES-256-GCM (NIST SP 800-38D) in managed code on x86 hardware intrinsics: AES-NI for the block cipher,
/// PCLMULQDQ for GHASH. It has the semantics and argument order of
/// <see cref="System.Security.Cryptography.AesGcm"/> with a 12-byte nonce and a 16-byte tag, without the
/// per-call cost of OpenSSL's EVP layer, which dominates for small packets.
/// </summary>
/// <remarks>
/// <para>
/// Counter mode runs eight blocks in flight (eight independent AES pipelines, 14 rounds each; the last 1…127
/// bytes with four or eight). GHASH works on byte-reversed blocks, so that the GCM bit order becomes a
/// reflected 128-bit integer, multiplies with Karatsuba (three carry-less multiplications per block, two blocks
/// per instruction with 256-bit VPCLMULQDQ where available) and reduces once per eight blocks (once for the
/// last blocks and the lengths block together), using the precomputed powers H¹…H⁹. The powers are stored
/// multiplied by x⁻¹ mod P, which absorbs the one-bit shift that the carry-less product of two reflected
/// operands otherwise needs; the reduction folds the low-order (high-degree) half twice with x⁷ + x² + x.
/// Encryption is software-pipelined: each batch's GHASH runs while the next batch is encrypted. Decryption
/// hashes the whole ciphertext before it decrypts any of it.
/// </para>
/// <para>
/// Plaintext and ciphertext may be the same memory (in-place operation) or must not overlap at all; a partial
/// overlap throws <see cref="ArgumentException"/>. Decryption authenticates the ciphertext first and writes
/// no plaintext unless the tag matches (compared in constant time).
/// </para>
/// <para>
/// Nothing is allocated per call. <see cref="Encrypt"/> and <see cref="TryDecrypt"/> only read the instance
/// (the key schedule and the powers of H), so concurrent calls are safe; <see cref="Dispose"/> must not race
/// with them. Use the class only where <see cref="IsSupported"/> is true; elsewhere use
/// <see cref="System.Security.Cryptography.AesGcm"/>.
/// </para>
/// </remarks>
[SkipLocalsInit]
internal sealed class ManagedAesGcm : IDisposable
{
    /// <summary>The key size: AES-256 only.</summary>
    public const int KeySize = 32;

    /// <summary>The nonce size: 96 bits, so that J0 = nonce ‖ 0x00000001.</summary>
    public const int NonceSize = 12;

    /// <summary>The tag size: the full 128 bits.</summary>
    public const int TagSize = 16;

    private const int Rounds = 14;
    private const int BlockSize = 16;
    private const int Batch = 8;
    private const int BatchBytes = Batch * BlockSize;
    private const int PowerCount = Batch + 1;

    /// <summary>The AES-256 key schedule: 15 round keys.</summary>
    private RoundKeys _keys;

    /// <summary><c>_h[i]</c> = H^(i+1)·x⁻¹ mod P, as a reflected (byte-reversed) 128-bit value.</summary>
    private HashPowers _h;

    /// <summary><c>_hk[i]</c>: the XOR of the two 64-bit halves of <c>_h[i]</c> in both lanes (Karatsuba's middle operand).</summary>
    private HashPowers _hk;

    /// <summary><see cref="_h"/> by pairs for 256-bit multiplication (used when <see cref="Wide"/>).</summary>
    private WidePowers _hWide;

    /// <summary><see cref="_hk"/> by pairs for 256-bit multiplication.</summary>
    private WidePowers _hkWide;

    private bool _disposed;

    /// <summary>
    /// Expands <paramref name="key"/> (32 bytes) into the AES-256 key schedule and computes the hash subkey
    /// H = AES_K(0¹²⁸) and its powers H¹…H⁹.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="key"/> is not 32 bytes.</exception>
    /// <exception cref="PlatformNotSupportedException"><see cref="IsSupported"/> is false.</exception>
    public ManagedAesGcm(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeySize)
        {
            throw new ArgumentException($"An AES-256-GCM key is {KeySize} bytes.", nameof(key));
        }

        if (!IsSupported)
        {
            throw new PlatformNotSupportedException("ManagedAesGcm needs AES-NI, PCLMULQDQ, SSSE3 and SSE4.1.");
        }

        ExpandKey(key, ref _keys);

        Vector128<ulong> h = ByteReverse(EncryptBlock(Vector128<byte>.Zero, ref _keys)).AsUInt64();
        Vector128<ulong> power = h;
        Vector128<ulong> hPrimed = MultiplyByXInverse(h);
        for (int i = 0; i < PowerCount; i++)
        {
            if (i > 0)
            {
                power = Multiply(power, hPrimed);
            }

            Vector128<ulong> primed = MultiplyByXInverse(power);
            _h[i] = primed;
            _hk[i] = primed ^ SwapHalves(primed);
        }

        for (int j = 0; j < Batch / 2; j++)
        {
            _hWide[j] = Vector256.Create(_h[Batch - 1 - (2 * j)], _h[Batch - 2 - (2 * j)]);
            _hkWide[j] = Vector256.Create(_hk[Batch - 1 - (2 * j)], _hk[Batch - 2 - (2 * j)]);
        }
    }

    /// <summary>Whether GHASH multiplies two blocks per instruction (AVX2 and VPCLMULQDQ); a JIT-time constant.</summary>
    private static bool Wide => Avx2.IsSupported && Pclmulqdq.V256.IsSupported;

    /// <summary>
    /// True on x86 and x64 processors with AES-NI, PCLMULQDQ, SSSE3 and SSE4.1; false elsewhere, where the
    /// caller should use <see cref="System.Security.Cryptography.AesGcm"/>.
    /// </summary>
    public static bool IsSupported => Aes.IsSupported && Pclmulqdq.IsSupported && Ssse3.IsSupported && Sse41.IsSupported;

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> into <paramref name="ciphertext"/> and writes the authentication tag
    /// over <paramref name="associatedData"/> and the ciphertext into <paramref name="tag16"/>.
    /// </summary>
    /// <param name="nonce12">The 12-byte nonce; never reuse one with the same key.</param>
    /// <param name="plaintext">The data to encrypt.</param>
    /// <param name="ciphertext">Receives the ciphertext; as long as <paramref name="plaintext"/>, and either the same memory or not overlapping it.</param>
    /// <param name="tag16">Receives the 16-byte tag.</param>
    /// <param name="associatedData">Data authenticated but not encrypted; may be empty.</param>
    /// <exception cref="ArgumentException">A length is wrong, or the plaintext and ciphertext partly overlap.</exception>
    /// <exception cref="ObjectDisposedException">The instance was disposed.</exception>
    public void Encrypt(ReadOnlySpan<byte> nonce12, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag16, ReadOnlySpan<byte> associatedData = default)
    {
        Validate(nonce12, plaintext, ciphertext, tag16.Length);

        Vector128<uint> counterBase = CounterBase(nonce12);
        ref RoundKeys k = ref _keys;

        // E_K(J0) first: its 14 dependent rounds overlap with the work below.
        Vector128<byte> tagMask = EncryptBlock(Counter(counterBase, 1), ref k);
        Vector128<ulong> y = Ghash(Vector128<ulong>.Zero, associatedData);

        ref byte src = ref MemoryMarshal.GetReference(plaintext);
        ref byte dst = ref MemoryMarshal.GetReference(ciphertext);
        int length = plaintext.Length;
        int offset = 0;
        uint counter = 2;

        // Software pipelined: each iteration hashes the previous batch's ciphertext (a latency-bound chain of
        // carry-less multiplications) while it encrypts the next batch (throughput-bound AES rounds).
        Vector128<byte> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector128<byte> c4 = default, c5 = default, c6 = default, c7 = default;
        bool pending = false;
        while (length - offset >= BatchBytes)
        {
            if (pending)
            {
                y = Ghash8(y, c0, c1, c2, c3, c4, c5, c6, c7);
            }

            Vector128<byte> rk = k[0];
            Vector128<byte> b0 = Counter(counterBase, counter) ^ rk;
            Vector128<byte> b1 = Counter(counterBase, counter + 1) ^ rk;
            Vector128<byte> b2 = Counter(counterBase, counter + 2) ^ rk;
            Vector128<byte> b3 = Counter(counterBase, counter + 3) ^ rk;
            Vector128<byte> b4 = Counter(counterBase, counter + 4) ^ rk;
            Vector128<byte> b5 = Counter(counterBase, counter + 5) ^ rk;
            Vector128<byte> b6 = Counter(counterBase, counter + 6) ^ rk;
            Vector128<byte> b7 = Counter(counterBase, counter + 7) ^ rk;
            counter += Batch;
            for (int r = 1; r < Rounds; r++)
            {
                rk = k[r];
                b0 = Aes.Encrypt(b0, rk);
                b1 = Aes.Encrypt(b1, rk);
                b2 = Aes.Encrypt(b2, rk);
                b3 = Aes.Encrypt(b3, rk);
                b4 = Aes.Encrypt(b4, rk);
                b5 = Aes.Encrypt(b5, rk);
                b6 = Aes.Encrypt(b6, rk);
                b7 = Aes.Encrypt(b7, rk);
            }

            rk = k[Rounds];
            nuint at = (nuint)offset;
            b0 = Aes.EncryptLast(b0, rk) ^ Vector128.LoadUnsafe(ref src, at);
            b1 = Aes.EncryptLast(b1, rk) ^ Vector128.LoadUnsafe(ref src, at + 16);
            b2 = Aes.EncryptLast(b2, rk) ^ Vector128.LoadUnsafe(ref src, at + 32);
            b3 = Aes.EncryptLast(b3, rk) ^ Vector128.LoadUnsafe(ref src, at + 48);
            b4 = Aes.EncryptLast(b4, rk) ^ Vector128.LoadUnsafe(ref src, at + 64);
            b5 = Aes.EncryptLast(b5, rk) ^ Vector128.LoadUnsafe(ref src, at + 80);
            b6 = Aes.EncryptLast(b6, rk) ^ Vector128.LoadUnsafe(ref src, at + 96);
            b7 = Aes.EncryptLast(b7, rk) ^ Vector128.LoadUnsafe(ref src, at + 112);
            b0.StoreUnsafe(ref dst, at);
            b1.StoreUnsafe(ref dst, at + 16);
            b2.StoreUnsafe(ref dst, at + 32);
            b3.StoreUnsafe(ref dst, at + 48);
            b4.StoreUnsafe(ref dst, at + 64);
            b5.StoreUnsafe(ref dst, at + 80);
            b6.StoreUnsafe(ref dst, at + 96);
            b7.StoreUnsafe(ref dst, at + 112);
            (c0, c1, c2, c3, c4, c5, c6, c7) = (b0, b1, b2, b3, b4, b5, b6, b7);
            pending = true;
            offset += BatchBytes;
        }

        if (pending)
        {
            y = Ghash8(y, c0, c1, c2, c3, c4, c5, c6, c7);
        }

        if (offset < length)
        {
            CounterModeTail(counterBase, counter, plaintext[offset..], ciphertext[offset..]);
        }

        y = GhashTail(y, ciphertext[offset..], Lengths(associatedData.Length, length), withLengths: true);
        Vector128<byte> s = ByteReverse(y.AsByte()) ^ tagMask;
        s.StoreUnsafe(ref MemoryMarshal.GetReference(tag16));
    }

    /// <summary>
    /// Authenticates <paramref name="associatedData"/> and <paramref name="ciphertext"/> against
    /// <paramref name="tag16"/> and, when they match, decrypts the ciphertext into <paramref name="plaintext"/>.
    /// </summary>
    /// <param name="nonce12">The 12-byte nonce the sender used.</param>
    /// <param name="ciphertext">The data to decrypt.</param>
    /// <param name="tag16">The 16-byte tag to check.</param>
    /// <param name="plaintext">Receives the plaintext; as long as <paramref name="ciphertext"/>, and either the same memory or not overlapping it. Left untouched when the tag does not match.</param>
    /// <param name="associatedData">The associated data the sender authenticated; may be empty.</param>
    /// <returns>True when the tag matched and <paramref name="plaintext"/> was written; false otherwise (nothing written).</returns>
    /// <exception cref="ArgumentException">A length is wrong, or the plaintext and ciphertext partly overlap.</exception>
    /// <exception cref="ObjectDisposedException">The instance was disposed.</exception>
    public bool TryDecrypt(ReadOnlySpan<byte> nonce12, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag16, Span<byte> plaintext, ReadOnlySpan<byte> associatedData = default)
    {
        Validate(nonce12, ciphertext, plaintext, tag16.Length);

        Vector128<uint> counterBase = CounterBase(nonce12);
        Vector128<byte> tagMask = EncryptBlock(Counter(counterBase, 1), ref _keys);
        int whole = ciphertext.Length & ~(BatchBytes - 1);

        // The keystream of the last bytes is computed before it may be used, so that its AES rounds overlap
        // with GHASH; it is cleared if the tag does not match.
        Unsafe.SkipInit(out Blocks tailKeystream);
        if (whole < ciphertext.Length)
        {
            Keystream(ref tailKeystream, counterBase, 2 + (uint)(whole / BlockSize), ciphertext.Length - whole);
        }

        Vector128<ulong> y = Ghash(Vector128<ulong>.Zero, associatedData);
        y = Ghash(y, ciphertext[..whole]);
        y = GhashTail(y, ciphertext[whole..], Lengths(associatedData.Length, ciphertext.Length), withLengths: true);

        // Constant time: all 16 bytes are compared at once, and only the result is branched on.
        // (CryptographicOperations.FixedTimeEquals is as safe but runs unoptimized byte code: ~50 ns for 16 bytes.)
        Vector128<byte> difference = ByteReverse(y.AsByte()) ^ tagMask ^ Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(tag16));
        if (difference != Vector128<byte>.Zero)
        {
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes((Span<Vector128<byte>>)tailKeystream));
            return false;
        }

        if (whole > 0)
        {
            CounterMode(counterBase, ciphertext[..whole], plaintext[..whole]);
        }

        if (whole < ciphertext.Length)
        {
            XorKeystream(ref tailKeystream, ciphertext[whole..], plaintext[whole..]);
        }

        return true;
    }

    /// <summary>Clears the key schedule and the hash subkey powers; later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        _disposed = true;
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes((Span<Vector128<byte>>)_keys));
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes((Span<Vector128<ulong>>)_h));
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes((Span<Vector128<ulong>>)_hk));
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes((Span<Vector256<ulong>>)_hWide));
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes((Span<Vector256<ulong>>)_hkWide));
    }

    private void Validate(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> input, ReadOnlySpan<byte> output, int tagLength)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (nonce.Length != NonceSize)
        {
            ThrowArgument("The nonce is 12 bytes.", "nonce12");
        }

        if (tagLength != TagSize)
        {
            ThrowArgument("The tag is 16 bytes.", "tag16");
        }

        if (input.Length != output.Length)
        {
            ThrowArgument("The plaintext and the ciphertext must have the same length.", "plaintext");
        }

        if (input.Overlaps(output, out int elementOffset) && elementOffset != 0)
        {
            ThrowArgument("The plaintext and the ciphertext must be the same memory or not overlap.", "plaintext");
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowArgument(string message, string parameter) => throw new ArgumentException(message, parameter);

    // ---- Counter mode ----

    /// <summary>XORs the keystream from counter 2 on (J0 + 1) into <paramref name="input"/>, writing <paramref name="output"/>.</summary>
    private void CounterMode(Vector128<uint> counterBase, ReadOnlySpan<byte> input, Span<byte> output)
    {
        ref RoundKeys k = ref _keys;
        ref byte src = ref MemoryMarshal.GetReference(input);
        ref byte dst = ref MemoryMarshal.GetReference(output);
        int length = input.Length;
        int offset = 0;
        uint counter = 2;

        while (length - offset >= BatchBytes)
        {
            Vector128<byte> rk = k[0];
            Vector128<byte> b0 = Counter(counterBase, counter) ^ rk;
            Vector128<byte> b1 = Counter(counterBase, counter + 1) ^ rk;
            Vector128<byte> b2 = Counter(counterBase, counter + 2) ^ rk;
            Vector128<byte> b3 = Counter(counterBase, counter + 3) ^ rk;
            Vector128<byte> b4 = Counter(counterBase, counter + 4) ^ rk;
            Vector128<byte> b5 = Counter(counterBase, counter + 5) ^ rk;
            Vector128<byte> b6 = Counter(counterBase, counter + 6) ^ rk;
            Vector128<byte> b7 = Counter(counterBase, counter + 7) ^ rk;
            counter += Batch;
            for (int r = 1; r < Rounds; r++)
            {
                rk = k[r];
                b0 = Aes.Encrypt(b0, rk);
                b1 = Aes.Encrypt(b1, rk);
                b2 = Aes.Encrypt(b2, rk);
                b3 = Aes.Encrypt(b3, rk);
                b4 = Aes.Encrypt(b4, rk);
                b5 = Aes.Encrypt(b5, rk);
                b6 = Aes.Encrypt(b6, rk);
                b7 = Aes.Encrypt(b7, rk);
            }

            rk = k[Rounds];
            nuint at = (nuint)offset;
            (Aes.EncryptLast(b0, rk) ^ Vector128.LoadUnsafe(ref src, at)).StoreUnsafe(ref dst, at);
            (Aes.EncryptLast(b1, rk) ^ Vector128.LoadUnsafe(ref src, at + 16)).StoreUnsafe(ref dst, at + 16);
            (Aes.EncryptLast(b2, rk) ^ Vector128.LoadUnsafe(ref src, at + 32)).StoreUnsafe(ref dst, at + 32);
            (Aes.EncryptLast(b3, rk) ^ Vector128.LoadUnsafe(ref src, at + 48)).StoreUnsafe(ref dst, at + 48);
            (Aes.EncryptLast(b4, rk) ^ Vector128.LoadUnsafe(ref src, at + 64)).StoreUnsafe(ref dst, at + 64);
            (Aes.EncryptLast(b5, rk) ^ Vector128.LoadUnsafe(ref src, at + 80)).StoreUnsafe(ref dst, at + 80);
            (Aes.EncryptLast(b6, rk) ^ Vector128.LoadUnsafe(ref src, at + 96)).StoreUnsafe(ref dst, at + 96);
            (Aes.EncryptLast(b7, rk) ^ Vector128.LoadUnsafe(ref src, at + 112)).StoreUnsafe(ref dst, at + 112);
            offset += BatchBytes;
        }

        if (offset < length)
        {
            CounterModeTail(counterBase, counter, input[offset..], output[offset..]);
        }
    }

    /// <summary>Counter mode for the last 1…127 bytes.</summary>
    private void CounterModeTail(Vector128<uint> counterBase, uint counter, ReadOnlySpan<byte> input, Span<byte> output)
    {
        Unsafe.SkipInit(out Blocks keystream);
        Keystream(ref keystream, counterBase, counter, input.Length);
        XorKeystream(ref keystream, input, output);
    }

    /// <summary>
    /// XORs <paramref name="keystream"/> into the last 1…127 bytes: full blocks straight from
    /// <paramref name="input"/> to <paramref name="output"/>, a partial last block read and written piecewise
    /// (<see cref="LoadPartial"/>, <see cref="StorePartial"/>) so that nothing past the spans is touched.
    /// </summary>
    private static void XorKeystream(ref Blocks keystream, ReadOnlySpan<byte> input, Span<byte> output)
    {
        int length = input.Length;
        ref byte src = ref MemoryMarshal.GetReference(input);
        ref byte dst = ref MemoryMarshal.GetReference(output);
        int full = length / BlockSize;
        for (int i = 0; i < full; i++)
        {
            nuint at = (nuint)(i * BlockSize);
            (Vector128.LoadUnsafe(ref src, at) ^ keystream[i]).StoreUnsafe(ref dst, at);
        }

        int partial = length - (full * BlockSize);
        if (partial > 0)
        {
            int at = full * BlockSize;
            Vector128<byte> block = LoadPartial(ref Unsafe.Add(ref src, at), partial) ^ keystream[full];
            StorePartial(ref Unsafe.Add(ref dst, at), block, partial);
        }
    }

    /// <summary>Reads <paramref name="count"/> (1…15) bytes into a block, zero-padded, with at most four loads and no access past them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> LoadPartial(ref byte source, int count)
    {
        ulong low, high = 0;
        if (count >= 8)
        {
            low = Unsafe.ReadUnaligned<ulong>(ref source);
            high = LoadUpTo7(ref Unsafe.Add(ref source, 8), count - 8);
        }
        else
        {
            low = LoadUpTo7(ref source, count);
        }

        return Vector128.Create(low, high).AsByte();
    }

    /// <summary>Reads <paramref name="count"/> (0…7) bytes little-endian.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong LoadUpTo7(ref byte source, int count)
    {
        ulong value = 0;
        int at = 0;
        if ((count & 4) != 0)
        {
            value = Unsafe.ReadUnaligned<uint>(ref source);
            at = 4;
        }

        if ((count & 2) != 0)
        {
            value |= (ulong)Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref source, at)) << (at * 8);
            at += 2;
        }

        if ((count & 1) != 0)
        {
            value |= (ulong)Unsafe.Add(ref source, at) << (at * 8);
        }

        return value;
    }

    /// <summary>Writes the first <paramref name="count"/> (1…15) bytes of <paramref name="block"/>, nothing past them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePartial(ref byte destination, Vector128<byte> block, int count)
    {
        ulong low = block.AsUInt64().ToScalar();
        if (count >= 8)
        {
            Unsafe.WriteUnaligned(ref destination, low);
            StoreUpTo7(ref Unsafe.Add(ref destination, 8), block.AsUInt64().GetElement(1), count - 8);
        }
        else
        {
            StoreUpTo7(ref destination, low, count);
        }
    }

    /// <summary>Writes the low <paramref name="count"/> (0…7) bytes of <paramref name="value"/> little-endian.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreUpTo7(ref byte destination, ulong value, int count)
    {
        int at = 0;
        if ((count & 4) != 0)
        {
            Unsafe.WriteUnaligned(ref destination, (uint)value);
            value >>= 32;
            at = 4;
        }

        if ((count & 2) != 0)
        {
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, at), (ushort)value);
            value >>= 16;
            at += 2;
        }

        if ((count & 1) != 0)
        {
            Unsafe.Add(ref destination, at) = (byte)value;
        }
    }

    /// <summary>
    /// Writes the keystream of counters <paramref name="counter"/>… for <paramref name="length"/> (1…127) bytes
    /// into <paramref name="tail"/>: four blocks when four cover them, else eight.
    /// </summary>
    private void Keystream(ref Blocks tail, Vector128<uint> counterBase, uint counter, int length)
    {
        ref RoundKeys k = ref _keys;
        int blocks = (length + BlockSize - 1) / BlockSize;
        Vector128<byte> rk = k[0];
        Vector128<byte> b0 = Counter(counterBase, counter) ^ rk;
        Vector128<byte> b1 = Counter(counterBase, counter + 1) ^ rk;
        Vector128<byte> b2 = Counter(counterBase, counter + 2) ^ rk;
        Vector128<byte> b3 = Counter(counterBase, counter + 3) ^ rk;
        if (blocks <= 4)
        {
            for (int r = 1; r < Rounds; r++)
            {
                rk = k[r];
                b0 = Aes.Encrypt(b0, rk);
                b1 = Aes.Encrypt(b1, rk);
                b2 = Aes.Encrypt(b2, rk);
                b3 = Aes.Encrypt(b3, rk);
            }

            rk = k[Rounds];
            tail[0] = Aes.EncryptLast(b0, rk);
            tail[1] = Aes.EncryptLast(b1, rk);
            tail[2] = Aes.EncryptLast(b2, rk);
            tail[3] = Aes.EncryptLast(b3, rk);
        }
        else
        {
            Vector128<byte> b4 = Counter(counterBase, counter + 4) ^ rk;
            Vector128<byte> b5 = Counter(counterBase, counter + 5) ^ rk;
            Vector128<byte> b6 = Counter(counterBase, counter + 6) ^ rk;
            Vector128<byte> b7 = Counter(counterBase, counter + 7) ^ rk;
            for (int r = 1; r < Rounds; r++)
            {
                rk = k[r];
                b0 = Aes.Encrypt(b0, rk);
                b1 = Aes.Encrypt(b1, rk);
                b2 = Aes.Encrypt(b2, rk);
                b3 = Aes.Encrypt(b3, rk);
                b4 = Aes.Encrypt(b4, rk);
                b5 = Aes.Encrypt(b5, rk);
                b6 = Aes.Encrypt(b6, rk);
                b7 = Aes.Encrypt(b7, rk);
            }

            rk = k[Rounds];
            tail[0] = Aes.EncryptLast(b0, rk);
            tail[1] = Aes.EncryptLast(b1, rk);
            tail[2] = Aes.EncryptLast(b2, rk);
            tail[3] = Aes.EncryptLast(b3, rk);
            tail[4] = Aes.EncryptLast(b4, rk);
            tail[5] = Aes.EncryptLast(b5, rk);
            tail[6] = Aes.EncryptLast(b6, rk);
            tail[7] = Aes.EncryptLast(b7, rk);
        }
    }

    /// <summary>The nonce in bytes 0…11 of a counter block; bytes 12…15 are zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> CounterBase(ReadOnlySpan<byte> nonce12) =>
        Vector128.Create(MemoryMarshal.Read<ulong>(nonce12), MemoryMarshal.Read<uint>(nonce12[8..])).AsUInt32();

    /// <summary>The counter block: the nonce, then <paramref name="counter"/> big-endian.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Counter(Vector128<uint> counterBase, uint counter) =>
        Sse41.Insert(counterBase, BinaryPrimitives.ReverseEndianness(counter), 3).AsByte();

    /// <summary>One AES-256 block encryption.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> EncryptBlock(Vector128<byte> block, ref RoundKeys k)
    {
        block ^= k[0];
        for (int r = 1; r < Rounds; r++)
        {
            block = Aes.Encrypt(block, k[r]);
        }

        return Aes.EncryptLast(block, k[Rounds]);
    }

    /// <summary>The AES-256 key expansion (FIPS 197 §5.2) with AESKEYGENASSIST.</summary>
    private static void ExpandKey(ReadOnlySpan<byte> key, ref RoundKeys k)
    {
        Vector128<byte> a = Vector128.Create(key[..16]);
        Vector128<byte> b = Vector128.Create(key[16..]);
        k[0] = a;
        k[1] = b;

        // Words i ≡ 0 (mod 8) use SubWord(RotWord(w[i-1])) ^ Rcon (dword 3 of the assist);
        // words i ≡ 4 (mod 8) use SubWord(w[i-1]) (dword 2).
        a = ExpandStep(a, Aes.KeygenAssist(b, 0x01), 0xFF); k[2] = a;
        b = ExpandStep(b, Aes.KeygenAssist(a, 0x00), 0xAA); k[3] = b;
        a = ExpandStep(a, Aes.KeygenAssist(b, 0x02), 0xFF); k[4] = a;
        b = ExpandStep(b, Aes.KeygenAssist(a, 0x00), 0xAA); k[5] = b;
        a = ExpandStep(a, Aes.KeygenAssist(b, 0x04), 0xFF); k[6] = a;
        b = ExpandStep(b, Aes.KeygenAssist(a, 0x00), 0xAA); k[7] = b;
        a = ExpandStep(a, Aes.KeygenAssist(b, 0x08), 0xFF); k[8] = a;
        b = ExpandStep(b, Aes.KeygenAssist(a, 0x00), 0xAA); k[9] = b;
        a = ExpandStep(a, Aes.KeygenAssist(b, 0x10), 0xFF); k[10] = a;
        b = ExpandStep(b, Aes.KeygenAssist(a, 0x00), 0xAA); k[11] = b;
        a = ExpandStep(a, Aes.KeygenAssist(b, 0x20), 0xFF); k[12] = a;
        b = ExpandStep(b, Aes.KeygenAssist(a, 0x00), 0xAA); k[13] = b;
        a = ExpandStep(a, Aes.KeygenAssist(b, 0x40), 0xFF); k[14] = a;
    }

    /// <summary>Four key words from the previous four and the broadcast assist word: w[i] = w[i-8] ^ … ^ t.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> ExpandStep(Vector128<byte> previous, Vector128<byte> assist, [ConstantExpected] byte select)
    {
        Vector128<byte> t = Sse2.Shuffle(assist.AsUInt32(), select).AsByte();
        previous ^= Sse2.ShiftLeftLogical128BitLane(previous, 4);
        previous ^= Sse2.ShiftLeftLogical128BitLane(previous, 4);
        previous ^= Sse2.ShiftLeftLogical128BitLane(previous, 4);
        return previous ^ t;
    }

    // ---- GHASH ----

    /// <summary>Absorbs <paramref name="data"/>, zero-padded to a whole block, into the GHASH state <paramref name="y"/>.</summary>
    /// <returns>The new state.</returns>
    private Vector128<ulong> Ghash(Vector128<ulong> y, ReadOnlySpan<byte> data)
    {
        ref byte src = ref MemoryMarshal.GetReference(data);
        int length = data.Length;
        int offset = 0;
        Vector128<ulong> state = y;
        while (length - offset >= BatchBytes)
        {
            nuint at = (nuint)offset;
            state = Ghash8(
                state,
                Vector128.LoadUnsafe(ref src, at),
                Vector128.LoadUnsafe(ref src, at + 16),
                Vector128.LoadUnsafe(ref src, at + 32),
                Vector128.LoadUnsafe(ref src, at + 48),
                Vector128.LoadUnsafe(ref src, at + 64),
                Vector128.LoadUnsafe(ref src, at + 80),
                Vector128.LoadUnsafe(ref src, at + 96),
                Vector128.LoadUnsafe(ref src, at + 112));
            offset += BatchBytes;
        }

        if (offset < length)
        {
            state = GhashTail(state, data[offset..], default, withLengths: false);
        }

        return state;
    }

    /// <summary>Absorbs eight blocks: Y' = (Y ⊕ X1)·H⁸ ⊕ X2·H⁷ ⊕ … ⊕ X8·H, with one reduction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector128<ulong> Ghash8(
        Vector128<ulong> y,
        Vector128<byte> x0,
        Vector128<byte> x1,
        Vector128<byte> x2,
        Vector128<byte> x3,
        Vector128<byte> x4,
        Vector128<byte> x5,
        Vector128<byte> x6,
        Vector128<byte> x7)
    {
        if (Wide)
        {
            return Ghash8Wide(y, x0, x1, x2, x3, x4, x5, x6, x7);
        }

        ref HashPowers h = ref _h;
        ref HashPowers hk = ref _hk;
        Vector128<ulong> lo = Vector128<ulong>.Zero, hi = Vector128<ulong>.Zero, mid = Vector128<ulong>.Zero;
        // The block that depends on the previous state goes last, so that only one multiplication and the
        // reduction lie on the loop-carried dependency chain.
        MultiplyAccumulate(ByteReverse(x1).AsUInt64(), h[6], hk[6], ref lo, ref hi, ref mid);
        MultiplyAccumulate(ByteReverse(x2).AsUInt64(), h[5], hk[5], ref lo, ref hi, ref mid);
        MultiplyAccumulate(ByteReverse(x3).AsUInt64(), h[4], hk[4], ref lo, ref hi, ref mid);
        MultiplyAccumulate(ByteReverse(x4).AsUInt64(), h[3], hk[3], ref lo, ref hi, ref mid);
        MultiplyAccumulate(ByteReverse(x5).AsUInt64(), h[2], hk[2], ref lo, ref hi, ref mid);
        MultiplyAccumulate(ByteReverse(x6).AsUInt64(), h[1], hk[1], ref lo, ref hi, ref mid);
        MultiplyAccumulate(ByteReverse(x7).AsUInt64(), h[0], hk[0], ref lo, ref hi, ref mid);
        MultiplyAccumulate(ByteReverse(x0).AsUInt64() ^ y, h[7], hk[7], ref lo, ref hi, ref mid);
        return Reduce(lo, hi, mid);
    }

    /// <summary>
    /// <see cref="Ghash8"/> with 256-bit carry-less multiplications (VPCLMULQDQ): two blocks per instruction,
    /// the pairs' products summed lane by lane, the two lanes folded before the one reduction.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector128<ulong> Ghash8Wide(
        Vector128<ulong> y,
        Vector128<byte> x0,
        Vector128<byte> x1,
        Vector128<byte> x2,
        Vector128<byte> x3,
        Vector128<byte> x4,
        Vector128<byte> x5,
        Vector128<byte> x6,
        Vector128<byte> x7)
    {
        ref WidePowers h = ref _hWide;
        ref WidePowers hk = ref _hkWide;
        Vector256<ulong> lo = Vector256<ulong>.Zero, hi = Vector256<ulong>.Zero, mid = Vector256<ulong>.Zero;
        MultiplyAccumulate(ByteReverse(Vector256.Create(x2, x3)).AsUInt64(), h[1], hk[1], ref lo, ref hi, ref mid);
        MultiplyAccumulate(ByteReverse(Vector256.Create(x4, x5)).AsUInt64(), h[2], hk[2], ref lo, ref hi, ref mid);
        MultiplyAccumulate(ByteReverse(Vector256.Create(x6, x7)).AsUInt64(), h[3], hk[3], ref lo, ref hi, ref mid);
        Vector256<ulong> first = ByteReverse(Vector256.Create(x0, x1)).AsUInt64() ^ y.ToVector256();
        MultiplyAccumulate(first, h[0], hk[0], ref lo, ref hi, ref mid);
        return Reduce(lo.GetLower() ^ lo.GetUpper(), hi.GetLower() ^ hi.GetUpper(), mid.GetLower() ^ mid.GetUpper());
    }

    /// <summary>
    /// Absorbs <paramref name="data"/> (0…127 bytes, zero-padded to whole blocks) and, when
    /// <paramref name="withLengths"/>, the final lengths block, with one reduction: the i-th of n blocks is
    /// multiplied by H^(n-i).
    /// </summary>
    private Vector128<ulong> GhashTail(Vector128<ulong> y, ReadOnlySpan<byte> data, Vector128<ulong> lengths, bool withLengths)
    {
        int length = data.Length;
        int full = length / BlockSize;
        int partial = length - (full * BlockSize);
        int count = full + (partial > 0 ? 1 : 0) + (withLengths ? 1 : 0);
        if (count == 0)
        {
            return y;
        }

        ref HashPowers h = ref _h;
        ref HashPowers hk = ref _hk;
        ref byte src = ref MemoryMarshal.GetReference(data);
        Vector128<ulong> lo = Vector128<ulong>.Zero, hi = Vector128<ulong>.Zero, mid = Vector128<ulong>.Zero;
        Vector128<ulong> carry = y;
        int power = count - 1;
        for (int i = 0; i < full; i++, power--)
        {
            Vector128<ulong> x = ByteReverse(Vector128.LoadUnsafe(ref src, (nuint)(i * BlockSize))).AsUInt64() ^ carry;
            MultiplyAccumulate(x, h[power], hk[power], ref lo, ref hi, ref mid);
            carry = Vector128<ulong>.Zero;
        }

        if (partial > 0)
        {
            Vector128<byte> block = LoadPartial(ref Unsafe.Add(ref src, full * BlockSize), partial);
            MultiplyAccumulate(ByteReverse(block).AsUInt64() ^ carry, h[power], hk[power], ref lo, ref hi, ref mid);
            carry = Vector128<ulong>.Zero;
            power--;
        }

        if (withLengths)
        {
            MultiplyAccumulate(lengths ^ carry, h[0], hk[0], ref lo, ref hi, ref mid);
        }

        return Reduce(lo, hi, mid);
    }

    /// <summary>
    /// The final GHASH block len(A) ‖ len(C) (bit lengths, 64 bits each, big-endian), byte-reversed: len(C) in
    /// the low half and len(A) in the high half.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Lengths(int associatedDataLength, int textLength) =>
        Vector128.Create((ulong)textLength * 8, (ulong)associatedDataLength * 8);

    /// <summary>Adds the 256-bit carry-less product x·h to (lo, hi, mid) by Karatsuba: lo = x₀h₀, hi = x₁h₁, mid = (x₀⊕x₁)(h₀⊕h₁).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyAccumulate(
        Vector128<ulong> x,
        Vector128<ulong> h,
        Vector128<ulong> hk,
        ref Vector128<ulong> lo,
        ref Vector128<ulong> hi,
        ref Vector128<ulong> mid)
    {
        lo ^= Pclmulqdq.CarrylessMultiply(x, h, 0x00);
        hi ^= Pclmulqdq.CarrylessMultiply(x, h, 0x11);
        mid ^= Pclmulqdq.CarrylessMultiply(x ^ SwapHalves(x), hk, 0x00);
    }

    /// <summary>Two <see cref="MultiplyAccumulate(Vector128{ulong}, Vector128{ulong}, Vector128{ulong}, ref Vector128{ulong}, ref Vector128{ulong}, ref Vector128{ulong})"/> at once, one per 128-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyAccumulate(
        Vector256<ulong> x,
        Vector256<ulong> h,
        Vector256<ulong> hk,
        ref Vector256<ulong> lo,
        ref Vector256<ulong> hi,
        ref Vector256<ulong> mid)
    {
        lo ^= Pclmulqdq.V256.CarrylessMultiply(x, h, 0x00);
        hi ^= Pclmulqdq.V256.CarrylessMultiply(x, h, 0x11);
        mid ^= Pclmulqdq.V256.CarrylessMultiply(x ^ Avx2.Shuffle(x.AsUInt32(), 0x4E).AsUInt64(), hk, 0x00);
    }

    /// <summary>
    /// Reduces the 256-bit reflected product (lo, hi, Karatsuba mid) modulo P = x¹²⁸ + x⁷ + x² + x + 1. In the
    /// reflected order the low 128 bits hold the high-degree terms; each of their two 64-bit halves is folded
    /// by a carry-less multiplication with x⁷ + x² + x (0xC2 in the top byte) plus a half swap for the x⁰ term.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Reduce(Vector128<ulong> lo, Vector128<ulong> hi, Vector128<ulong> mid)
    {
        mid ^= lo ^ hi;
        lo ^= Sse2.ShiftLeftLogical128BitLane(mid, 8);
        hi ^= Sse2.ShiftRightLogical128BitLane(mid, 8);
        Vector128<ulong> poly = Vector128.CreateScalar(0xC200000000000000UL);
        Vector128<ulong> t = SwapHalves(lo) ^ Pclmulqdq.CarrylessMultiply(lo, poly, 0x00);
        return SwapHalves(t) ^ Pclmulqdq.CarrylessMultiply(t, poly, 0x00) ^ hi;
    }

    /// <summary>a·b mod P for reflected a and b·x⁻¹ (the form of the stored powers).</summary>
    private static Vector128<ulong> Multiply(Vector128<ulong> a, Vector128<ulong> bPrimed)
    {
        Vector128<ulong> lo = Vector128<ulong>.Zero, hi = Vector128<ulong>.Zero, mid = Vector128<ulong>.Zero;
        MultiplyAccumulate(a, bPrimed, bPrimed ^ SwapHalves(bPrimed), ref lo, ref hi, ref mid);
        return Reduce(lo, hi, mid);
    }

    /// <summary>
    /// v·x⁻¹ mod P for a reflected v: a left shift of the 128-bit value, and when a bit leaves, the reflected
    /// x⁻¹ ≡ x¹²⁷ + x⁶ + x + 1 (0xC2000000_00000000_00000000_00000001). Constant time.
    /// </summary>
    private static Vector128<ulong> MultiplyByXInverse(Vector128<ulong> v)
    {
        ulong low = v.GetElement(0);
        ulong high = v.GetElement(1);
        ulong carry = 0 - (high >> 63);
        high = (high << 1) | (low >> 63);
        low <<= 1;
        return Vector128.Create(low ^ (carry & 1), high ^ (carry & 0xC200000000000000UL));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> SwapHalves(Vector128<ulong> v) => Sse2.Shuffle(v.AsUInt32(), 0x4E).AsUInt64();

    /// <summary><see cref="ByteReverse(Vector128{byte})"/> in each 128-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> ByteReverse(Vector256<byte> v) =>
        Avx2.Shuffle(v, Vector256.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));

    /// <summary>Reverses the 16 bytes: GCM's bit order becomes a reflected 128-bit integer (bit 127 is x⁰).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> ByteReverse(Vector128<byte> v) =>
        Ssse3.Shuffle(v, Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));

    /// <summary>The 15 round keys of AES-256.</summary>
    [InlineArray(Rounds + 1)]
    private struct RoundKeys
    {
        private Vector128<byte> _element;
    }

    /// <summary>Nine GHASH operands: eight blocks and the lengths block of a tail.</summary>
    [InlineArray(PowerCount)]
    private struct HashPowers
    {
        private Vector128<ulong> _element;
    }

    /// <summary>The powers for <see cref="Ghash8Wide"/>: pair j holds H^(8-2j) in its low lane and H^(7-2j) in its high lane.</summary>
    [InlineArray(Batch / 2)]
    private struct WidePowers
    {
        private Vector256<ulong> _element;
    }

    /// <summary>Eight blocks of keystream for the last bytes of a message.</summary>
    [InlineArray(Batch)]
    private struct Blocks
    {
        private Vector128<byte> _element;
    }
}
