namespace PeerKit;

/// <summary>One entry of a protocol's message table: a code and the message type it carries.</summary>
public sealed class ProtocolMessageInfo
{
    private ProtocolMessageInfo(int code, Type messageType, Reliability reliability, int maxSize)
    {
        Code = code;
        MessageType = messageType;
        Reliability = reliability;
        MaxSize = maxSize;
    }

    /// <summary>The code, relative to the protocol's first code.</summary>
    public int Code { get; }

    /// <summary>The message type.</summary>
    public Type MessageType { get; }

    /// <summary>The message's default delivery class.</summary>
    public Reliability Reliability { get; }

    /// <summary>The largest encoding of the message, or -1 when unbounded.</summary>
    public int MaxSize { get; }

    /// <summary>The entry for <typeparamref name="T"/>, with its <see cref="MessageAttribute.Code"/>.</summary>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> has no code.</exception>
    public static ProtocolMessageInfo Create<T>() where T : IMessage<T>
    {
        if (T.Code < 0)
        {
            throw new ArgumentException($"{typeof(T)} has no [Message(Code = …)], so it cannot travel in a protocol.", nameof(T));
        }

        return new ProtocolMessageInfo(T.Code, typeof(T), T.Reliability, T.MaxSize);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Code}: {MessageType.Name} ({Reliability})";
}
