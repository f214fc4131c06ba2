namespace PeerKit;

/// <summary>A node key could not be read: the bytes are not a supported encoding of a P-256 private key.</summary>
public sealed class NodeKeyFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The file the key was read from, or <c>null</c> when it came from memory.</param>
    /// <param name="reason">What was wrong.</param>
    public NodeKeyFormatException(string? path, string reason)
        : base(Describe(path, reason))
    {
        Path = path;
        Reason = reason;
    }

    /// <summary>Creates the exception with the exception that caused it.</summary>
    /// <param name="path">The file the key was read from, or <c>null</c> when it came from memory.</param>
    /// <param name="reason">What was wrong.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public NodeKeyFormatException(string? path, string reason, Exception innerException)
        : base(Describe(path, reason), innerException)
    {
        Path = path;
        Reason = reason;
    }

    /// <summary>The file the key was read from, or <c>null</c> when it came from memory.</summary>
    public string? Path { get; }

    /// <summary>What was wrong.</summary>
    public string Reason { get; }

    private static string Describe(string? path, string reason)
        => path is null ? $"Invalid node key: {reason}." : $"Invalid node key in '{path}': {reason}.";
}
