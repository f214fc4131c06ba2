using System.Buffers.Binary;
using System.Security.Cryptography;

namespace PeerKit.Routing;

/// <summary>
/// An access token for a router: an expiry and HMAC-SHA256, by a secret the router and the token's issuer share, over
/// the node id (32 bytes) and the expiry (Unix seconds, 8 bytes big-endian). It is bound to one node key, so a token
/// seen on the wire is useless to any other node; the router checks it when the session opens.
/// </summary>
/// <param name="ExpiresAt">The expiry, in Unix seconds.</param>
/// <param name="Mac">The 32-byte MAC.</param>
/// <example>
/// <code>
/// RouterAccessToken token = RouterAccessToken.Create(secret, node.Id, DateTimeOffset.UtcNow.AddHours(1));
/// </code>
/// </example>
[Message]
public sealed partial record RouterAccessToken([Fixed] long ExpiresAt, byte[] Mac)
{
    /// <summary>The shortest secret accepted, in bytes.</summary>
    public const int MinSecretLength = 16;

    /// <summary>Issues a token for <paramref name="nodeId"/> that expires at <paramref name="expiresAt"/>.</summary>
    /// <exception cref="ArgumentException">The secret is shorter than <see cref="MinSecretLength"/> bytes.</exception>
    public static RouterAccessToken Create(ReadOnlySpan<byte> secret, NodeId nodeId, DateTimeOffset expiresAt)
    {
        CheckSecret(secret);
        long expiry = expiresAt.ToUnixTimeSeconds();
        return new RouterAccessToken(expiry, ComputeMac(secret, nodeId, expiry));
    }

    /// <summary>
    /// Checks a token for <paramref name="nodeId"/> at <paramref name="now"/>: <see cref="RouterStatus.Ok"/>,
    /// <see cref="RouterStatus.Unauthorised"/> (missing, or a MAC that does not match) or <see cref="RouterStatus.Expired"/>.
    /// </summary>
    public static RouterStatus Check(RouterAccessToken? token, ReadOnlySpan<byte> secret, NodeId nodeId, DateTimeOffset now)
    {
        CheckSecret(secret);
        if (token is null || token.Mac is not { Length: 32 })
        {
            return RouterStatus.Unauthorised;
        }

        byte[] expected = ComputeMac(secret, nodeId, token.ExpiresAt);
        if (!CryptographicOperations.FixedTimeEquals(expected, token.Mac))
        {
            return RouterStatus.Unauthorised;
        }

        return now.ToUnixTimeSeconds() >= token.ExpiresAt ? RouterStatus.Expired : RouterStatus.Ok;
    }

    private static byte[] ComputeMac(ReadOnlySpan<byte> secret, NodeId nodeId, long expiresAt)
    {
        Span<byte> data = stackalloc byte[NodeId.Size + 8];
        nodeId.WriteTo(data);
        BinaryPrimitives.WriteInt64BigEndian(data[NodeId.Size..], expiresAt);
        return HMACSHA256.HashData(secret, data);
    }

    private static void CheckSecret(ReadOnlySpan<byte> secret)
    {
        if (secret.Length < MinSecretLength)
        {
            throw new ArgumentException($"The router secret must be at least {MinSecretLength} bytes.", nameof(secret));
        }
    }
}
