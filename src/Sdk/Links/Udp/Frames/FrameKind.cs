namespace PeerKit.Links.Udp;

/// <summary>The kinds of frame a data packet carries (docs/udp.md, "Frames").</summary>
internal enum FrameKind
{
    Padding,
    Ack,
    Ping,
    Close,
    PathChallenge,
    PathResponse,
    Resume,
    Message,
    Fragment,
}
