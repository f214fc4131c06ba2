using System.Numerics;

namespace PeerKit.Links.Noise;

/// <summary>The NIST P-256 curve equation, to check a peer's point before handing it to the platform (which throws on a bad one).</summary>
internal static class P256
{
    private static readonly BigInteger s_p = BigInteger.Parse("0FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF", System.Globalization.NumberStyles.HexNumber);
    private static readonly BigInteger s_b = BigInteger.Parse("05AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B", System.Globalization.NumberStyles.HexNumber);

    /// <summary>Whether (x, y), 32 big-endian bytes each, is a point of P-256 (not the point at infinity).</summary>
    public static bool IsOnCurve(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        var bx = new BigInteger(x, isUnsigned: true, isBigEndian: true);
        var by = new BigInteger(y, isUnsigned: true, isBigEndian: true);
        if (bx >= s_p || by >= s_p)
        {
            return false;
        }

        BigInteger left = by * by % s_p;
        BigInteger right = ((bx * bx % s_p * bx) - (3 * bx) + s_b) % s_p;
        if (right.Sign < 0)
        {
            right += s_p;
        }

        return left == right;
    }
}
