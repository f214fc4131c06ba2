using System.Threading.Channels;

namespace PeerKit;

/// <summary>One protocol's state with one peer.</summary>
internal sealed class ProtocolSlot(IProtocol protocol, ProtocolDescriptor descriptor, int offset, int capacity)
{
    public IProtocol Protocol { get; } = protocol;

    public ProtocolDescriptor Descriptor { get; } = descriptor;

    public int Offset { get; } = offset;

    public Channel<ProtocolMessage> Inbox { get; } = Channel.CreateBounded<ProtocolMessage>(
        new BoundedChannelOptions(capacity) { SingleReader = false, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    public MessageReadWriter ReadWriter { get; set; } = null!;
}
