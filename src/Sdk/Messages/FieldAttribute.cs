namespace PeerKit;

/// <summary>
/// Gives a member an explicit protocol buffers field number. Without it, members are numbered 1, 2, 3…
/// by position: primary-constructor parameters first, then the other members in declaration order.
/// </summary>
/// <remarks>Valid numbers are 1 to 536,870,911, except 19,000 to 19,999, which protobuf reserves.</remarks>
/// <example><code>public partial record Chat([Field(1)] ulong From, [Field(3)] string Text);</code></example>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter, Inherited = false, AllowMultiple = false)]
public sealed class FieldAttribute : Attribute
{
    /// <summary>Creates the attribute.</summary>
    /// <param name="number">The protocol buffers field number.</param>
    public FieldAttribute(int number) => Number = number;

    /// <summary>The protocol buffers field number.</summary>
    public int Number { get; }
}
