namespace PeerKit.Links;

/// <summary>What a link guarantees and how large its frames may be.</summary>
public readonly record struct LinkCapabilities
{
    /// <summary>
    /// The link is an ordered, reliable byte stream (TCP, memory): every frame, whatever its
    /// <see cref="Reliability"/>, arrives exactly once and in the order sent.
    /// </summary>
    public bool IsReliableStream { get; init; }

    /// <summary>Frames are encrypted and authenticated, and <see cref="IMessageLink.RemoteId"/> was proven by a handshake.</summary>
    public bool IsSecure { get; init; }

    /// <summary>The largest frame, in bytes, that <see cref="IMessageLink.SendAsync"/> accepts.</summary>
    public int MaxFrameSize { get; init; }

    /// <summary>
    /// The largest frame, in bytes, sent with <see cref="Reliability.Unreliable"/> or
    /// <see cref="Reliability.UnreliableSequenced"/> (datagram links keep these within one packet); equal to
    /// <see cref="MaxFrameSize"/> on stream links.
    /// </summary>
    public int MaxUnreliableFrameSize { get; init; }
}
