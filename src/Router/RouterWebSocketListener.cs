using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PeerKit.Links;
using PeerKit.Links.WebSockets;
using PeerKit.Transports;

namespace PeerKit.Routing;

/// <summary>
/// The router's <c>ws://</c> listener: Kestrel (the ASP.NET Core shared framework) on one end point, answering
/// WebSocket upgrades at one path and handing them to a <see cref="WebSocketLinkAcceptor"/>. Anything else gets an
/// HTTP error: another path 404, a request that is not a WebSocket upgrade 426, an upgrade while every handshake slot
/// open to its address is taken 503. Request headers must arrive within the handshake timeout, at least 5 s (slow clients are cut off).
/// </summary>
internal sealed class RouterWebSocketListener : IPeerListener
{
    private readonly WebApplication _app;
    private readonly WebSocketLinkAcceptor _acceptor;

    private RouterWebSocketListener(WebApplication app, WebSocketLinkAcceptor acceptor, NodeAddress address)
    {
        _app = app;
        _acceptor = acceptor;
        Address = address;
    }

    /// <inheritdoc/>
    public NodeAddress Address { get; }

    /// <inheritdoc/>
    public int PendingHandshakeCount => _acceptor.PendingHandshakeCount;

    /// <inheritdoc/>
    public long FailedHandshakeCount => _acceptor.FailedHandshakeCount;

    /// <inheritdoc/>
    public long RejectedConnectionCount => _acceptor.RefusedCount;

    /// <summary>Starts Kestrel on <paramref name="endPoint"/> (port 0: the system picks one), serving upgrades at <paramref name="path"/>.</summary>
    /// <exception cref="IOException">The end point cannot be bound (for example, in use).</exception>
    public static async Task<RouterWebSocketListener> StartAsync(NodeAddress address, IPEndPoint endPoint, string path, NodeKey key, WebSocketLinkOptions options, int maxConnections, CancellationToken cancellationToken)
    {
        var acceptor = new WebSocketLinkAcceptor(key, options);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // HTTP/1.1 only: an HTTP/2 WebSocket is a stream of a connection, out of MaxConcurrentUpgradedConnections' count.
            kestrel.Listen(endPoint, listen => listen.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1);
            // Slow request headers are cut off like a slow handshake (Kestrel checks once a second: a floor of 5 s).
            kestrel.Limits.RequestHeadersTimeout = options.HandshakeTimeout > TimeSpan.FromSeconds(5) ? options.HandshakeTimeout : TimeSpan.FromSeconds(5);
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            kestrel.Limits.MaxRequestBodySize = 0;
            kestrel.Limits.MaxConcurrentUpgradedConnections = maxConnections;
            // Plain HTTP requests (404, 426, 503 answers) are bounded too, and do not keep their connection for long.
            kestrel.Limits.MaxConcurrentConnections = maxConnections + 64;
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(5);
        });
        WebApplication app = builder.Build();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = options.KeepAliveInterval });
        app.Run(context => ServeAsync(context, acceptor, path));
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            await acceptor.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        int port = endPoint.Port;
        foreach (string bound in app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
        {
            if (Uri.TryCreate(bound, UriKind.Absolute, out Uri? uri))
            {
                port = uri.Port;
                break;
            }
        }

        return new RouterWebSocketListener(app, acceptor, address with { Port = port, Id = null, Path = path });
    }

    /// <inheritdoc/>
    public async ValueTask<IMessageLink> AcceptAsync(CancellationToken cancellationToken = default) =>
        await _acceptor.AcceptAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Stops answering, abandons handshakes in progress and stops Kestrel (links already accepted belong to the node, which closes them).</summary>
    public async ValueTask DisposeAsync()
    {
        await _acceptor.DisposeAsync().ConfigureAwait(false);
        using (var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
        {
            await _app.StopAsync(stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task ServeAsync(HttpContext context, WebSocketLinkAcceptor acceptor, string path)
    {
        if (!string.Equals(context.Request.Path.Value, path, StringComparison.Ordinal))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            context.Response.Headers.Upgrade = "websocket";
            return;
        }

        IPEndPoint? remote = context.Connection.RemoteIpAddress is { } ip ? new IPEndPoint(ip, context.Connection.RemotePort) : null;
        bool served = await acceptor.ServeAsync(remote, () => context.WebSockets.AcceptWebSocketAsync(), context.RequestAborted).ConfigureAwait(false);
        if (!served)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        }
    }
}
