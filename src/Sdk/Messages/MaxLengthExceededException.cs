namespace PeerKit;

/// <summary>
/// A message being encoded has a member longer than its <see cref="MaxLengthAttribute">[MaxLength]</see>.
/// Thrown while the message is sized, before any byte of it is written.
/// </summary>
public sealed class MaxLengthExceededException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="member">The member, as <c>Message.Member</c>.</param>
    /// <param name="length">Its length: UTF-8 bytes, bytes or elements.</param>
    /// <param name="maxLength">Its [MaxLength].</param>
    /// <param name="unit">What the lengths count ("UTF-8 bytes", "bytes", "elements").</param>
    public MaxLengthExceededException(string member, int length, int maxLength, string unit)
        : base($"{member} holds {length} {unit}, more than its [MaxLength({maxLength})]: shorten it before sending, or raise the limit.", "message")
    {
        Member = member;
        Length = length;
        MaxLength = maxLength;
    }

    /// <summary>The member, as <c>Message.Member</c>.</summary>
    public string Member { get; }

    /// <summary>Its length: UTF-8 bytes (string), bytes (bytes) or elements (repeated member).</summary>
    public int Length { get; }

    /// <summary>Its [MaxLength].</summary>
    public int MaxLength { get; }
}
