namespace PeerKit;

/// <summary>The default <see cref="IProtocol.RunAsync"/>: generated dispatch, and the pull reader for the rest.</summary>
internal static class ProtocolRunner
{
    public static async ValueTask RunAsync(IProtocol protocol, Peer peer, MessageReadWriter readWriter, CancellationToken cancellationToken)
    {
        IProtocolHandlers? handlers = protocol as IProtocolHandlers;
        while (true)
        {
            ProtocolMessage message = await readWriter.ReadAsync(cancellationToken).ConfigureAwait(false);
            DispatchResult result;
            try
            {
                result = handlers is null
                    ? DispatchResult.Unhandled
                    : await handlers.DispatchAsync(peer, in message, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                message.Dispose();
                throw;
            }

            switch (result)
            {
                case DispatchResult.Handled:
                    message.Dispose();
                    break;
                case DispatchResult.Unhandled:
                    // Ownership moves to the pull reader.
                    await peer.ForwardToReaderAsync(message, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    message.Dispose();
                    throw new ProtocolBreachException($"code {message.Code} is not part of protocol {message.Protocol}");
            }
        }
    }
}
