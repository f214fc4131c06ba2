namespace PeerKit;

/// <summary>
/// The bytes being decoded are not a valid encoding of the expected message: truncated input, a malformed
/// varint, a length past the end, an invalid tag or wire type, nesting deeper than
/// <see cref="Serialization.MessageReader.MaxDepth"/> (100 by default), or invalid UTF-8 in a string.
/// </summary>
public sealed class MessageFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="offset">The offset, from the start of the outermost input, of the byte where decoding failed.</param>
    /// <param name="reason">What was wrong there.</param>
    public MessageFormatException(long offset, string reason)
        : base($"Invalid message at byte {offset}: {reason}")
    {
        Offset = offset;
        Reason = reason;
    }

    /// <summary>Creates the exception with the exception that caused it.</summary>
    /// <param name="offset">The offset, from the start of the outermost input, of the byte where decoding failed.</param>
    /// <param name="reason">What was wrong there.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public MessageFormatException(long offset, string reason, Exception innerException)
        : base($"Invalid message at byte {offset}: {reason}", innerException)
    {
        Offset = offset;
        Reason = reason;
    }

    /// <summary>The offset, from the start of the outermost input, of the byte where decoding failed.</summary>
    public long Offset { get; }

    /// <summary>What was wrong, without the offset.</summary>
    public string Reason { get; }
}
