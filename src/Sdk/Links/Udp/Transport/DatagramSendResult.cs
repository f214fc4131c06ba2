namespace PeerKit.Links.Udp;

/// <summary>What became of a datagram handed to <see cref="IDatagramTransport.SendChecked"/>.</summary>
internal enum DatagramSendResult
{
    Sent,

    /// <summary>Larger than the local interface carries (EMSGSIZE): it will never go as it is.</summary>
    TooLarge,

    /// <summary>Not sent for another reason (a full buffer, no route), which may pass.</summary>
    Failed,
}
