namespace PeerKit.Routing;

/// <summary>A reliable message could not wait for its connection: the bytes allowed to wait are used up. Nothing was queued.</summary>
public sealed class PendingSendsFullException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PendingSendsFullException(NodeId peerId, long peerBytes, long totalBytes)
        : base($"Reliable messages waiting for node {peerId:s} ({peerBytes} bytes; {totalBytes} in total) fill the limit (RouterClientOptions.MaxPendingBytesPerPeer, MaxPendingBytes); wait for the connection or send less.")
    {
        PeerId = peerId;
    }

    /// <summary>The node the message was for.</summary>
    public NodeId PeerId { get; }
}
