using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace PeerKit;

/// <summary>
/// A node's identity: the SHA-256 hash of its static public key (<see cref="NodeKey.PublicKey"/>, the 65-byte
/// uncompressed SEC1 encoding of a P-256 point). 32 bytes, written as 64 lowercase hexadecimal characters.
/// </summary>
/// <remarks>
/// A link that crosses a network proves the remote node holds the private key behind its
/// <see cref="NodeId"/> (see <c>docs/links.md</c>). <c>default(NodeId)</c> is all zeros and is never the id of
/// a real key (<see cref="IsEmpty"/>).
/// </remarks>
public readonly struct NodeId : IEquatable<NodeId>, ISpanFormattable, ISpanParsable<NodeId>
{
    /// <summary>The number of bytes in a node id.</summary>
    public const int Size = 32;

    /// <summary>The number of characters in <see cref="ToString()"/>.</summary>
    public const int HexLength = Size * 2;

    // Big-endian words, so comparing them compares the bytes.
    private readonly ulong _a, _b, _c, _d;

    /// <summary>Creates a node id from its 32 bytes.</summary>
    /// <exception cref="ArgumentException"><paramref name="bytes"/> is not 32 bytes long.</exception>
    public NodeId(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"A node id is {Size} bytes, not {bytes.Length}.", nameof(bytes));
        }

        _a = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _b = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _c = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _d = BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    /// <summary>Whether this is <c>default(NodeId)</c> (all zeros), which names no key.</summary>
    public bool IsEmpty => (_a | _b | _c | _d) == 0;

    /// <summary>The id of the node whose static public key is <paramref name="publicKey"/>: SHA-256 of its encoding.</summary>
    /// <param name="publicKey">The 65-byte uncompressed SEC1 encoding (<c>0x04 ‖ X ‖ Y</c>) of a P-256 point.</param>
    /// <exception cref="ArgumentException"><paramref name="publicKey"/> is not a 65-byte uncompressed point encoding.</exception>
    public static NodeId FromPublicKey(ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length != NodeKey.PublicKeySize || publicKey[0] != 0x04)
        {
            throw new ArgumentException($"A node public key is the {NodeKey.PublicKeySize}-byte uncompressed encoding of a P-256 point (starting with 0x04).", nameof(publicKey));
        }

        Span<byte> hash = stackalloc byte[Size];
        SHA256.HashData(publicKey, hash);
        return new NodeId(hash);
    }

    /// <summary>Copies the 32 bytes of the id into <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 32 bytes.</exception>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"The destination holds {destination.Length} bytes; a node id needs {Size}.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    /// <summary>The 32 bytes of the id in a new array.</summary>
    public byte[] ToArray()
    {
        byte[] bytes = new byte[Size];
        WriteTo(bytes);
        return bytes;
    }

    /// <inheritdoc/>
    public bool Equals(NodeId other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    /// <inheritdoc/>
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is NodeId other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_a, _b, _c, _d);

    /// <summary>Whether two ids are equal.</summary>
    public static bool operator ==(NodeId left, NodeId right) => left.Equals(right);

    /// <summary>Whether two ids differ.</summary>
    public static bool operator !=(NodeId left, NodeId right) => !left.Equals(right);

    /// <summary>The id as 64 lowercase hexadecimal characters.</summary>
    public override string ToString() => string.Create(HexLength, this, static (chars, id) => id.TryFormat(chars, out _, default, null));

    /// <summary>The id as hexadecimal. Format <c>null</c>, <c>""</c> or <c>"x"</c> is lowercase, <c>"X"</c> uppercase, <c>"s"</c> the first 8 lowercase characters (for logs).</summary>
    /// <exception cref="FormatException"><paramref name="format"/> is none of those.</exception>
    public string ToString(string? format, IFormatProvider? formatProvider)
    {
        Span<char> chars = stackalloc char[HexLength];
        if (!TryFormat(chars, out int written, format, formatProvider))
        {
            throw new FormatException($"Unknown node id format '{format}'.");
        }

        return new string(chars[..written]);
    }

    /// <summary>Writes the id as hexadecimal (see <see cref="ToString(string?, IFormatProvider?)"/> for formats).</summary>
    /// <returns><c>false</c> when <paramref name="destination"/> is too short or the format is unknown.</returns>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        bool upper;
        int length = HexLength;
        if (format.IsEmpty || format is "x")
        {
            upper = false;
        }
        else if (format is "X")
        {
            upper = true;
        }
        else if (format is "s")
        {
            upper = false;
            length = 8;
        }
        else
        {
            charsWritten = 0;
            return false;
        }

        if (destination.Length < length)
        {
            charsWritten = 0;
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size];
        WriteTo(bytes);
        bool ok = upper
            ? Convert.TryToHexString(bytes[..(length / 2)], destination, out charsWritten)
            : Convert.TryToHexStringLower(bytes[..(length / 2)], destination, out charsWritten);
        return ok;
    }

    /// <summary>Parses 64 hexadecimal characters (either case).</summary>
    /// <exception cref="FormatException"><paramref name="text"/> is not 64 hexadecimal characters.</exception>
    public static NodeId Parse(ReadOnlySpan<char> text)
        => TryParse(text, out NodeId id) ? id : throw new FormatException($"A node id is {HexLength} hexadecimal characters.");

    /// <summary>Parses 64 hexadecimal characters (either case).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="FormatException"><paramref name="text"/> is not 64 hexadecimal characters.</exception>
    public static NodeId Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Parse(text.AsSpan());
    }

    /// <summary>Parses 64 hexadecimal characters (either case).</summary>
    /// <returns><c>false</c> when <paramref name="text"/> is anything else.</returns>
    public static bool TryParse(ReadOnlySpan<char> text, out NodeId id)
    {
        Span<byte> bytes = stackalloc byte[Size];
        if (text.Length != HexLength || Convert.FromHexString(text, bytes, out _, out int written) != System.Buffers.OperationStatus.Done || written != Size)
        {
            id = default;
            return false;
        }

        id = new NodeId(bytes);
        return true;
    }

    /// <summary>Parses 64 hexadecimal characters (either case).</summary>
    /// <returns><c>false</c> when <paramref name="text"/> is null or anything else.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out NodeId id)
    {
        if (text is null)
        {
            id = default;
            return false;
        }

        return TryParse(text.AsSpan(), out id);
    }

    static NodeId ISpanParsable<NodeId>.Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => Parse(s);

    static bool ISpanParsable<NodeId>.TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out NodeId result) => TryParse(s, out result);

    static NodeId IParsable<NodeId>.Parse(string s, IFormatProvider? provider) => Parse(s);

    static bool IParsable<NodeId>.TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out NodeId result) => TryParse(s, out result);
}
