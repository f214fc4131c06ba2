using PeerKit.Memory;
using PeerKit.Sessions;

namespace PeerKit;

/// <summary>One protocol's state with one peer.</summary>
/// <param name="protocol">The protocol.</param>
/// <param name="descriptor">Its descriptor.</param>
/// <param name="offset">Its negotiated code offset.</param>
/// <param name="capacity">Messages its inbox holds.</param>
/// <param name="capacityBytes">Bytes its inbox holds (payload + 64 each).</param>
/// <param name="account">The peer's memory account, charged for the messages waiting; null for none.</param>
internal sealed class ProtocolSlot(IProtocol protocol, ProtocolDescriptor descriptor, int offset, int capacity, long capacityBytes, MemoryAccount? account = null)
{
    public IProtocol Protocol { get; } = protocol;

    public ProtocolDescriptor Descriptor { get; } = descriptor;

    public int Offset { get; } = offset;

    public MessageQueue Inbox { get; } = new(capacity, capacityBytes, account);

    public MessageReadWriter ReadWriter { get; set; } = null!;
}
