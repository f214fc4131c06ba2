namespace PeerKit;

/// <summary>
/// A protocol a <see cref="PeerNode"/> runs with every peer that shares it (go-ethereum's <c>p2p.Protocol</c>).
/// The generator implements it for <see cref="ProtocolAttribute">[Protocol]</see> classes; implement it by hand only
/// for protocols without generated code.
/// </summary>
/// <remarks>
/// For each peer that negotiated the protocol, the node calls <see cref="RunAsync"/> once, on its own task. The
/// default implementation dispatches to the <see cref="HandlerAttribute">[Handler]</see> methods (when the class has
/// some) and passes every other message to the peer's pull reader (<see cref="Peer.ReadAsync"/>). Declare a public
/// <c>ValueTask RunAsync(Peer, MessageReadWriter, CancellationToken)</c> to write go-ethereum's read loop instead.
/// When <see cref="RunAsync"/> returns, the protocol is done with that peer; when it throws, the peer is disconnected
/// (<see cref="DisconnectReason.BreachOfProtocol"/> for a <see cref="MessageFormatException"/>,
/// <see cref="DisconnectReason.SubprotocolError"/> otherwise).
/// </remarks>
public interface IProtocol
{
    /// <summary>The protocol's name, version, length, port and message table.</summary>
    ProtocolDescriptor Descriptor { get; }

    /// <summary>Runs the protocol with one peer until the peer disconnects or the protocol is done.</summary>
    /// <param name="peer">The peer.</param>
    /// <param name="readWriter">Reads this protocol's messages from the peer, and sends them with this protocol's offset.</param>
    /// <param name="cancellationToken">Cancelled when the peer disconnects or the node stops.</param>
    ValueTask RunAsync(Peer peer, MessageReadWriter readWriter, CancellationToken cancellationToken) =>
        ProtocolRunner.RunAsync(this, peer, readWriter, cancellationToken);
}

/// <summary>
/// The generated dispatch switch of a protocol with <see cref="HandlerAttribute">[Handler]</see> methods.
/// </summary>
public interface IProtocolHandlers
{
    /// <summary>Decodes <paramref name="message"/> and calls its handler.</summary>
    /// <returns><see cref="DispatchResult.Handled"/>; <see cref="DispatchResult.Unhandled"/> when the code has no handler;
    /// <see cref="DispatchResult.UnknownCode"/> when the code is not part of the protocol.</returns>
    /// <exception cref="MessageFormatException">The payload does not decode.</exception>
    ValueTask<DispatchResult> DispatchAsync(Peer peer, in ProtocolMessage message, CancellationToken cancellationToken);
}
