using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using PeerKit.Serialization;

namespace PeerKit;

/// <summary>
/// Encodes and decodes <see cref="MessageAttribute">[Message]</see> types in the proto3 wire format.
/// Encoding never allocates (except <see cref="ToArray{T}"/>, which returns a new array); decoding
/// allocates only the strings, arrays and lists the message's members demand.
/// </summary>
/// <example>
/// <code>
/// Span&lt;byte&gt; buffer = stackalloc byte[64];
/// int written = MessageSerializer.Write(new Chat(1, "hi"), buffer);
/// Chat back = MessageSerializer.Read&lt;Chat&gt;(buffer[..written]);
/// </code>
/// </example>
public static class MessageSerializer
{
    /// <summary>The exact number of bytes <paramref name="message"/> encodes to.</summary>
    public static int GetSize<T>(in T message) where T : IMessage<T>
    {
        ThrowIfNull(message);
        return T.GetSize(in message);
    }

    /// <summary>Writes <paramref name="message"/> at the start of <paramref name="destination"/>.</summary>
    /// <returns>The number of bytes written.</returns>
    /// <remarks>
    /// Bytes of <paramref name="destination"/> after the message are never written. A destination too short and a
    /// member longer than its [MaxLength] are refused before anything is written; a string holding invalid UTF-16 may
    /// be found after the members before it were written (a message with strings is written in one pass, each string
    /// checked as it is transcoded), so after that exception the bytes of <paramref name="destination"/> are unspecified.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="GetSize{T}"/>.</exception>
    /// <exception cref="System.Text.EncoderFallbackException">A string holds invalid UTF-16 (a lone surrogate).</exception>
    /// <exception cref="MaxLengthExceededException">A member is longer than its [MaxLength].</exception>
    public static int Write<T>(in T message, Span<byte> destination) where T : IMessage<T>
    {
        ThrowIfNull(message);

        // A message of fixed layout is written in one pass when the destination holds its largest encoding.
        int written = T.TryWriteFixed(in message, destination);
        if (written >= 0)
        {
            return written;
        }

        // A message with strings is written in one pass, each string transcoded once, when the destination holds
        // the bound found without reading their characters; otherwise it is sized first (each string counted).
        int bound = T.GetSizeBound(in message);
        if ((uint)bound <= (uint)destination.Length)
        {
            return WriteWithin(in message, destination[..bound]);
        }

        int size = T.GetSize(in message);
        if (destination.Length < size)
        {
            ThrowTooSmall(typeof(T), destination.Length, size);
        }

        WriteExactly(in message, destination, size);
        return size;
    }

    /// <summary>Writes into <paramref name="destination"/>, at least as long as the message, touching none of its bytes after the message.</summary>
    private static int WriteWithin<T>(in T message, Span<byte> destination) where T : IMessage<T>
    {
        var writer = new MessageWriter(destination, sized: true, exactStores: true);
        T.Write(in message, ref writer);
        return writer.Position;
    }

    /// <summary>Writes <paramref name="message"/> to <paramref name="writer"/> and advances it.</summary>
    public static void Write<T>(in T message, IBufferWriter<byte> writer) where T : IMessage<T>
    {
        ArgumentNullException.ThrowIfNull(writer);
        ThrowIfNull(message);
        if (T.MaxSize > 0)
        {
            // Only a bounded message can have a fixed layout: try it in what the writer has at hand.
            int written = T.TryWriteFixed(in message, writer.GetSpan());
            if (written >= 0)
            {
                writer.Advance(written);
                return;
            }
        }

        int size = T.GetSize(in message);
        WriteExactly(in message, writer.GetSpan(size), size);
        writer.Advance(size);
    }

    /// <summary>Encodes <paramref name="message"/> into a new array.</summary>
    public static byte[] ToArray<T>(in T message) where T : IMessage<T>
    {
        int size = GetSize(in message);
        if (size == 0)
        {
            return [];
        }

        byte[] bytes = GC.AllocateUninitializedArray<byte>(size);
        WriteExactly(in message, bytes, size);
        return bytes;
    }

    /// <summary>Decodes a <typeparamref name="T"/> from all of <paramref name="source"/>.</summary>
    /// <exception cref="MessageFormatException"><paramref name="source"/> is not a valid encoding.</exception>
    public static T Read<T>(ReadOnlySpan<byte> source) where T : IMessage<T>
    {
        var reader = new MessageReader(source);
        return T.Read(ref reader);
    }

    /// <summary>
    /// Decodes a <typeparamref name="T"/> from all of <paramref name="source"/>. Members typed
    /// <see cref="ReadOnlyMemory{T}"/> of <see cref="byte"/> become slices of <paramref name="source"/>, not copies.
    /// </summary>
    /// <exception cref="MessageFormatException"><paramref name="source"/> is not a valid encoding.</exception>
    public static T Read<T>(ReadOnlyMemory<byte> source) where T : IMessage<T>
    {
        var reader = new MessageReader(source);
        return T.Read(ref reader);
    }

    /// <summary>
    /// Decodes a <typeparamref name="T"/> from all of <paramref name="source"/>, accepting embedded messages
    /// <paramref name="maxDepth"/> levels deep instead of <see cref="MessageReader.DefaultMaxDepth"/>.
    /// </summary>
    /// <exception cref="MessageFormatException"><paramref name="source"/> is not a valid encoding, or nests deeper.</exception>
    public static T Read<T>(ReadOnlySpan<byte> source, int maxDepth) where T : IMessage<T>
    {
        var reader = new MessageReader(source, maxDepth);
        return T.Read(ref reader);
    }

    /// <summary>
    /// Decodes a <typeparamref name="T"/> from all of <paramref name="source"/> (<c>bytes</c> members typed
    /// <see cref="ReadOnlyMemory{T}"/> slice it), accepting embedded messages <paramref name="maxDepth"/> levels deep.
    /// </summary>
    /// <exception cref="MessageFormatException"><paramref name="source"/> is not a valid encoding, or nests deeper.</exception>
    public static T Read<T>(ReadOnlyMemory<byte> source, int maxDepth) where T : IMessage<T>
    {
        var reader = new MessageReader(source, maxDepth);
        return T.Read(ref reader);
    }

    /// <summary>Decodes a <typeparamref name="T"/> from all of <paramref name="source"/>; <c>bytes</c> members typed <see cref="ReadOnlyMemory{T}"/> slice it.</summary>
    /// <exception cref="MessageFormatException"><paramref name="source"/> is not a valid encoding.</exception>
    public static T Read<T>(byte[] source) where T : IMessage<T> => Read<T>(new ReadOnlyMemory<byte>(source));

    /// <summary>Decodes a <typeparamref name="T"/>, or returns false when <paramref name="source"/> is not a valid encoding.</summary>
    public static bool TryRead<T>(ReadOnlySpan<byte> source, out T message) where T : IMessage<T>
    {
        try
        {
            message = Read<T>(source);
            return true;
        }
        catch (MessageFormatException)
        {
            message = default!;
            return false;
        }
    }

    /// <summary>
    /// Writes into the first <paramref name="size"/> bytes of <paramref name="destination"/> (never past them:
    /// the writer uses bytes after its position as scratch) and checks that exactly <paramref name="size"/> were written.
    /// </summary>
    private static void WriteExactly<T>(in T message, Span<byte> destination, int size) where T : IMessage<T>
    {
        var writer = new MessageWriter(destination[..size], sized: true);
        T.Write(in message, ref writer);
        if (writer.Position != size)
        {
            ThrowSizeChanged(typeof(T), writer.Position, size);
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTooSmall(Type type, int length, int size) =>
        throw new ArgumentException($"The destination holds {length} bytes but the {type.Name} needs {size}.", "destination");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowSizeChanged(Type type, int written, int promised) =>
        throw new InvalidOperationException($"{type.Name} wrote {written} bytes after GetSize promised {promised}; a member changed while it was written.");

    private static void ThrowIfNull<T>(in T message)
    {
        // `message is null` alone boxes a struct message where the JIT does not optimize (Debug builds);
        // testing IsValueType first keeps encoding allocation-free there too.
        if (!typeof(T).IsValueType && message is null)
        {
            throw new ArgumentNullException(nameof(message));
        }
    }
}
