namespace PeerKit.Hosting;

/// <summary>
/// <see cref="PeerNodeOptions"/> in the shape configuration binds: addresses and node ids as strings, durations as
/// <c>"00:00:05"</c>. An appsettings section (default <c>"PeerKit"</c>) mirrors it key for key; defaults are
/// <see cref="PeerNodeOptions"/>'s. Things that are code, not configuration (protocols, <see cref="PeerNodeOptions.AcceptPolicy"/>,
/// a <see cref="NodeKey"/> object, transport options), are added with <see cref="PeerKitBuilder"/>.
/// </summary>
/// <example>
/// <code>
/// "PeerKit": {
///   "Name": "relay-1",
///   "IdentityPath": "/var/lib/app/node.key",
///   "MaxPeers": 100,
///   "ListenAddresses": [ "tcp://0.0.0.0:30303", "udp://0.0.0.0:30303" ],
///   "StaticPeers": [ "tcp://4f2a…@10.0.0.2:30303" ],
///   "HandshakeTimeout": "00:00:05"
/// }
/// </code>
/// </example>
public sealed class PeerNodeSettings
{
    private static readonly PeerNodeOptions s_defaults = new();

    /// <summary>The configuration section <see cref="PeerKitServiceCollectionExtensions.AddPeerKit(Microsoft.Extensions.DependencyInjection.IServiceCollection, Microsoft.Extensions.Configuration.IConfiguration)"/> reads by default.</summary>
    public const string DefaultSectionName = "PeerKit";

    /// <summary>See <see cref="PeerNodeOptions.Name"/>.</summary>
    public string Name { get; set; } = s_defaults.Name;

    /// <summary>See <see cref="PeerNodeOptions.IdentityPath"/>: a PKCS#8 key file, created when missing. Null: a new key each run.</summary>
    public string? IdentityPath { get; set; }

    /// <summary>See <see cref="PeerNodeOptions.MaxPeers"/>.</summary>
    public int MaxPeers { get; set; } = s_defaults.MaxPeers;

    /// <summary>See <see cref="PeerNodeOptions.MaxPendingPeers"/>.</summary>
    public int MaxPendingPeers { get; set; } = s_defaults.MaxPendingPeers;

    /// <summary>See <see cref="PeerNodeOptions.DialRatio"/>.</summary>
    public int DialRatio { get; set; } = s_defaults.DialRatio;

    /// <summary>Addresses to listen on, as <see cref="NodeAddress.Parse"/> reads them (<c>tcp://127.0.0.1:0</c>).</summary>
    public List<string> ListenAddresses { get; set; } = [];

    /// <summary>Peers always kept connected, as node addresses (with the node id when known).</summary>
    public List<string> StaticPeers { get; set; } = [];

    /// <summary>Node ids (64 hex digits) admitted above the peer limits.</summary>
    public List<string> TrustedPeers { get; set; } = [];

    /// <summary>See <see cref="PeerNodeOptions.EnableMessageEvents"/>.</summary>
    public bool EnableMessageEvents { get; set; }

    /// <summary>See <see cref="PeerNodeOptions.HandshakeTimeout"/>.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = s_defaults.HandshakeTimeout;

    /// <summary>See <see cref="PeerNodeOptions.DialTimeout"/>.</summary>
    public TimeSpan DialTimeout { get; set; } = s_defaults.DialTimeout;

    /// <summary>See <see cref="PeerNodeOptions.IdleTimeout"/>.</summary>
    public TimeSpan IdleTimeout { get; set; } = s_defaults.IdleTimeout;

    /// <summary>See <see cref="PeerNodeOptions.PingInterval"/>.</summary>
    public TimeSpan PingInterval { get; set; } = s_defaults.PingInterval;

    /// <summary>See <see cref="PeerNodeOptions.PingTimeout"/>.</summary>
    public TimeSpan PingTimeout { get; set; } = s_defaults.PingTimeout;

    /// <summary>See <see cref="PeerNodeOptions.DisconnectTimeout"/>.</summary>
    public TimeSpan DisconnectTimeout { get; set; } = s_defaults.DisconnectTimeout;

    /// <summary>See <see cref="PeerNodeOptions.StaticRedialMinDelay"/>.</summary>
    public TimeSpan StaticRedialMinDelay { get; set; } = s_defaults.StaticRedialMinDelay;

    /// <summary>See <see cref="PeerNodeOptions.StaticRedialMaxDelay"/>.</summary>
    public TimeSpan StaticRedialMaxDelay { get; set; } = s_defaults.StaticRedialMaxDelay;

    /// <summary>See <see cref="PeerNodeOptions.InboundQueueCapacity"/>.</summary>
    public int InboundQueueCapacity { get; set; } = s_defaults.InboundQueueCapacity;

    /// <summary>See <see cref="PeerNodeOptions.ReadQueueCapacity"/>.</summary>
    public int ReadQueueCapacity { get; set; } = s_defaults.ReadQueueCapacity;

    /// <summary>See <see cref="PeerNodeOptions.InboundQueueBytes"/>.</summary>
    public long InboundQueueBytes { get; set; } = s_defaults.InboundQueueBytes;

    /// <summary>See <see cref="PeerNodeOptions.ReadQueueBytes"/>.</summary>
    public long ReadQueueBytes { get; set; } = s_defaults.ReadQueueBytes;

    /// <summary>See <see cref="PeerNodeOptions.MemoryBudgetBytes"/>.</summary>
    public long MemoryBudgetBytes { get; set; } = s_defaults.MemoryBudgetBytes;

    /// <summary>See <see cref="PeerNodeOptions.MemoryBudgetPolicy"/>.</summary>
    public MemoryBudgetPolicy MemoryBudgetPolicy { get; set; } = s_defaults.MemoryBudgetPolicy;

    /// <summary>See <see cref="PeerNodeOptions.EventQueueCapacity"/>.</summary>
    public int EventQueueCapacity { get; set; } = s_defaults.EventQueueCapacity;

    /// <summary>
    /// Log entries about peer-caused trouble (protocol breaches, bad handshakes, link errors) allowed per category per
    /// <see cref="PeerErrorLogWindow"/>; past it they are counted and summed up in the next entry. Default 20.
    /// </summary>
    public int PeerErrorLogLimit { get; set; } = 20;

    /// <summary>The window of <see cref="PeerErrorLogLimit"/>. Default one minute.</summary>
    public TimeSpan PeerErrorLogWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Builds the node options. Call after validation (<see cref="PeerNodeSettingsValidator"/>); a malformed address
    /// or id throws <see cref="FormatException"/> here.
    /// </summary>
    public PeerNodeOptions ToNodeOptions()
    {
        var options = new PeerNodeOptions
        {
            Name = Name,
            IdentityPath = IdentityPath,
            MaxPeers = MaxPeers,
            MaxPendingPeers = MaxPendingPeers,
            DialRatio = DialRatio,
            EnableMessageEvents = EnableMessageEvents,
            HandshakeTimeout = HandshakeTimeout,
            DialTimeout = DialTimeout,
            IdleTimeout = IdleTimeout,
            PingInterval = PingInterval,
            PingTimeout = PingTimeout,
            DisconnectTimeout = DisconnectTimeout,
            StaticRedialMinDelay = StaticRedialMinDelay,
            StaticRedialMaxDelay = StaticRedialMaxDelay,
            InboundQueueCapacity = InboundQueueCapacity,
            ReadQueueCapacity = ReadQueueCapacity,
            InboundQueueBytes = InboundQueueBytes,
            ReadQueueBytes = ReadQueueBytes,
            MemoryBudgetBytes = MemoryBudgetBytes,
            MemoryBudgetPolicy = MemoryBudgetPolicy,
            EventQueueCapacity = EventQueueCapacity,
        };
        foreach (string address in ListenAddresses)
        {
            options.ListenAddresses.Add(NodeAddress.Parse(address));
        }

        foreach (string address in StaticPeers)
        {
            options.StaticPeers.Add(NodeAddress.Parse(address));
        }

        foreach (string id in TrustedPeers)
        {
            options.TrustedPeers.Add(NodeId.Parse(id));
        }

        return options;
    }
}
