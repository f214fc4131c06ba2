namespace PeerKit.Links.Noise;

/// <summary>
/// How a stream handshake ended: its keys, or why it failed, as a value (rejecting a bad connection throws nothing;
/// <see cref="ToException"/> makes the exception a public API throws, or a listener reports).
/// </summary>
internal readonly record struct HandshakeOutcome
{
    /// <summary>The keys and the remote identity; null when the handshake failed.</summary>
    public HandshakeResult? Result { get; init; }

    /// <summary>Why it failed (when <see cref="Result"/> is null).</summary>
    public HandshakeFailure Failure { get; init; }

    /// <summary>What failed, in words.</summary>
    public string? Message { get; init; }

    /// <summary>Whether the caller's token, not the peer nor the deadline, ended it.</summary>
    public bool Cancelled { get; init; }

    /// <summary>For <see cref="HandshakeFailure.IdentityMismatch"/>: the node expected and the node met.</summary>
    public (NodeId Expected, NodeId Actual)? Mismatch { get; init; }

    public static HandshakeOutcome Failed(HandshakeFailure failure, string message) => new() { Failure = failure, Message = message };

    /// <summary>The exception that tells this failure.</summary>
    public HandshakeException ToException() => Mismatch is { } m
        ? new IdentityMismatchException(m.Expected, m.Actual)
        : new HandshakeException(Failure, Message ?? "The handshake failed.");
}
