namespace PeerKit;

/// <summary>
/// Bounds a <c>string</c> (in UTF-8 bytes), <c>bytes</c> (in bytes) or repeated member (in elements). The bound
/// counts in the message's generated <see cref="IMessage{TSelf}.MaxSize"/> and in the compile-time
/// <see cref="MessageAttribute.MaxSize"/> checks, so a message with such members can have a size limit.
/// Encoding a longer value throws <see cref="MaxLengthExceededException"/> before a byte is written; decoding
/// one throws <see cref="MessageFormatException"/> at its offset.
/// </summary>
/// <example>
/// <code>
/// [Message(Code = 3, Reliability = Reliability.Unreliable, MaxSize = 60)]
/// public partial record Beacon(uint Id, [MaxLength(40)] string Name);
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter, Inherited = false, AllowMultiple = false)]
public sealed class MaxLengthAttribute : Attribute
{
    /// <summary>Creates the attribute.</summary>
    /// <param name="length">The most UTF-8 bytes (string), bytes (bytes) or elements (repeated member); at least 1.</param>
    public MaxLengthAttribute(int length) => Length = length;

    /// <summary>The most UTF-8 bytes (string), bytes (bytes) or elements (repeated member).</summary>
    public int Length { get; }
}
