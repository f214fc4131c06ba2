using System.Threading.Channels;

namespace PeerKit.Routing;

/// <summary>
/// The control messages waiting to go to one client, sent in order by one task. Bounded: a client that stops reading
/// fills it and is dropped, so it cannot make the router hold memory or stall the other sessions.
/// </summary>
internal sealed class SessionOutbox
{
    /// <summary>Control messages waiting for one client at most.</summary>
    public const int Capacity = 256;

    private readonly Channel<Func<Peer, CancellationToken, ValueTask>> _queue =
        Channel.CreateBounded<Func<Peer, CancellationToken, ValueTask>>(new BoundedChannelOptions(Capacity) { SingleReader = true });

    /// <summary>Queues a message; <c>false</c> when the outbox is full (the client is not reading).</summary>
    public bool TryPost<T>(T message) where T : IMessage<T> =>
        _queue.Writer.TryWrite((peer, ct) => peer.SendAsync(message, ct));

    /// <summary>Queues a last message: once it is sent (or its send failed), the client is disconnected with <paramref name="reason"/>; <c>false</c> when the outbox is full.</summary>
    public bool TryPostThenDisconnect<T>(T message, DisconnectReason reason) where T : IMessage<T> =>
        _queue.Writer.TryWrite(async (peer, ct) =>
        {
            try
            {
                await peer.SendAsync(message, ct).ConfigureAwait(false);
            }
            finally
            {
                await peer.DisconnectAsync(reason).ConfigureAwait(false);
            }
        });

    /// <summary>Sends until the session ends; a send that waits longer than <paramref name="sendTimeout"/> drops the client.</summary>
    public async Task RunAsync(Peer peer, TimeSpan sendTimeout, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (Func<Peer, CancellationToken, ValueTask> send in _queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(sendTimeout);
                try
                {
                    await send(peer, timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    await peer.DisconnectAsync(DisconnectReason.ReadTimeout).ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (PeerDisconnectedException)
        {
        }
    }

    /// <summary>Ends the send loop.</summary>
    public void Complete() => _queue.Writer.TryComplete();
}
