namespace PeerKit;

/// <summary>
/// What the generator knows about a message type, readable without an instance:
/// <c>MessageInfo&lt;AvatarTransform&gt;.MaxSize</c>.
/// </summary>
/// <typeparam name="T">A <see cref="MessageAttribute">[Message]</see> type.</typeparam>
/// <example>
/// <code>
/// Span&lt;byte&gt; buffer = stackalloc byte[MessageInfo&lt;AvatarTransform&gt;.MaxSize];
/// </code>
/// </example>
public static class MessageInfo<T> where T : IMessage<T>
{
    /// <summary>The message code from <see cref="MessageAttribute.Code"/>, or -1 when it has none.</summary>
    public static int Code => T.Code;

    /// <summary>The delivery class from <see cref="MessageAttribute.Reliability"/>.</summary>
    public static Reliability Reliability => T.Reliability;

    /// <summary>The most bytes an encoding can take (the declared MaxSize, else the computed bound), or -1 when unbounded.</summary>
    public static int MaxSize => T.MaxSize;
}
