namespace PeerKit;

/// <summary>
/// Encodes an <see cref="int"/> or <see cref="long"/> member as protobuf <c>sint32</c>/<c>sint64</c>
/// (zigzag), so small negative numbers take one or two bytes instead of ten.
/// </summary>
/// <example><code>public partial record Score([ZigZag] int Delta);</code></example>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter, Inherited = false, AllowMultiple = false)]
public sealed class ZigZagAttribute : Attribute
{
}
