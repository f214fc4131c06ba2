using Microsoft.Extensions.Logging;

namespace PeerKit.Hosting;

/// <summary>
/// Writes a node's events to <c>ILogger</c>, one category per layer (<see cref="PeerKitLogCategories"/>), with
/// structured fields (PeerId, PeerName, Address, Reason, IsRemote). Everything a remote peer can cause is rate-limited
/// per category, so a hostile or broken peer cannot flood the log.
/// </summary>
internal sealed partial class PeerNodeLog : IDisposable
{
    private readonly PeerNode _node;
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly Dictionary<string, (ILogger Logger, LogRateLimiter Limiter)> _categories = [];

    public PeerNodeLog(PeerNode node, ILoggerFactory loggers, TimeProvider time, int limit, TimeSpan window)
    {
        _node = node;
        _time = time;
        _start = time.GetTimestamp();
        foreach (string category in new[] { PeerKitLogCategories.Node, PeerKitLogCategories.Sessions, PeerKitLogCategories.Tcp, PeerKitLogCategories.Udp, PeerKitLogCategories.Links })
        {
            _categories[category] = (loggers.CreateLogger(category), new LogRateLimiter(limit, window));
        }

        node.PeerAdded += OnPeerAdded;
        node.PeerDropped += OnPeerDropped;
    }

    /// <summary>The logger of the node category.</summary>
    public ILogger Node => _categories[PeerKitLogCategories.Node].Logger;

    /// <summary>Entries left out by the rate limit of <paramref name="category"/> so far (all categories when null).</summary>
    public long Suppressed(string? category)
    {
        lock (_categories)
        {
            return category is null
                ? _categories.Values.Sum(c => c.Limiter.TotalSuppressed)
                : _categories.TryGetValue(category, out var c) ? c.Limiter.TotalSuppressed : 0;
        }
    }

    public void Dispose()
    {
        _node.PeerAdded -= OnPeerAdded;
        _node.PeerDropped -= OnPeerDropped;
    }

    /// <summary>Which layer a drop belongs to: a transport error to its link category, a protocol fault to sessions.</summary>
    internal static string CategoryOf(PeerEvent e) => e switch
    {
        { Error: not null } when e.Error is PeerKit.Links.LinkException || e.Reason == DisconnectReason.NetworkError => LinkCategory(e.Peer?.Link),
        { Reason: DisconnectReason.BreachOfProtocol or DisconnectReason.SubprotocolError or DisconnectReason.IncompatibleVersion
            or DisconnectReason.InvalidIdentity or DisconnectReason.UnexpectedIdentity or DisconnectReason.UselessPeer
            or DisconnectReason.ReadTimeout } => PeerKitLogCategories.Sessions,
        { Reason: DisconnectReason.NetworkError } => LinkCategory(e.Peer?.Link),
        _ => PeerKitLogCategories.Node,
    };

    /// <summary>Whether a drop is trouble (logged as a warning) rather than an ordinary goodbye.</summary>
    internal static bool IsTrouble(PeerEvent e) =>
        e.Error is not null || e.Reason is not (null or DisconnectReason.Requested or DisconnectReason.ClientQuitting or DisconnectReason.TooManyPeers or DisconnectReason.AlreadyConnected);

    private static string LinkCategory(PeerKit.Links.IMessageLink? link) => link switch
    {
        PeerKit.Links.Tcp.TcpLink => PeerKitLogCategories.Tcp,
        PeerKit.Links.Udp.UdpLink => PeerKitLogCategories.Udp,
        _ => PeerKitLogCategories.Links,
    };

    private bool TryAcquire(string category, out ILogger logger, out long suppressed)
    {
        lock (_categories)
        {
            (logger, LogRateLimiter limiter) = _categories[category];
            return limiter.TryAcquire(_time.GetElapsedTime(_start), out suppressed);
        }
    }

    private void OnPeerAdded(object? sender, PeerEvent e)
    {
        if (TryAcquire(PeerKitLogCategories.Node, out ILogger logger, out long suppressed))
        {
            PeerAdded(logger, e.PeerId.ToString("s", null), e.Peer?.Name, e.Address, e.Peer?.IsInbound ?? false, suppressed);
        }
    }

    private void OnPeerDropped(object? sender, PeerEvent e)
    {
        string category = CategoryOf(e);
        if (!TryAcquire(category, out ILogger logger, out long suppressed))
        {
            return;
        }

        string reason = e.Reason?.ToString() ?? "unknown";
        if (IsTrouble(e))
        {
            PeerFaulted(logger, e.Error, e.PeerId.ToString("s", null), e.Address, reason, e.IsRemoteReason, suppressed);
        }
        else
        {
            PeerDropped(logger, e.PeerId.ToString("s", null), e.Address, reason, e.IsRemoteReason, suppressed);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Peer {PeerId} ({PeerName}) connected at {Address}, inbound {IsInbound} ({Suppressed} earlier entries left out by the rate limit)")]
    private static partial void PeerAdded(ILogger logger, string peerId, string? peerName, string? address, bool isInbound, long suppressed);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Peer {PeerId} at {Address} disconnected: {Reason}, remote {IsRemote} ({Suppressed} earlier entries left out by the rate limit)")]
    private static partial void PeerDropped(ILogger logger, string peerId, string? address, string reason, bool isRemote, long suppressed);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Peer {PeerId} at {Address} dropped: {Reason}, remote {IsRemote} ({Suppressed} earlier entries left out by the rate limit)")]
    private static partial void PeerFaulted(ILogger logger, Exception? error, string peerId, string? address, string reason, bool isRemote, long suppressed);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Node {NodeId} \"{Name}\" started; listening on {ListenAddresses}")]
    public static partial void Started(ILogger logger, string nodeId, string name, string listenAddresses);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Node {NodeId} stopped")]
    public static partial void Stopped(ILogger logger, string nodeId);
}
