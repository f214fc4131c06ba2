using System.Security.Cryptography;

namespace PeerKit.Links.Noise;

/// <summary>
/// The Noise HKDF (spec §4.3) over HMAC-SHA256: <c>temp = HMAC(ck, ikm)</c>, <c>out1 = HMAC(temp, 0x01)</c>,
/// <c>out2 = HMAC(temp, out1 ‖ 0x02)</c>, <c>out3 = HMAC(temp, out2 ‖ 0x03)</c>. This equals RFC 5869 HKDF with
/// salt = ck and empty info, which the tests check against <see cref="HKDF"/>.
/// </summary>
internal static class NoiseHkdf
{
    public const int HashLength = 32;

    public static void Derive(ReadOnlySpan<byte> chainingKey, ReadOnlySpan<byte> inputKeyMaterial, Span<byte> output1, Span<byte> output2, Span<byte> output3 = default)
    {
        Span<byte> temp = stackalloc byte[HashLength];
        Span<byte> input = stackalloc byte[HashLength + 1];
        try
        {
            HMACSHA256.HashData(chainingKey, inputKeyMaterial, temp);
            input[0] = 0x01;
            HMACSHA256.HashData(temp, input[..1], output1[..HashLength]);
            output1[..HashLength].CopyTo(input);
            input[HashLength] = 0x02;
            HMACSHA256.HashData(temp, input, output2[..HashLength]);
            if (!output3.IsEmpty)
            {
                output2[..HashLength].CopyTo(input);
                input[HashLength] = 0x03;
                HMACSHA256.HashData(temp, input, output3[..HashLength]);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(temp);
            CryptographicOperations.ZeroMemory(input);
        }
    }
}
