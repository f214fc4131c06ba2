using System.Net;
using System.Net.WebSockets;
using PeerKit.Links.Noise;
using PeerKit.Links.Streams;

namespace PeerKit.Links.WebSockets;

/// <summary>
/// A link over a WebSocket: the TCP link's Noise XX handshake and frames (see <see cref="StreamLink"/> and
/// <c>docs/links.md</c>), carried in binary WebSocket messages, for networks that block UDP and for hosting behind an
/// HTTP proxy. The client side uses <see cref="ClientWebSocket"/>; the server side takes the WebSocket an HTTP server
/// accepted (<see cref="WebSocketLinkAcceptor"/>; the router's Kestrel listener).
/// </summary>
/// <remarks>
/// <para><b>Messages.</b> Each handshake message and each frame (its 4-byte length, then its ciphertext) is written as
/// one binary message; the receiver reads binary messages as one byte stream, so an intermediary that splits a message
/// differently changes nothing. The length prefix is kept although a message already has a length: the one framing
/// and handshake code serves TCP and WebSocket, and a WebSocket message's size never decides what is allocated.</para>
/// <para><b>Hostile input.</b> A text message closes the link with <see cref="LinkCloseReason.ProtocolError"/> (in the
/// handshake: <see cref="HandshakeFailure.InvalidMessage"/>); a frame longer than the local maximum, with
/// <see cref="LinkCloseReason.FrameTooLarge"/>, before anything is allocated for it; bytes that are not a PeerKit
/// handshake fail it with <see cref="HandshakeFailure.InvalidMessage"/>; a handshake slower than
/// <see cref="StreamLinkOptions.HandshakeTimeout"/> fails with <see cref="HandshakeFailure.Timeout"/>.</para>
/// <para><b>Encryption.</b> The Noise session runs end to end between the two nodes: a TLS-terminating proxy
/// (<c>wss://</c> outside, <c>ws://</c> to the router) sees only ciphertext.</para>
/// </remarks>
public sealed class WebSocketLink : StreamLink
{
    private readonly WebSocketByteStream _stream;

    private WebSocketLink(WebSocketByteStream stream, HandshakeResult handshake, NodeId localId, WebSocketLinkOptions options, EndPoint? remoteAddress, EndPoint? localAddress)
        : base(stream, handshake, localId, options, remoteAddress, localAddress)
    {
        _stream = stream;
    }

    /// <summary>Opens a WebSocket to <paramref name="uri"/> (<c>ws://</c> or <c>wss://</c>) and runs the handshake as the initiator.</summary>
    /// <param name="uri">The server's WebSocket address, path included (the router's is <c>ws://host:port/peerkit</c> by default).</param>
    /// <param name="localKey">This node's key; the link does not dispose it.</param>
    /// <param name="expectedRemoteId">The node expected there, or <c>null</c> to accept any node. On a mismatch the
    /// handshake stops before this side reveals its static key.</param>
    /// <param name="options">Limits and timeouts; <c>null</c> for the defaults.</param>
    /// <param name="cancellationToken">Cancels connecting and the handshake.</param>
    /// <exception cref="IdentityMismatchException">The remote node is not <paramref name="expectedRemoteId"/>.</exception>
    /// <exception cref="HandshakeException">The handshake failed or timed out (<see cref="HandshakeException.Failure"/>).</exception>
    /// <exception cref="TimeoutException">The WebSocket was not open within <see cref="StreamLinkOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="WebSocketException">The WebSocket could not be opened (refused, not a WebSocket server, a wrong path).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<WebSocketLink> ConnectAsync(Uri uri, NodeKey localKey, NodeId? expectedRemoteId = null, WebSocketLinkOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(localKey);
        options ??= new WebSocketLinkOptions();
        var client = new ClientWebSocket();
        try
        {
            client.Options.KeepAliveInterval = options.KeepAliveInterval;
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            connectTimeout.CancelAfter(options.ConnectTimeout);
            try
            {
                await client.ConnectAsync(uri, connectTimeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException && connectTimeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Opening a WebSocket to {uri} took longer than {options.ConnectTimeout}.");
            }
        }
        catch
        {
            client.Dispose();
            throw;
        }

        EndPoint? remote = IPAddress.TryParse(uri.IdnHost, out IPAddress? ip) ? new IPEndPoint(ip, uri.Port) : new DnsEndPoint(uri.IdnHost, uri.Port);
        return await AuthenticateAsync(client, localKey, isInitiator: true, expectedRemoteId, options, remote, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs the handshake over an open WebSocket (for example one your HTTP server accepted) and returns the link. The
    /// link owns the WebSocket from then on; if the handshake fails, the WebSocket is aborted.
    /// </summary>
    /// <param name="webSocket">An open WebSocket.</param>
    /// <param name="localKey">This node's key; the link does not dispose it.</param>
    /// <param name="isInitiator">True on the side that dialed (it sends the first handshake message).</param>
    /// <param name="expectedRemoteId">The node expected (checked by the initiator before revealing its key, by the
    /// responder after the handshake), or <c>null</c> to accept any node.</param>
    /// <param name="options">Limits and timeouts; <c>null</c> for the defaults.</param>
    /// <param name="remoteAddress">The remote side's address, for <see cref="IMessageLink.RemoteAddress"/>, when known.</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    /// <exception cref="IdentityMismatchException">The remote node is not <paramref name="expectedRemoteId"/>.</exception>
    /// <exception cref="HandshakeException">The handshake failed or timed out (<see cref="HandshakeException.Failure"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<WebSocketLink> AuthenticateAsync(WebSocket webSocket, NodeKey localKey, bool isInitiator, NodeId? expectedRemoteId = null, WebSocketLinkOptions? options = null, EndPoint? remoteAddress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(webSocket);
        ArgumentNullException.ThrowIfNull(localKey);
        (WebSocketLink? link, HandshakeOutcome outcome) = await TryAuthenticateAsync(webSocket, localKey, isInitiator, expectedRemoteId, options, remoteAddress, cancellationToken).ConfigureAwait(false);
        if (link is null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw outcome.ToException();
        }

        return link;
    }

    /// <summary><see cref="AuthenticateAsync"/> with a failed handshake as a value: a null link and why; the WebSocket is then aborted.</summary>
    internal static async Task<(WebSocketLink? Link, HandshakeOutcome Outcome)> TryAuthenticateAsync(WebSocket webSocket, NodeKey localKey, bool isInitiator, NodeId? expectedRemoteId, WebSocketLinkOptions? options, EndPoint? remoteAddress, CancellationToken cancellationToken)
    {
        options ??= new WebSocketLinkOptions();
        var stream = new WebSocketByteStream(webSocket);
        HandshakeOutcome outcome;
        try
        {
            using var transport = new StreamHandshake.StreamTransport(stream, options.HandshakeTimeout, cancellationToken);
            outcome = await StreamHandshake.RunAsync(transport, isInitiator, localKey, expectedRemoteId, options.MaxFrameSize, NoiseCipherState.Default).ConfigureAwait(false);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        if (outcome.Result is { } keys && !isInitiator && expectedRemoteId is { } expected && expected != keys.RemoteId)
        {
            keys.Dispose();
            outcome = new HandshakeOutcome { Failure = HandshakeFailure.IdentityMismatch, Mismatch = (expected, keys.RemoteId) };
        }

        if (outcome.Result is null)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            return (null, outcome);
        }

        try
        {
            return (new WebSocketLink(stream, outcome.Result, localKey.Id, options, remoteAddress, null), outcome);
        }
        catch
        {
            outcome.Result.Dispose();
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Completes when the link has let go of its WebSocket (closed and aborted): the HTTP request under it may end then.</summary>
    internal Task WebSocketReleased => _stream.Closed;

    /// <inheritdoc/>
    public override string ToString() => $"websocket link {LocalId:s} → {RemoteId:s} ({RemoteAddress})";

    /// <inheritdoc/>
    private protected override ValueTask CloseOutputAsync(TimeSpan timeout) => _stream.CloseOutputAsync(timeout);
}
