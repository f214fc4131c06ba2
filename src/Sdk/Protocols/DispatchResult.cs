namespace PeerKit;

/// <summary>What a generated dispatch switch did with a message.</summary>
public enum DispatchResult
{
    /// <summary>A handler took the message.</summary>
    Handled = 0,

    /// <summary>The code belongs to the protocol, but no handler takes it: the message goes to the pull reader.</summary>
    Unhandled = 1,

    /// <summary>The code is not part of the protocol: a breach of protocol, which disconnects the peer.</summary>
    UnknownCode = 2,
}
