using PeerKit.Serialization;

namespace PeerKit;

/// <summary>
/// A message the PeerKit generator knows how to serialize. Do not implement it by hand: mark a partial
/// type with <see cref="MessageAttribute"/> and the generator implements it. Use
/// <see cref="MessageSerializer"/> to encode and decode.
/// </summary>
/// <typeparam name="TSelf">The message type.</typeparam>
public interface IMessage<TSelf> where TSelf : IMessage<TSelf>
{
    /// <summary>The message code from <see cref="MessageAttribute.Code"/>, or -1 when it has none.</summary>
    static abstract int Code { get; }

    /// <summary>The delivery class from <see cref="MessageAttribute.Reliability"/>.</summary>
    static abstract Reliability Reliability { get; }

    /// <summary>
    /// The most bytes an encoding of this message can take: <see cref="MessageAttribute.MaxSize"/> when set,
    /// else the bound computed from the members, or -1 when a member (a string, bytes, a repeated field) is unbounded.
    /// </summary>
    static abstract int MaxSize { get; }

    /// <summary>The exact number of bytes <see cref="Write"/> will write for <paramref name="message"/>.</summary>
    static abstract int GetSize(in TSelf message);

    /// <summary>Writes <paramref name="message"/> in the proto3 wire format.</summary>
    static abstract void Write(in TSelf message, ref MessageWriter writer);

    /// <summary>
    /// Writes <paramref name="message"/> at the start of <paramref name="destination"/> in one pass, without sizing it
    /// first, when the message has a fixed layout (every member a number, a bool, an enum or a nested message of fixed
    /// layout) and <paramref name="destination"/> holds its largest encoding. Writes nothing past the message.
    /// </summary>
    /// <returns>The bytes written, or -1 (nothing written) when the message has no fixed layout or the destination is too short.</returns>
    static virtual int TryWriteFixed(in TSelf message, Span<byte> destination) => -1;

    /// <summary>
    /// The most bytes <see cref="Write"/> can write for <paramref name="message"/>, found without reading any string's
    /// characters (three UTF-8 bytes a UTF-16 unit): a destination this long is written in one pass, each string
    /// transcoded once. Checks every [MaxLength] as <see cref="GetSize"/> does.
    /// </summary>
    /// <returns>The bound, or -1 when the message has none cheaper than <see cref="GetSize"/> (no strings or nested messages) or it is over 2 GiB.</returns>
    static virtual int GetSizeBound(in TSelf message) => -1;

    /// <summary>Reads a message from the rest of <paramref name="reader"/>'s input.</summary>
    static abstract TSelf Read(ref MessageReader reader);

    /// <summary>
    /// Reads a message from the rest of <paramref name="reader"/>'s input into <paramref name="message"/>, as
    /// <see cref="Read"/> does. Generated structs implement it (and <see cref="Read"/> through it): a struct written
    /// in place, in an array element for example, is not first returned in registers assembled on the stack.
    /// </summary>
    static virtual void ReadInto(ref MessageReader reader, out TSelf message) => message = TSelf.Read(ref reader);
}
