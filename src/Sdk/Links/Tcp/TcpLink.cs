using System.Net;
using System.Net.Sockets;
using PeerKit.Links.Noise;
using PeerKit.Links.Streams;

namespace PeerKit.Links.Tcp;

/// <summary>
/// A link over a TCP connection, authenticated and encrypted with a Noise XX handshake on P-256
/// (see <c>docs/links.md</c>). Framing, delivery and limits are those of every <see cref="StreamLink"/>.
/// </summary>
public sealed class TcpLink : StreamLink
{
    private readonly Socket _socket;

    private TcpLink(Socket socket, NetworkStream stream, HandshakeResult handshake, NodeId localId, TcpLinkOptions options)
        : base(stream, handshake, localId, options, socket.RemoteEndPoint, socket.LocalEndPoint)
    {
        _socket = socket;
    }

    /// <summary>Connects to <paramref name="remoteEndPoint"/> and runs the handshake as the initiator.</summary>
    /// <param name="remoteEndPoint">The listener's address.</param>
    /// <param name="localKey">This node's key; the link does not dispose it.</param>
    /// <param name="expectedRemoteId">The node expected there, or <c>null</c> to accept any node. On a mismatch the
    /// handshake stops before this side reveals its static key.</param>
    /// <param name="options">Limits and timeouts; <c>null</c> for the defaults.</param>
    /// <param name="cancellationToken">Cancels connecting and the handshake.</param>
    /// <exception cref="IdentityMismatchException">The remote node is not <paramref name="expectedRemoteId"/>.</exception>
    /// <exception cref="HandshakeException">The handshake failed or timed out (<see cref="HandshakeException.Failure"/>).</exception>
    /// <exception cref="TimeoutException">The TCP connection was not established within <see cref="PeerKit.Links.Streams.StreamLinkOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="SocketException">The TCP connection failed (for example, refused).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<TcpLink> ConnectAsync(IPEndPoint remoteEndPoint, NodeKey localKey, NodeId? expectedRemoteId = null, TcpLinkOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        ArgumentNullException.ThrowIfNull(localKey);
        options ??= new TcpLinkOptions();
        var socket = new Socket(remoteEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connectTimeout.CancelAfter(options.ConnectTimeout);
                try
                {
                    await socket.ConnectAsync(remoteEndPoint, connectTimeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"Connecting to {remoteEndPoint} took longer than {options.ConnectTimeout}.");
                }
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return await AuthenticateAsync(socket, localKey, isInitiator: true, expectedRemoteId, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs the handshake over a connected TCP socket (for example one accepted by your own listener) and returns the
    /// link. The link owns the socket from then on; if the handshake fails, the socket is closed.
    /// </summary>
    /// <param name="socket">A connected stream socket.</param>
    /// <param name="localKey">This node's key; the link does not dispose it.</param>
    /// <param name="isInitiator">True on the side that dialed (it sends the first handshake message).</param>
    /// <param name="expectedRemoteId">The node expected (checked by the initiator before revealing its key, by the
    /// responder after the handshake), or <c>null</c> to accept any node.</param>
    /// <param name="options">Limits and timeouts; <c>null</c> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    /// <exception cref="IdentityMismatchException">The remote node is not <paramref name="expectedRemoteId"/>.</exception>
    /// <exception cref="HandshakeException">The handshake failed or timed out (<see cref="HandshakeException.Failure"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<TcpLink> AuthenticateAsync(Socket socket, NodeKey localKey, bool isInitiator, NodeId? expectedRemoteId = null, TcpLinkOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(localKey);
        (TcpLink? link, HandshakeOutcome outcome) = await TryAuthenticateAsync(socket, localKey, isInitiator, expectedRemoteId, options, cancellationToken).ConfigureAwait(false);
        if (link is null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw outcome.ToException();
        }

        return link;
    }

    /// <summary>
    /// <see cref="AuthenticateAsync"/> without exceptions for what the peer does: a failed handshake (garbage, a
    /// forged or oversized message, a closed connection, a timeout, the wrong node) gives a null link and the outcome
    /// saying why, and the socket is closed (issue 13, finding 9: a listener rejects a bad connection cheaply).
    /// </summary>
    internal static async Task<(TcpLink? Link, HandshakeOutcome Outcome)> TryAuthenticateAsync(Socket socket, NodeKey localKey, bool isInitiator, NodeId? expectedRemoteId, TcpLinkOptions? options, CancellationToken cancellationToken)
    {
        options ??= new TcpLinkOptions();
        HandshakeOutcome outcome;
        using (var transport = new SocketHandshakeTransport(socket, options.HandshakeTimeout, cancellationToken))
        {
            try
            {
                socket.NoDelay = options.NoDelay;
                outcome = await StreamHandshake.RunAsync(transport, isInitiator, localKey, expectedRemoteId, options.MaxFrameSize, NoiseCipherState.Default).ConfigureAwait(false);
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            if (outcome.Result is { } keys && !isInitiator && expectedRemoteId is { } expected && expected != keys.RemoteId)
            {
                keys.Dispose();
                outcome = new HandshakeOutcome { Failure = HandshakeFailure.IdentityMismatch, Mismatch = (expected, keys.RemoteId) };
            }

            if (outcome.Result is null)
            {
                CloseRejected(socket); // ends a read or write the transport abandoned, before the transport is disposed
                return (null, outcome);
            }
        }

        try
        {
            var stream = new NetworkStream(socket, ownsSocket: true);
            return (new TcpLink(socket, stream, outcome.Result, localKey.Id, options), outcome);
        }
        catch
        {
            outcome.Result.Dispose();
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Closes a connection whose handshake failed: shut down first, so the peer reads an end of stream even though
    /// bytes it sent are left unread (a bare close would reset the connection). Shutting down a connection the peer
    /// already reset is the one case that throws, inside the platform call; it is caught here.
    /// </summary>
    private static void CloseRejected(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already reset or closed.
        }

        socket.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() => $"tcp link {LocalId:s} → {RemoteId:s} ({RemoteAddress})";

    /// <inheritdoc/>
    private protected override ValueTask CloseOutputAsync(TimeSpan timeout)
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        return ValueTask.CompletedTask;
    }
}
