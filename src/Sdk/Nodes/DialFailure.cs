using PeerKit.Links;
using PeerKit.Transports;

namespace PeerKit;

/// <summary>One reason and one state for each way a dial can fail, the same on every transport (see <see cref="IPeerTransport"/>).</summary>
internal static class DialFailure
{
    /// <summary>Classifies a transport's failure to connect.</summary>
    /// <param name="error">What <see cref="IPeerTransport.ConnectAsync"/> threw.</param>
    /// <param name="stopping">Whether the node is stopping (a cancellation then means <see cref="DisconnectReason.ClientQuitting"/>).</param>
    public static (DisconnectReason Reason, ConnectionState State) Classify(Exception error, bool stopping) => error switch
    {
        PeerUnreachableException => (DisconnectReason.NetworkError, ConnectionState.Closed),
        IdentityMismatchException => (DisconnectReason.UnexpectedIdentity, ConnectionState.Closed),
        HandshakeException { Failure: HandshakeFailure.Timeout } or TimeoutException => (DisconnectReason.ReadTimeout, ConnectionState.Timeout),
        HandshakeException => (DisconnectReason.BreachOfProtocol, ConnectionState.Closed),
        OperationCanceledException when stopping => (DisconnectReason.ClientQuitting, ConnectionState.Closed),
        OperationCanceledException => (DisconnectReason.ReadTimeout, ConnectionState.Timeout),
        _ => (DisconnectReason.NetworkError, ConnectionState.Closed),
    };
}
