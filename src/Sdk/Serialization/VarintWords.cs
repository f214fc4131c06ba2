using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PeerKit.Serialization;

/// <summary>
/// Varints of up to eight bytes handled as one 64-bit word instead of byte by byte: the reader loads
/// eight bytes, finds the first byte without the continuation bit and packs the 7-bit groups together;
/// the writer spreads a value into 7-bit groups and stores them at once. Also counts continuation bits
/// a vector at a time (packed fields are sized, then decoded, from them).
/// </summary>
internal static class VarintWords
{
    private const ulong HighBits = 0x8080_8080_8080_8080UL;
    private const ulong LowBits = 0x7F7F_7F7F_7F7F_7F7FUL;

    /// <summary>
    /// True when BMI2's bit extract and deposit are fast (one instruction, a few cycles): on Intel, and on
    /// AMD from Zen 3 (family 19h) on. Zen 1 and 2 run them in microcode, much slower than plain shifts.
    /// </summary>
    private static readonly bool FastBitExtract = HasFastBitExtract();

    private static bool HasFastBitExtract()
    {
        if (!Bmi2.X64.IsSupported)
        {
            return false;
        }

        (int _, int ebx, int ecx, int edx) = X86Base.CpuId(0, 0);
        bool intel = ebx == 0x756E_6547 && edx == 0x4965_6E69 && ecx == 0x6C65_746E; // "GenuineIntel"
        bool amd = ebx == 0x6874_7541 && edx == 0x6974_6E65 && ecx == 0x444D_4163;   // "AuthenticAMD"
        if (intel)
        {
            return true;
        }

        if (!amd)
        {
            return false;
        }

        int signature = X86Base.CpuId(1, 0).Eax;
        int family = ((signature >> 8) & 0xF) + ((signature >> 20) & 0xFF);
        return family >= 0x19;
    }

    /// <summary>The largest value whose varint fits in eight bytes (56 bits).</summary>
    public const ulong MaxEightByteValue = (1UL << 56) - 1;

    /// <summary>Reads eight bytes at <paramref name="at"/> as a little-endian word (the first byte lowest).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Load(ref byte at)
    {
        ulong word = Unsafe.ReadUnaligned<ulong>(ref at);
        return BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word);
    }

    /// <summary>Writes <paramref name="word"/> at <paramref name="at"/>, little-endian (eight bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(ref byte at, ulong word) =>
        Unsafe.WriteUnaligned(ref at, BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word));

    /// <summary>
    /// The length in bytes (1 to 8) of the varint that starts at the lowest byte of <paramref name="word"/>,
    /// or 0 when none of its eight bytes ends a varint.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Length(ulong word)
    {
        ulong ends = ~word & HighBits;
        return ends == 0 ? 0 : (BitOperations.TrailingZeroCount(ends) + 1) >> 3;
    }

    /// <summary>The value of the varint of <paramref name="length"/> bytes (1 to 8) at the lowest bytes of <paramref name="word"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Decode(ulong word, int length) =>
        FastBitExtract ? Bmi2.X64.ParallelBitExtract(word, LowBits >> (64 - (length << 3))) : DecodeWithShifts(word, length);

    /// <summary><see cref="Decode"/> without BMI2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong DecodeWithShifts(ulong word, int length)
    {
        // Keep the varint's bytes and drop the continuation bits, then close the gaps: 7-bit groups into
        // 14 bits per 16-bit lane, 28 per 32-bit lane, 56 in all.
        ulong x = word & (LowBits >> (64 - (length << 3)));
        x = (x & 0x007F_007F_007F_007FUL) | ((x & 0x7F00_7F00_7F00_7F00UL) >> 1);
        x = (x & 0x0000_3FFF_0000_3FFFUL) | ((x & 0x3FFF_0000_3FFF_0000UL) >> 2);
        return (x & 0x0000_0000_0FFF_FFFFUL) | ((x & 0x0FFF_FFFF_0000_0000UL) >> 4);
    }

    /// <summary>
    /// The varint encoding of <paramref name="value"/> (at most <see cref="MaxEightByteValue"/>) as a word whose
    /// lowest <paramref name="length"/> bytes are the varint (<paramref name="length"/> from <see cref="WireSize.Varint64"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Encode(ulong value, int length) =>
        (FastBitExtract ? Bmi2.X64.ParallelBitDeposit(value, LowBits) : SpreadWithShifts(value))
        | (HighBits & ((1UL << ((length - 1) << 3)) - 1)); // the continuation bit on every byte but the last

    /// <summary>The 7-bit groups of <paramref name="value"/> one per byte, without BMI2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong SpreadWithShifts(ulong value)
    {
        // The reverse of DecodeWithShifts: 28 bits per 32-bit lane, 14 per 16-bit lane, 7 per byte.
        ulong x = (value & 0x0FFF_FFFFUL) | ((value & 0x00FF_FFFF_F000_0000UL) << 4);
        x = (x & 0x0000_3FFF_0000_3FFFUL) | ((x & 0x0FFF_C000_0FFF_C000UL) << 2);
        return (x & 0x007F_007F_007F_007FUL) | ((x & 0x3F80_3F80_3F80_3F80UL) << 1);
    }

    /// <summary>True when <see cref="DecodeSixteen"/> can run (AVX-512 VBMI and VBMI2: Ice Lake, Zen 4 and later).</summary>
    public static bool CanDecodeSixteen => Avx512Vbmi.IsSupported && Avx512Vbmi2.IsSupported;

    // Byte i of lane k (4 bytes) of the gather indexes: the k-th varint's start, and i.
    private static ReadOnlySpan<byte> LaneOfByte =>
    [
        0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7,
        8, 8, 8, 8, 9, 9, 9, 9, 10, 10, 10, 10, 11, 11, 11, 11, 12, 12, 12, 12, 13, 13, 13, 13, 14, 14, 14, 14, 15, 15, 15, 15,
    ];

    /// <summary>0 to 63, a byte's index in a 64-byte block.</summary>
    public static ReadOnlySpan<byte> ByteIndexes =>
    [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
        32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,
    ];

    /// <summary>
    /// Decodes the first sixteen varints in <paramref name="block"/> (64 bytes, the first a varint's start)
    /// into sixteen 32-bit values at <paramref name="output"/>, with vector instructions, when there are
    /// sixteen that end among the first <paramref name="available"/> bytes and none of them is longer than
    /// four bytes (values below 2^28, the common case for packed <c>int32</c> fields). Requires
    /// <see cref="CanDecodeSixteen"/>.
    /// </summary>
    /// <returns>The bytes the sixteen varints take, or 0 (nothing written) when they do not qualify.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int DecodeSixteen(Vector512<byte> block, int available, ref uint output)
    {
        ulong continuation = block.ExtractMostSignificantBits();
        ulong ends = ~continuation;
        if (available < 64)
        {
            ends &= (1UL << available) - 1;
        }

        if (BitOperations.PopCount(ends) < 16)
        {
            return 0;
        }

        // The sixteenth end, and no four continuation bits in a row (a varint of five bytes or more) below it.
        ulong sixteenth = Bmi2.X64.ParallelBitDeposit(1UL << 15, ends);
        ulong runs = continuation & (continuation >> 1);
        runs &= runs >> 2;
        if ((runs & ((sixteenth << 1) - 1)) != 0)
        {
            return 0;
        }

        // The end of each varint (its last byte's index) in bytes 0-15, then its start: 0, then one past the end before.
        Vector512<byte> isEnd = Vector512.GreaterThanOrEqual(block.AsSByte(), Vector512<sbyte>.Zero).AsByte();
        Vector512<byte> last = Avx512Vbmi2.Compress(Vector512<byte>.Zero, isEnd, Vector512.Create(ByteIndexes));
        Vector512<byte> first = Avx512BW.ShiftLeftLogical128BitLane(last + Vector512<byte>.One, 1);

        // Four bytes per varint: those from its start, kept up to its end, without continuation bits.
        Vector512<byte> lanes = Vector512.Create(LaneOfByte);
        Vector512<byte> at = Avx512Vbmi.PermuteVar64x8(first, lanes) + Vector512.Create(0x03020100u).AsByte();
        Vector512<byte> end = Avx512Vbmi.PermuteVar64x8(last, lanes);
        Vector512<byte> bytes = Avx512Vbmi.PermuteVar64x8(block, at)
            & Vector512.LessThanOrEqual(at, end)
            & Vector512.Create((byte)0x7F);

        // Seven bits a byte: pairs of bytes into 14 bits, pairs of those into 28.
        Vector512<ushort> pairs = bytes.AsUInt16();
        pairs = (pairs & Vector512.Create((ushort)0x007F)) | ((pairs >> 1) & Vector512.Create((ushort)0x3F80));
        Vector512<uint> values = pairs.AsUInt32();
        values = (values & Vector512.Create(0x3FFFu)) | ((values >> 2) & Vector512.Create(0x0FFF_C000u));
        values.StoreUnsafe(ref output);
        return BitOperations.TrailingZeroCount(sixteenth) + 1;
    }

    /// <summary>
    /// A bit per byte of the 64 bytes at <paramref name="at"/>, set when the byte has its continuation bit
    /// (bit 7) set; bit <c>i</c> is byte <c>i</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong ContinuationBits64(ref byte at)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            return Vector512.LoadUnsafe(ref at).ExtractMostSignificantBits();
        }

        if (Vector256.IsHardwareAccelerated)
        {
            return Vector256.LoadUnsafe(ref at).ExtractMostSignificantBits()
                | ((ulong)Vector256.LoadUnsafe(ref at, 32).ExtractMostSignificantBits() << 32);
        }

        if (Vector128.IsHardwareAccelerated)
        {
            return Vector128.LoadUnsafe(ref at).ExtractMostSignificantBits()
                | ((ulong)Vector128.LoadUnsafe(ref at, 16).ExtractMostSignificantBits() << 16)
                | ((ulong)Vector128.LoadUnsafe(ref at, 32).ExtractMostSignificantBits() << 32)
                | ((ulong)Vector128.LoadUnsafe(ref at, 48).ExtractMostSignificantBits() << 48);
        }

        ulong bits = 0;
        for (int i = 0; i < 8; i++)
        {
            bits |= ContinuationBits8(Load(ref Unsafe.Add(ref at, i * 8))) << (i * 8);
        }

        return bits;
    }

    // The high bit of each byte of the word gathered into the low 8 bits (byte i to bit i).
    private static ulong ContinuationBits8(ulong word) => ((word & HighBits) * 0x0002_0408_1020_4081UL) >> 56;

    /// <summary>How many bytes of <paramref name="bytes"/> end a varint (have no continuation bit).</summary>
    public static int CountEnds(ReadOnlySpan<byte> bytes)
    {
        ref byte at = ref MemoryMarshal.GetReference(bytes);
        int length = bytes.Length;
        int continuation = 0;
        int i = 0;
        for (; length - i >= 64; i += 64)
        {
            continuation += BitOperations.PopCount(ContinuationBits64(ref Unsafe.Add(ref at, i)));
        }

        if (Vector128.IsHardwareAccelerated)
        {
            for (; length - i >= 16; i += 16)
            {
                continuation += BitOperations.PopCount(Vector128.LoadUnsafe(ref at, (nuint)i).ExtractMostSignificantBits());
            }
        }

        for (; length - i >= 8; i += 8)
        {
            continuation += BitOperations.PopCount(Load(ref Unsafe.Add(ref at, i)) & HighBits);
        }

        for (; i < length; i++)
        {
            continuation += Unsafe.Add(ref at, i) >> 7;
        }

        return length - continuation;
    }
}
