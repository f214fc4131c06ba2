using System.Runtime.CompilerServices;

namespace PeerKit;

/// <summary>The 60 data bytes of a <see cref="P2PPacket"/>, stored inline (no array, so a packet allocates nothing).</summary>
[InlineArray(RadioNode.P2PMaxDataSize)]
internal struct P2PPacketData
{
    private byte _element;
}
