using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace PeerKit;

/// <summary>
/// The node's event queue (go-ethereum's peer event feed): one bounded queue drained by one task that calls the
/// node's callbacks in order, then copies each event to every subscriber's bounded queue. A full queue drops its
/// oldest event and counts it.
/// </summary>
internal sealed class NodeEvents
{
    private readonly int _capacity;
    private readonly Action<PeerEvent> _dispatch;
    private readonly Channel<PeerEvent> _queue;
    private readonly List<Channel<PeerEvent>> _subscribers = [];
    private readonly Task _pump;
    private long _dropped;
    private bool _completed;

    public NodeEvents(int capacity, Action<PeerEvent> dispatch)
    {
        _capacity = capacity;
        _dispatch = dispatch;
        _queue = Channel.CreateBounded<PeerEvent>(
            new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Interlocked.Increment(ref _dropped));
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>Events dropped because a callback or subscriber fell behind.</summary>
    public long DroppedCount => Interlocked.Read(ref _dropped);

    /// <summary>Queues an event; never waits.</summary>
    public void Publish(PeerEvent e) => _queue.Writer.TryWrite(e);

    /// <summary>Queues a connection state change (<see cref="PeerEventKind.StateChanged"/>).</summary>
    public void State(NodeId id, string? address, ConnectionState state, DisconnectReason? reason, bool isRemote, Peer? peer) =>
        Publish(new PeerEvent(PeerEventKind.StateChanged, id, address) { State = state, Reason = reason, IsRemoteReason = isRemote, Peer = peer });

    /// <summary>Queues a sub-protocol message event.</summary>
    public void Message(PeerEventKind kind, Peer peer, ProtocolDescriptor? protocol, int code, int size) =>
        Publish(new PeerEvent(kind, peer.Id, null) { Peer = peer, Protocol = protocol, Code = code, Size = size, State = peer.State });

    /// <summary>Every event from now until cancellation or <see cref="CompleteAsync"/>.</summary>
    public async IAsyncEnumerable<PeerEvent> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Channel<PeerEvent> subscriber = Channel.CreateBounded<PeerEvent>(
            new BoundedChannelOptions(_capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true },
            _ => Interlocked.Increment(ref _dropped));
        lock (_subscribers)
        {
            if (_completed)
            {
                yield break;
            }

            _subscribers.Add(subscriber);
        }

        try
        {
            await foreach (PeerEvent e in subscriber.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return e;
            }
        }
        finally
        {
            lock (_subscribers)
            {
                _subscribers.Remove(subscriber);
            }
        }
    }

    /// <summary>Delivers the events already queued, then ends every subscriber's stream.</summary>
    public async Task CompleteAsync()
    {
        _queue.Writer.TryComplete();
        await _pump.ConfigureAwait(false);
        lock (_subscribers)
        {
            _completed = true;
            foreach (Channel<PeerEvent> subscriber in _subscribers)
            {
                subscriber.Writer.TryComplete();
            }
        }
    }

    private async Task PumpAsync()
    {
        await foreach (PeerEvent e in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                _dispatch(e);
            }
            catch (Exception)
            {
                // A throwing callback must not stop the events of others.
            }

            lock (_subscribers)
            {
                foreach (Channel<PeerEvent> subscriber in _subscribers)
                {
                    subscriber.Writer.TryWrite(e);
                }
            }
        }
    }
}
