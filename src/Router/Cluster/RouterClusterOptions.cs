namespace PeerKit.Routing;

/// <summary>
/// Settings of a router that shares its work with other routers through Redis (<see cref="RouterOptions.Cluster"/>):
/// the session directory, room membership and the traffic between clients on different routers go through it. Without
/// them (the default) the router runs alone and needs no Redis.
/// </summary>
public sealed class RouterClusterOptions
{
    /// <summary>The Redis server: <c>redis://host:port</c> (as <c>--cluster</c> takes it) or a StackExchange.Redis configuration string (<c>host:port,password=…</c>).</summary>
    public string ConnectionString { get; set; } = "redis://127.0.0.1:6379";

    /// <summary>This router's id in the cluster (the name of its channels, the value of its sessions' directory keys); default the router's node id. Unique per router.</summary>
    public string? RouterId { get; set; }

    /// <summary>
    /// How long a session's directory entry lives without being refreshed (default 10 s; the router refreshes it every
    /// third of that). A crashed router's sessions leave the directory within it.
    /// </summary>
    public TimeSpan SessionTtl { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The prefix of every Redis key and channel (default <c>peerkit:</c>), so several clusters can share one Redis.</summary>
    public string KeyPrefix { get; set; } = "peerkit:";

    /// <summary>
    /// Bytes that may wait to be published to Redis at once (default 4 MiB). Past it, relayed packets are dropped and
    /// counted (the UDP link sends them again, as over any lossy path) and signaling fails with a typed reason.
    /// </summary>
    public long MaxPublishQueueBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>How long connecting to Redis may take, and how long one Redis request may wait (default 2 s).</summary>
    public TimeSpan RedisTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The delay between attempts to reach Redis again after it went away (default 500 ms).</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ConnectionString, nameof(ConnectionString));
        ArgumentOutOfRangeException.ThrowIfLessThan(SessionTtl, TimeSpan.FromSeconds(1), nameof(SessionTtl));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPublishQueueBytes, 64 * 1024, nameof(MaxPublishQueueBytes));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RedisTimeout, TimeSpan.Zero, nameof(RedisTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ReconnectDelay, TimeSpan.Zero, nameof(ReconnectDelay));
        if (RouterId is { } id && (id.Length is 0 or > 128 || id.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))))
        {
            throw new ArgumentException("RouterId must be 1 to 128 characters without spaces or control characters.", nameof(RouterId));
        }
    }

    /// <summary>Turns <c>redis://[:password@]host:port</c> into a StackExchange.Redis configuration string; other strings are returned as they are.</summary>
    internal static string ToRedisConfiguration(string connection)
    {
        if (!connection.StartsWith("redis://", StringComparison.OrdinalIgnoreCase))
        {
            return connection;
        }

        if (!Uri.TryCreate(connection, UriKind.Absolute, out Uri? uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new ArgumentException($"\"{connection}\" is not a redis://host:port address.", nameof(connection));
        }

        string host = uri.HostNameType == UriHostNameType.IPv6 ? $"[{uri.IdnHost.Trim('[', ']')}]" : uri.Host;
        string configuration = $"{host}:{(uri.Port > 0 ? uri.Port : 6379)}";
        if (uri.UserInfo.Length > 0)
        {
            string password = Uri.UnescapeDataString(uri.UserInfo.Contains(':') ? uri.UserInfo[(uri.UserInfo.IndexOf(':') + 1)..] : uri.UserInfo);
            configuration += $",password={password}";
        }

        return configuration;
    }
}
