using PeerKit.Links;

namespace PeerKit;

/// <summary>
/// One received message of a protocol, not yet decoded: go-ethereum's <c>p2p.Msg</c> (<see cref="Code"/>,
/// <see cref="Size"/>, <see cref="Payload"/>, <see cref="Decode{T}"/>) and the Oculus packet of <c>ReadPacket</c>.
/// Its bytes live in a pooled buffer: whoever receives it disposes it once, and nothing reads the payload afterwards.
/// </summary>
public readonly struct ProtocolMessage : IDisposable
{
    private readonly LinkFrame _frame;
    private readonly int _offset;

    internal ProtocolMessage(Peer peer, ProtocolDescriptor protocol, int code, LinkFrame frame, int offset, long receivedAt)
    {
        Peer = peer;
        Protocol = protocol;
        Code = code;
        _frame = frame;
        _offset = offset;
        ReceivedAtTimestamp = receivedAt;
    }

    /// <summary>The peer that sent the message.</summary>
    public Peer Peer { get; }

    /// <summary>The protocol the message belongs to.</summary>
    public ProtocolDescriptor Protocol { get; }

    /// <summary>The code relative to <see cref="Protocol"/> (the session has already removed the negotiated offset).</summary>
    public int Code { get; }

    /// <summary>The payload's length in bytes.</summary>
    public int Size => _frame.Length - _offset;

    /// <summary>The payload: the message's proto3 encoding. Valid until <see cref="Dispose"/>.</summary>
    public ReadOnlySpan<byte> Span => _frame.Span[_offset..];

    /// <summary>The payload as memory. Valid until <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Payload => _frame.Memory[_offset..];

    /// <summary>When the session received the message, as a <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> value.</summary>
    public long ReceivedAtTimestamp { get; }

    /// <summary>Whether the message is a <typeparamref name="T"/> (its code is <typeparamref name="T"/>'s code in <see cref="Protocol"/>).</summary>
    public bool Is<T>() where T : IMessage<T> =>
        Protocol is not null && Protocol.TryGetMessage(Code, out ProtocolMessageInfo info) && info.MessageType == typeof(T);

    /// <summary>Decodes the payload as <typeparamref name="T"/>. The result owns its data (bytes are copied).</summary>
    /// <exception cref="InvalidOperationException">The message's code is not <typeparamref name="T"/>'s.</exception>
    /// <exception cref="MessageFormatException">The payload is not a valid <typeparamref name="T"/>.</exception>
    public T Decode<T>() where T : IMessage<T>
    {
        if (!Is<T>())
        {
            ThrowWrongType(typeof(T));
        }

        return MessageSerializer.Read<T>(Span);
    }

    /// <summary>Returns the payload's buffer to the pool. Call once.</summary>
    public void Dispose() => _frame.Dispose();

    /// <inheritdoc/>
    public override string ToString() => $"{Protocol}#{Code} ({Size} bytes)";

    private void ThrowWrongType(Type type) =>
        throw new InvalidOperationException($"Message {Code} of {Protocol} is not a {type.Name}.");
}
