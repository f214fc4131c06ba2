namespace PeerKit.Links.Udp;

/// <summary>Why a packet's frames close the link: the reason and the exception the application sees.</summary>
internal readonly record struct FrameError(LinkCloseReason Reason, Exception Cause)
{
    /// <summary>The peer broke the wire format: a protocol error naming <paramref name="what"/>.</summary>
    public static FrameError Malformed(string what) => new(LinkCloseReason.ProtocolError, new InvalidDataException($"The peer sent {what}."));
}
