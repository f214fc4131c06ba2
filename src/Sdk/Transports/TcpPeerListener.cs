using PeerKit.Links;
using PeerKit.Links.Tcp;

namespace PeerKit.Transports;

/// <summary>A <see cref="TcpLinkListener"/> seen as an <see cref="IPeerListener"/>.</summary>
internal sealed class TcpPeerListener : IPeerListener
{
    private readonly TcpLinkListener _listener;
    private long _failed;

    public TcpPeerListener(TcpLinkListener listener, NodeAddress address)
    {
        _listener = listener;
        Address = address;
        _listener.HandshakeFailed += (_, e) =>
        {
            Interlocked.Increment(ref _failed);
            Diagnostics.PeerKitActivities.Failed(e.Exception is HandshakeException { Failure: HandshakeFailure.Timeout } ? DisconnectReason.ReadTimeout
                : e.Exception is HandshakeException ? DisconnectReason.BreachOfProtocol : DisconnectReason.NetworkError);
        };
    }

    public NodeAddress Address { get; }

    public int PendingHandshakeCount => _listener.PendingHandshakeCount;

    public long FailedHandshakeCount => Interlocked.Read(ref _failed);

    public long RejectedConnectionCount => _listener.RejectedCount;

    public async ValueTask<IMessageLink> AcceptAsync(CancellationToken cancellationToken = default) =>
        await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);

    public ValueTask DisposeAsync() => _listener.DisposeAsync();
}
