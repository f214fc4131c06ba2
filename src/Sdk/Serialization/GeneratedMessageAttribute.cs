using System.ComponentModel;

namespace PeerKit.Serialization;

/// <summary>
/// Put on a message by the generator so that other assemblies' generators can see, at compile time,
/// what it computed (its size bound). Not for hand-written code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false, AllowMultiple = false)]
public sealed class GeneratedMessageAttribute : Attribute
{
    /// <summary>The most bytes an encoding can take, or -1 when unbounded.</summary>
    public int MaxSize { get; set; } = -1;

    /// <summary>
    /// The largest encoding computed from the members when the message has a fixed layout (every member a number,
    /// a bool, an enum or a nested message of fixed layout), so it is written in straight-line code; 0 otherwise.
    /// </summary>
    public int FixedSize { get; set; }
}
