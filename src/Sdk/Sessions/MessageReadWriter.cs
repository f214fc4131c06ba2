using PeerKit.Sessions;

namespace PeerKit;

/// <summary>
/// One protocol's view of one peer, for go-ethereum-style read loops (<c>p2p.MsgReadWriter</c>): it reads the messages
/// of this protocol only, and sends with this protocol's negotiated code offset.
/// </summary>
/// <example>
/// <code>
/// public async ValueTask RunAsync(Peer peer, MessageReadWriter rw, CancellationToken cancellationToken)
/// {
///     while (true)
///     {
///         using ProtocolMessage message = await rw.ReadAsync(cancellationToken);
///         if (message.Is&lt;Foo&gt;())
///         {
///             await rw.SendAsync(new Bar(message.Decode&lt;Foo&gt;().Text), cancellationToken);
///         }
///     }
/// }
/// </code>
/// </example>
public sealed class MessageReadWriter
{
    private readonly Peer _peer;
    private readonly MessageQueue _inbox;

    internal MessageReadWriter(Peer peer, ProtocolDescriptor protocol, int offset, MessageQueue inbox)
    {
        _peer = peer;
        Protocol = protocol;
        Offset = offset;
        _inbox = inbox;
    }

    /// <summary>The protocol.</summary>
    public ProtocolDescriptor Protocol { get; }

    /// <summary>The first session code of the protocol with this peer (0x10 or more), as negotiated.</summary>
    public int Offset { get; }

    /// <summary>The peer.</summary>
    public Peer Peer => _peer;

    /// <summary>Waits for this protocol's next message from the peer. The caller disposes it.</summary>
    /// <exception cref="PeerDisconnectedException">The peer is disconnected and every message received before has been read.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<ProtocolMessage> ReadAsync(CancellationToken cancellationToken = default)
    {
        while (await _inbox.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_inbox.TryRead(out ProtocolMessage message))
            {
                return message;
            }
        }

        throw _peer.DisconnectedError();
    }

    /// <summary>Takes this protocol's next message if one is waiting. The caller disposes it.</summary>
    public bool TryRead(out ProtocolMessage message) => _inbox.TryRead(out message);

    /// <summary>Sends <paramref name="message"/> with its own code in this protocol and its default reliability.</summary>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> is not a message of this protocol.</exception>
    /// <exception cref="PeerDisconnectedException">The peer is disconnected.</exception>
    public ValueTask SendAsync<T>(in T message, CancellationToken cancellationToken = default) where T : IMessage<T> =>
        SendAsync(in message, T.Reliability, cancellationToken);

    /// <summary>Sends <paramref name="message"/> with its own code in this protocol and the delivery class <paramref name="reliability"/>.</summary>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> is not a message of this protocol.</exception>
    /// <exception cref="PeerDisconnectedException">The peer is disconnected.</exception>
    public ValueTask SendAsync<T>(in T message, Reliability reliability, CancellationToken cancellationToken = default) where T : IMessage<T>
    {
        if (!Protocol.TryGetMessage(typeof(T), out ProtocolMessageInfo info))
        {
            throw new ArgumentException($"{typeof(T).Name} is not a message of protocol {Protocol}.", nameof(message));
        }

        return _peer.SendMessageAsync(Offset + info.Code, in message, reliability, cancellationToken);
    }

    /// <summary>Sends an already-encoded payload with relative code <paramref name="code"/> (go-ethereum's <c>WriteMsg</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="code"/> is outside the protocol's <see cref="ProtocolDescriptor.Length"/>.</exception>
    /// <exception cref="PeerDisconnectedException">The peer is disconnected.</exception>
    public ValueTask SendAsync(int code, ReadOnlyMemory<byte> payload, Reliability reliability = Reliability.ReliableOrdered, CancellationToken cancellationToken = default)
    {
        if ((uint)code >= (uint)Protocol.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(code), code, $"Protocol {Protocol} has codes 0 to {Protocol.Length - 1}.");
        }

        return _peer.SendPayloadAsync(Offset + code, payload.Span, reliability, cancellationToken);
    }
}
