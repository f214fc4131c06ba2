namespace PeerKit;

/// <summary>
/// Encodes an integer member with a fixed width: <see cref="uint"/> as <c>fixed32</c>, <see cref="ulong"/>
/// as <c>fixed64</c>, <see cref="int"/> as <c>sfixed32</c>, <see cref="long"/> as <c>sfixed64</c>.
/// Faster than a varint and better for large or hash-like values.
/// </summary>
/// <example><code>public partial record Block([Fixed] ulong Hash);</code></example>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter, Inherited = false, AllowMultiple = false)]
public sealed class FixedAttribute : Attribute
{
}
