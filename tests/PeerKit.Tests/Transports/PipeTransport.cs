using System.Collections.Concurrent;
using System.Threading.Channels;
using PeerKit.Links;
using PeerKit.Transports;

namespace PeerKit.Tests.Transports;

/// <summary>
/// A transport written outside the SDK, as a user would: the <c>pipe</c> scheme, whose "network" is a dictionary of
/// listeners and whose links are <see cref="MemoryLink"/> pairs. It counts what it did, so tests can see the node used it.
/// </summary>
internal sealed class PipeTransport(PeerTransportContext context, PipeTransport.Network network) : IPeerTransport
{
    public const string PipeScheme = "pipe";

    public string Scheme => PipeScheme;

    public int Dials => network.Dials;

    public Task<IPeerListener> ListenAsync(NodeAddress address, CancellationToken cancellationToken = default)
    {
        var listener = new Listener(network, address with { Port = address.Port == 0 ? Interlocked.Increment(ref network.NextPort) : address.Port }, context.LocalId);
        if (!network.Listeners.TryAdd(listener.Address.Host + ":" + listener.Address.Port, listener))
        {
            throw new InvalidOperationException("in use");
        }

        return Task.FromResult<IPeerListener>(listener);
    }

    public Task<IMessageLink> ConnectAsync(NodeAddress address, NodeId? expectedId, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref network.Dials);
        if (!network.Listeners.TryGetValue(address.Host + ":" + address.Port, out Listener? listener))
        {
            throw new PeerUnreachableException(address, "no such pipe");
        }

        if (expectedId is { } expected && expected != listener.LocalId)
        {
            throw new IdentityMismatchException(expected, listener.LocalId);
        }

        (MemoryLink mine, MemoryLink theirs) = MemoryLink.CreatePair(context.LocalId, listener.LocalId);
        listener.Links.Writer.TryWrite(theirs);
        return Task.FromResult<IMessageLink>(mine);
    }

    public ValueTask DisposeAsync() => default;

    internal sealed class Network
    {
        public int NextPort;
        public int Dials;

        public ConcurrentDictionary<string, Listener> Listeners { get; } = new();
    }

    internal sealed class Listener(Network network, NodeAddress address, NodeId localId) : IPeerListener
    {
        public Channel<IMessageLink> Links { get; } = Channel.CreateUnbounded<IMessageLink>();

        public NodeAddress Address { get; } = address;

        public NodeId LocalId { get; } = localId;

        public int PendingHandshakeCount => 0;

        public long FailedHandshakeCount => 0;

        public async ValueTask<IMessageLink> AcceptAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                return await Links.Reader.ReadAsync(cancellationToken);
            }
            catch (ChannelClosedException)
            {
                throw new ObjectDisposedException(nameof(Listener));
            }
        }

        public ValueTask DisposeAsync()
        {
            network.Listeners.TryRemove(Address.Host + ":" + Address.Port, out _);
            Links.Writer.TryComplete();
            return default;
        }
    }
}
