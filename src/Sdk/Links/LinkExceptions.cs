namespace PeerKit.Links;

/// <summary>The base of the errors links report.</summary>
public class LinkException : IOException
{
    /// <summary>Creates the exception.</summary>
    public LinkException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the exception that caused it.</summary>
    public LinkException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The link is closed: thrown by sends after it closed and by receives once the frames it received have been
/// taken. <see cref="Reason"/> says why; <see cref="Exception.InnerException"/> holds the error that closed it,
/// if any (for example a <see cref="FrameTooLargeException"/> or a socket error).
/// </summary>
public sealed class LinkClosedException : LinkException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">Why the link closed.</param>
    /// <param name="innerException">The error that closed the link, if any.</param>
    public LinkClosedException(LinkCloseReason reason, Exception? innerException = null)
        : base(Describe(reason, innerException), innerException)
    {
        Reason = reason;
    }

    /// <summary>Why the link closed.</summary>
    public LinkCloseReason Reason { get; }

    private static string Describe(LinkCloseReason reason, Exception? inner)
    {
        string text = reason switch
        {
            LinkCloseReason.Requested => "The link was closed.",
            LinkCloseReason.RemoteClosed => "The remote node closed the link.",
            LinkCloseReason.NetworkError => "The link's transport failed.",
            LinkCloseReason.ProtocolError => "The remote node broke the link protocol.",
            LinkCloseReason.FrameTooLarge => "The remote node announced a frame larger than the maximum frame size.",
            LinkCloseReason.Aborted => "A send was cancelled part-way through a frame.",
            LinkCloseReason.Timeout => "The remote node went silent for longer than the idle timeout.",
            _ => $"The link closed ({reason}).",
        };
        return inner is null ? text : $"{text} {inner.Message}";
    }
}

/// <summary>
/// A frame is larger than the maximum frame size. Thrown by a send (the link stays open), or the cause, inside a
/// <see cref="LinkClosedException"/> with <see cref="LinkCloseReason.FrameTooLarge"/>, when the remote side
/// announced one.
/// </summary>
public sealed class FrameTooLargeException : LinkException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="frameSize">The frame's size in bytes.</param>
    /// <param name="maxFrameSize">The largest size allowed.</param>
    public FrameTooLargeException(long frameSize, int maxFrameSize)
        : base($"A frame of {frameSize} bytes is larger than the maximum frame size of {maxFrameSize} bytes.")
    {
        FrameSize = frameSize;
        MaxFrameSize = maxFrameSize;
    }

    /// <summary>The frame's size in bytes.</summary>
    public long FrameSize { get; }

    /// <summary>The largest size allowed.</summary>
    public int MaxFrameSize { get; }
}

/// <summary>Why a handshake failed.</summary>
public enum HandshakeFailure
{
    /// <summary>The handshake did not complete within the handshake timeout.</summary>
    Timeout = 0,

    /// <summary>The remote side sent bytes that are not a PeerKit link handshake (wrong preamble, malformed message, invalid public key).</summary>
    InvalidMessage = 1,

    /// <summary>A handshake message failed authentication: it was tampered with, or the parties disagree on the handshake so far.</summary>
    AuthenticationFailed = 2,

    /// <summary>The remote side asked for a protocol version or cipher this side does not support.</summary>
    UnsupportedProtocol = 3,

    /// <summary>A handshake message was longer than the handshake's size limit.</summary>
    MessageTooLarge = 4,

    /// <summary>The connection closed before the handshake completed.</summary>
    ConnectionClosed = 5,

    /// <summary>The remote node is not the node that was expected (<see cref="IdentityMismatchException"/>).</summary>
    IdentityMismatch = 6,
}

/// <summary>A link handshake failed; <see cref="Failure"/> says how.</summary>
public class HandshakeException : LinkException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="failure">How the handshake failed.</param>
    /// <param name="message">A description.</param>
    /// <param name="innerException">The exception that caused this one, if any.</param>
    public HandshakeException(HandshakeFailure failure, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
    }

    /// <summary>How the handshake failed.</summary>
    public HandshakeFailure Failure { get; }
}

/// <summary>
/// The remote node proved an identity other than the one the dialer expected (devp2p's "unexpected identity").
/// The dialer aborts the handshake before revealing its own static key.
/// </summary>
public sealed class IdentityMismatchException : HandshakeException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="expected">The identity the dialer expected.</param>
    /// <param name="actual">The identity the remote node proved.</param>
    public IdentityMismatchException(NodeId expected, NodeId actual)
        : base(HandshakeFailure.IdentityMismatch, $"Expected node {expected} but the remote node is {actual}.")
    {
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The identity the dialer expected.</summary>
    public NodeId Expected { get; }

    /// <summary>The identity the remote node proved.</summary>
    public NodeId Actual { get; }
}
