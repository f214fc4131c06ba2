namespace PeerKit.Links.Udp;

/// <summary>What the frames of one packet amounted to: whether it asks for an acknowledgement, whether reliable frames
/// were left for the peer to resend (the receive queue was over the window), a CLOSE, or an error that closes the link.</summary>
internal struct FrameResult
{
    public bool Eliciting;
    public bool DeferredData;
    public bool Close;
    public FrameError? Error;
}
