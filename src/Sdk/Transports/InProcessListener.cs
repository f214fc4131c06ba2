using System.Threading.Channels;
using PeerKit.Links;

namespace PeerKit.Transports;

/// <summary>An <see cref="InProcessTransport"/> listening at one <c>inproc://</c> address.</summary>
internal sealed class InProcessListener : IPeerListener
{
    private readonly InProcessNetwork _network;
    private readonly Channel<IMessageLink> _links;

    public InProcessListener(InProcessNetwork network, NodeAddress address, NodeId localId, int capacity)
    {
        _network = network;
        Address = address;
        LocalId = localId;
        _links = Channel.CreateBounded<IMessageLink>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait });
    }

    public NodeAddress Address { get; }

    public NodeId LocalId { get; }

    public int PendingHandshakeCount => 0;

    public long FailedHandshakeCount => 0;

    public bool Offer(IMessageLink link) => _links.Writer.TryWrite(link);

    public async ValueTask<IMessageLink> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (await _links.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_links.Reader.TryRead(out IMessageLink? link))
            {
                return link;
            }
        }

        throw new ObjectDisposedException(nameof(InProcessListener));
    }

    public async ValueTask DisposeAsync()
    {
        _network.Remove(this);
        _links.Writer.TryComplete();
        while (_links.Reader.TryRead(out IMessageLink? link))
        {
            await link.DisposeAsync().ConfigureAwait(false);
        }
    }
}
