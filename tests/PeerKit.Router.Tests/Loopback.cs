using System.Diagnostics;
using PeerKit.Routing;

namespace PeerKit.Router.Tests;

/// <summary>Routers and clients on loopback, each disposed by the test.</summary>
internal static class Loopback
{
    public static async Task<PeerKit.Routing.Router> StartRouterAsync(Action<RouterOptions>? configure = null, int port = 0, NodeKey? key = null)
    {
        var options = new RouterOptions { ListenAddresses = { NodeAddress.Parse($"udp://127.0.0.1:{port}") }, Identity = key };
        configure?.Invoke(options);
        var router = new PeerKit.Routing.Router(options);
        await router.StartAsync();
        return router;
    }

    public static async Task<(RouterClient Client, TestChat Chat)> StartClientAsync(NodeAddress router, Action<RouterClientOptions>? configure = null)
    {
        var chat = new TestChat();
        var options = new RouterClientOptions { Router = router, ConnectTimeout = TimeSpan.FromSeconds(10), AttachTimeout = TimeSpan.FromSeconds(5) };
        configure?.Invoke(options);
        var client = new RouterClient(new PeerNodeOptions { ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") }, Protocols = { chat } }, options);
        try
        {
            await client.StartAsync();
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }

        return (client, chat);
    }

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds; fails with <paramref name="what"/> otherwise.</summary>
    public static Task EventuallyAsync(Func<bool> condition, string what, int timeoutMs = 10_000) => EventuallyAsync(condition, () => what, timeoutMs);

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds; fails with what <paramref name="what"/> says then (the state at the time).</summary>
    public static async Task EventuallyAsync(Func<bool> condition, Func<string> what, int timeoutMs = 10_000)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.ElapsedMilliseconds > timeoutMs)
            {
                Assert.Fail($"Timed out after {timeoutMs} ms waiting for: {what()}");
            }

            await Task.Delay(20);
        }
    }
}
