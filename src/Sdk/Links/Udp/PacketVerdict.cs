namespace PeerKit.Links.Udp;

/// <summary>What a link made of a data packet the endpoint routed to it (the endpoint counts the drops).</summary>
internal enum PacketVerdict
{
    Accepted,
    Replayed,
    Invalid,
    NotEstablished,
}
