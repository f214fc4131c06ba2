using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace PeerKit.Serialization;

/// <summary>
/// ASCII checks and conversions for short strings (names, chat lines): each checks a block of characters
/// and converts it in the same pass, a vector at a time, with the last block overlapping the one before
/// instead of a scalar tail. <see cref="System.Text.Ascii"/> does the same work but costs more per call
/// on strings of a few dozen characters.
/// </summary>
/// <remarks>
/// Every method reads and writes only within the lengths it is given.
/// </remarks>
internal static class AsciiText
{
    /// <summary>True when every UTF-16 unit of <paramref name="value"/> is below 0x80.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsAscii(string value) => IsAscii(ref MemoryMarshal.GetReference(value.AsSpan()), value.Length);

    /// <summary>True when each of the <paramref name="length"/> units at <paramref name="source"/> is below 0x80.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsAscii(ref char source, int length)
    {
        ref ushort at = ref Unsafe.As<char, ushort>(ref source);
        nuint n = (nuint)length;
        if (Vector512.IsHardwareAccelerated && n >= 32)
        {
            Vector512<ushort> any = Vector512.LoadUnsafe(ref at, n - 32);
            for (nuint i = 0; i + 32 < n; i += 32)
            {
                any |= Vector512.LoadUnsafe(ref at, i);
            }

            return (any & Vector512.Create((ushort)0xFF80)) == Vector512<ushort>.Zero;
        }

        if (Vector256.IsHardwareAccelerated && n >= 16)
        {
            Vector256<ushort> any = Vector256.LoadUnsafe(ref at, n - 16);
            for (nuint i = 0; i + 16 < n; i += 16)
            {
                any |= Vector256.LoadUnsafe(ref at, i);
            }

            return (any & Vector256.Create((ushort)0xFF80)) == Vector256<ushort>.Zero;
        }

        if (Vector128.IsHardwareAccelerated && n >= 8)
        {
            Vector128<ushort> any = Vector128.LoadUnsafe(ref at, n - 8);
            for (nuint i = 0; i + 8 < n; i += 8)
            {
                any |= Vector128.LoadUnsafe(ref at, i);
            }

            return (any & Vector128.Create((ushort)0xFF80)) == Vector128<ushort>.Zero;
        }

        ulong bits = 0;
        nuint j = 0;
        for (; j + 4 <= n; j += 4)
        {
            bits |= Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<ushort, byte>(ref Unsafe.Add(ref at, j)));
        }

        for (; j < n; j++)
        {
            bits |= Unsafe.Add(ref at, j);
        }

        return (bits & 0xFF80_FF80_FF80_FF80UL) == 0;
    }

    /// <summary>
    /// Narrows the <paramref name="length"/> UTF-16 units at <paramref name="source"/> to bytes at
    /// <paramref name="destination"/> for as long as they are ASCII.
    /// </summary>
    /// <returns>
    /// <paramref name="length"/> when every unit is ASCII. Otherwise a smaller count: the units before it are
    /// ASCII and written, the unit at it or one of the few after it is not, and bytes from it on are unspecified.
    /// </returns>
    public static int Narrow(ref char source, ref byte destination, int length)
    {
        ref ushort at = ref Unsafe.As<char, ushort>(ref source);
        nuint n = (nuint)length;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated && n >= 64)
        {
            Vector512<ushort> mask = Vector512.Create((ushort)0xFF80);
            while (true)
            {
                Vector512<ushort> low = Vector512.LoadUnsafe(ref at, i);
                Vector512<ushort> high = Vector512.LoadUnsafe(ref at, i + 32);
                if (((low | high) & mask) != Vector512<ushort>.Zero)
                {
                    return (int)i;
                }

                Vector512.Narrow(low, high).StoreUnsafe(ref destination, i);
                if (i + 64 == n)
                {
                    return length;
                }

                // The last block ends at the end, overlapping the one before.
                i = Math.Min(i + 64, n - 64);
            }
        }

        if (Vector256.IsHardwareAccelerated && n >= 32)
        {
            Vector256<ushort> mask = Vector256.Create((ushort)0xFF80);
            while (true)
            {
                Vector256<ushort> low = Vector256.LoadUnsafe(ref at, i);
                Vector256<ushort> high = Vector256.LoadUnsafe(ref at, i + 16);
                if (((low | high) & mask) != Vector256<ushort>.Zero)
                {
                    return (int)i;
                }

                Vector256.Narrow(low, high).StoreUnsafe(ref destination, i);
                if (i + 32 == n)
                {
                    return length;
                }

                i = Math.Min(i + 32, n - 32);
            }
        }

        if (Vector128.IsHardwareAccelerated && n >= 8)
        {
            // Eight units at a time, stored as one 8-byte word.
            Vector128<ushort> mask = Vector128.Create((ushort)0xFF80);
            while (true)
            {
                Vector128<ushort> units = Vector128.LoadUnsafe(ref at, i);
                if ((units & mask) != Vector128<ushort>.Zero)
                {
                    return (int)i;
                }

                Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, i), Vector128.Narrow(units, units).AsUInt64().ToScalar());
                if (i + 8 == n)
                {
                    return length;
                }

                i = Math.Min(i + 8, n - 8);
            }
        }

        for (; i < n; i++)
        {
            ushort unit = Unsafe.Add(ref at, i);
            if (unit >= 0x80)
            {
                return (int)i;
            }

            Unsafe.Add(ref destination, i) = (byte)unit;
        }

        return length;
    }

    /// <summary>
    /// Widens the <paramref name="length"/> bytes at <paramref name="source"/> to UTF-16 units at
    /// <paramref name="destination"/> when all of them are ASCII.
    /// </summary>
    /// <returns>False when a byte is 0x80 or above; what was written is then unspecified.</returns>
    public static bool Widen(ref byte source, ref char destination, int length)
    {
        ref ushort to = ref Unsafe.As<char, ushort>(ref destination);
        nuint n = (nuint)length;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated && n >= 64)
        {
            while (true)
            {
                Vector512<byte> bytes = Vector512.LoadUnsafe(ref source, i);
                if (bytes.ExtractMostSignificantBits() != 0)
                {
                    return false;
                }

                (Vector512<ushort> low, Vector512<ushort> high) = Vector512.Widen(bytes);
                low.StoreUnsafe(ref to, i);
                high.StoreUnsafe(ref to, i + 32);
                if (i + 64 == n)
                {
                    return true;
                }

                i = Math.Min(i + 64, n - 64);
            }
        }

        if (Vector256.IsHardwareAccelerated && n >= 32)
        {
            while (true)
            {
                Vector256<byte> bytes = Vector256.LoadUnsafe(ref source, i);
                if (bytes.ExtractMostSignificantBits() != 0)
                {
                    return false;
                }

                (Vector256<ushort> low, Vector256<ushort> high) = Vector256.Widen(bytes);
                low.StoreUnsafe(ref to, i);
                high.StoreUnsafe(ref to, i + 16);
                if (i + 32 == n)
                {
                    return true;
                }

                i = Math.Min(i + 32, n - 32);
            }
        }

        if (Vector128.IsHardwareAccelerated && n >= 8)
        {
            // Eight bytes at a time, loaded as one word.
            while (true)
            {
                Vector128<byte> bytes = Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, i))).AsByte();
                if (bytes.ExtractMostSignificantBits() != 0)
                {
                    return false;
                }

                Vector128.WidenLower(bytes).StoreUnsafe(ref to, i);
                if (i + 8 == n)
                {
                    return true;
                }

                i = Math.Min(i + 8, n - 8);
            }
        }

        for (; i < n; i++)
        {
            byte b = Unsafe.Add(ref source, i);
            if (b >= 0x80)
            {
                return false;
            }

            Unsafe.Add(ref to, i) = b;
        }

        return true;
    }
}
