namespace PeerKit.Links;

/// <summary>Why a link closed.</summary>
public enum LinkCloseReason
{
    /// <summary>The local side closed (disposed) the link.</summary>
    Requested = 0,

    /// <summary>The remote side closed the link cleanly (at a frame boundary).</summary>
    RemoteClosed = 1,

    /// <summary>The transport failed: a reset connection, a frame cut short, a socket error.</summary>
    NetworkError = 2,

    /// <summary>The remote side broke the link protocol: a frame that fails authentication (tampered, replayed or
    /// reordered), or a malformed frame header.</summary>
    ProtocolError = 3,

    /// <summary>The remote side announced a frame larger than the local maximum frame size; nothing was allocated for it.</summary>
    FrameTooLarge = 4,

    /// <summary>A send was cancelled part-way through writing a frame, leaving the stream unusable.</summary>
    Aborted = 5,

    /// <summary>The remote side went silent: nothing authenticated arrived within the link's idle timeout (datagram links).</summary>
    Timeout = 6,
}
