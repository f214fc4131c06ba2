using PeerKit.Links;
using PeerKit.Sessions;

namespace PeerKit;

/// <summary>
/// The hello exchange and negotiation of a session (go-ethereum's protocol handshake in <c>p2p/transport.go</c> and
/// <c>matchProtocols</c>): both sides send a Hello at once, each reads the other's and checks it. It sends nothing
/// but the Hello; refusing (sending a Disconnect, closing the link) is the caller's job.
/// </summary>
internal static class SessionHandshake
{
    /// <summary>Sends <paramref name="local"/> and reads and checks the remote's hello.</summary>
    /// <param name="link">The link, authenticated.</param>
    /// <param name="local">This node's hello.</param>
    /// <param name="protocols">The protocols this node runs.</param>
    /// <param name="cancellationToken">The handshake deadline.</param>
    /// <exception cref="OperationCanceledException">The deadline passed.</exception>
    /// <exception cref="LinkException">The link failed.</exception>
    public static async Task<HelloOutcome> ExchangeAsync(IMessageLink link, BaseProtocol.Hello local, IProtocol[] protocols, CancellationToken cancellationToken)
    {
        await SessionFrame.SendAsync(link, BaseProtocol.HelloCode, local, cancellationToken).ConfigureAwait(false);

        BaseProtocol.Hello remote;
        using (LinkFrame frame = await link.ReceiveAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!SessionFrame.TryReadCode(frame.Span, out int code, out int header))
            {
                return HelloOutcome.Refuse(DisconnectReason.BreachOfProtocol);
            }

            if (code == BaseProtocol.DisconnectCode)
            {
                MessageSerializer.TryRead(frame.Span[header..], out BaseProtocol.Disconnect refusal);
                return HelloOutcome.Refuse(refusal.Reason, isRemote: true);
            }

            if (code != BaseProtocol.HelloCode || frame.Length > BaseProtocol.MaxHelloSize
                || !MessageSerializer.TryRead(frame.Span[header..], out remote!) || remote.Name is null || remote.Capabilities is null)
            {
                return HelloOutcome.Refuse(DisconnectReason.BreachOfProtocol);
            }
        }

        if (remote.ProtocolVersion < BaseProtocol.ProtocolVersion)
        {
            return HelloOutcome.Refuse(DisconnectReason.IncompatibleVersion);
        }

        if (remote.NodeId is not { Length: NodeId.Size } idBytes || new NodeId(idBytes) != link.RemoteId)
        {
            return HelloOutcome.Refuse(DisconnectReason.InvalidIdentity);
        }

        IReadOnlyList<(IProtocol Protocol, int Offset)> shared = Negotiation.Match(protocols, remote.Capabilities);
        if (shared.Count == 0 && protocols.Length > 0)
        {
            return HelloOutcome.Refuse(DisconnectReason.UselessPeer);
        }

        return new HelloOutcome(remote, shared, null, false);
    }
}
