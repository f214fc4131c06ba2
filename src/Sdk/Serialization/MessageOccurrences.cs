using System.ComponentModel;

namespace PeerKit.Serialization;

/// <summary>
/// The occurrences of one singular embedded message field in the input, noted by
/// <see cref="MessageReader.AddOccurrence"/> and read, merged, by <see cref="MessageReader.ReadOccurrences{T}"/>.
/// Generated <c>Read</c> methods keep one per such field, starting at <c>default</c>. The first occurrence is only
/// noted; from the second on their bytes are gathered in one pooled array that doubles as it grows, so a hostile
/// input that repeats a field costs memory and time in proportion to its length.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public struct MessageOccurrences
{
    /// <summary>True once the field occurred.</summary>
    public bool Occurred { readonly get; internal set; }

    /// <summary>Where the first occurrence's bytes start in the reader's input.</summary>
    internal int FirstStart;

    /// <summary>The first occurrence's length.</summary>
    internal int FirstLength;

    /// <summary>Every occurrence so far, concatenated, from the second on (its first <see cref="MergedLength"/> bytes).</summary>
    internal byte[]? Merged;

    /// <summary>How many bytes of <see cref="Merged"/> are used.</summary>
    internal int MergedLength;
}
