using System.Collections.Concurrent;
using PeerKit.Links;

namespace PeerKit.Transports;

/// <summary>The listeners of <see cref="InProcessTransport"/>s, by <c>host:port</c>. <see cref="Shared"/> serves the whole process.</summary>
public sealed class InProcessNetwork
{
    private readonly ConcurrentDictionary<string, InProcessListener> _listeners = new(StringComparer.OrdinalIgnoreCase);
    private int _nextPort = 1;

    /// <summary>The network every <see cref="InProcessTransport"/> uses unless given another.</summary>
    public static InProcessNetwork Shared { get; } = new();

    internal InProcessListener Listen(NodeAddress address, NodeId localId, int capacity)
    {
        while (true)
        {
            int port = address.Port != 0 ? address.Port : Interlocked.Increment(ref _nextPort);
            var bound = new NodeAddress(NodeAddress.InProcess, address.Host, port);
            var listener = new InProcessListener(this, bound, localId, capacity);
            if (_listeners.TryAdd(Key(bound), listener))
            {
                return listener;
            }

            if (address.Port != 0)
            {
                throw new InvalidOperationException($"{bound} is already listening.");
            }
        }
    }

    internal IMessageLink Connect(NodeAddress address, NodeId localId, NodeId? expectedId, LinkOptions? options)
    {
        if (!_listeners.TryGetValue(Key(address), out InProcessListener? listener))
        {
            throw new PeerUnreachableException(address, "nobody listens there.");
        }

        if (expectedId is { } expected && expected != listener.LocalId)
        {
            throw new IdentityMismatchException(expected, listener.LocalId);
        }

        (MemoryLink mine, MemoryLink theirs) = MemoryLink.CreatePair(localId, listener.LocalId, options);
        if (!listener.Offer(theirs))
        {
            _ = mine.DisposeAsync().AsTask();
            _ = theirs.DisposeAsync().AsTask();
            throw new PeerUnreachableException(address, "the listener is closed or full.");
        }

        return mine;
    }

    internal void Remove(InProcessListener listener) => _listeners.TryRemove(new KeyValuePair<string, InProcessListener>(Key(listener.Address), listener));

    private static string Key(NodeAddress address) => $"{address.Host}:{address.Port}";
}
