using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using PeerKit.WifiDirect.Supplicant;

namespace PeerKit.WifiDirect;

/// <summary>
/// Wi-Fi Direct with OpenHarmony's <c>wifiManager</c> P2P verbs, backed by wpa_supplicant's control interface through
/// the native shim. Once a group is up, a <see cref="PeerNode"/> runs over it (see <see cref="WifiP2pOptions.Node"/>).
/// </summary>
/// <remarks>
/// Two control connections are open: one for commands, one attached for events. Events are read on a dedicated
/// thread; the callbacks run on one event task, in order; <see cref="ReadEventsAsync"/> gives each subscriber the
/// same events. Queues are bounded (<see cref="WifiP2pOptions.EventQueueCapacity"/>); a consumer that falls behind
/// loses the oldest events, counted in <see cref="DroppedEventCount"/>. All members are thread-safe.
/// </remarks>
/// <example>
/// <code>
/// await using var p2p = await WifiP2p.OpenAsync(new WifiP2pOptions { ControlPath = "/run/wpa_supplicant/wlan0" });
/// p2p.P2pPeerDeviceChange += (_, devices) => Console.WriteLine(devices.Count);
/// await p2p.StartDiscoverDevicesAsync();
/// </code>
/// </example>
public sealed class WifiP2p : IAsyncDisposable
{
    private readonly WifiP2pOptions _options;
    private readonly SupplicantControl _commands;
    private readonly SupplicantControl _events;
    private readonly SemaphoreSlim _commandLock = new(1, 1);
    private readonly Lock _stateLock = new();
    private readonly P2pTracker _tracker;
    private readonly Channel<WifiP2pEvent> _callbackQueue;
    private readonly List<Channel<WifiP2pEvent>> _subscribers = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Thread _reader;
    private readonly Task _callbackPump;
    private P2pState _state = P2pState.Starting;
    private WifiP2pException? _gone;
    private long _droppedEvents;
    private CancellationTokenSource? _nodeStop;
    private Task _nodeTask = Task.CompletedTask;
    private PeerNode? _node;
    private int _disposed;

    private WifiP2p(WifiP2pOptions options, SupplicantControl commands, SupplicantControl events, WifiP2pDevice localDevice)
    {
        _options = options;
        _commands = commands;
        _events = events;
        _tracker = new P2pTracker(localDevice);
        _callbackQueue = Channel.CreateBounded<WifiP2pEvent>(new BoundedChannelOptions(options.EventQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        }, _ => Interlocked.Increment(ref _droppedEvents));
        _callbackPump = Task.Run(PumpCallbacksAsync);
        _reader = new Thread(ReadEvents) { IsBackground = true, Name = "PeerKit Wi-Fi P2P events" };
    }

    /// <summary><c>p2pStateChange</c>: started once connected to the supplicant, closed when it goes away or on dispose.</summary>
    public event EventHandler<P2pState>? P2pStateChange;

    /// <summary><c>p2pConnectionChange</c>: joined or left a group, a connection failed, a client joined or left.</summary>
    public event EventHandler<WifiP2pLinkedInfo>? P2pConnectionChange;

    /// <summary><c>p2pDeviceChange</c>: this device's status changed.</summary>
    public event EventHandler<WifiP2pDevice>? P2pDeviceChange;

    /// <summary><c>p2pPeerDeviceChange</c>: a peer was found, lost, or changed status; the argument is the whole list.</summary>
    public event EventHandler<IReadOnlyList<WifiP2pDevice>>? P2pPeerDeviceChange;

    /// <summary><c>p2pPersistentGroupChange</c>: a persistent group was formed.</summary>
    public event EventHandler? P2pPersistentGroupChange;

    /// <summary><c>p2pDiscoveryChange</c>: discovery started or stopped.</summary>
    public event EventHandler<P2pDiscoveryState>? P2pDiscoveryChange;

    /// <summary>The node over the group listens (and, on a client, is connected to the owner's node).</summary>
    public event EventHandler<PeerNode>? GroupNodeStarted;

    /// <summary>The node over the group could not start or reach the owner.</summary>
    public event EventHandler<Exception>? GroupNodeFailed;

    /// <summary>The P2P state: <see cref="P2pState.Started"/> while the supplicant answers.</summary>
    public P2pState State
    {
        get
        {
            lock (_stateLock)
            {
                return _state;
            }
        }
    }

    /// <summary>The node running over the current group, or null.</summary>
    public PeerNode? GroupNode => Volatile.Read(ref _node);

    /// <summary>Events callbacks or subscribers lost because they fell behind.</summary>
    public long DroppedEventCount => Interlocked.Read(ref _droppedEvents);

    /// <summary>Supplicant events that were unknown, malformed, or did not apply (they change nothing).</summary>
    public long IgnoredEventCount
    {
        get
        {
            lock (_stateLock)
            {
                return _tracker.IgnoredEventCount;
            }
        }
    }

    /// <summary>
    /// Connects to wpa_supplicant: a command connection, an event connection (ATTACH), a PING, and this device's
    /// address from STATUS.
    /// </summary>
    /// <param name="options">Where the supplicant is; the node over the group.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The open P2P API, in state <see cref="P2pState.Started"/>.</returns>
    /// <exception cref="WifiP2pException">
    /// 2801000 with <see cref="WifiP2pFailure.SupplicantUnreachable"/> when nothing listens at the path (the message says
    /// how to start wpa_supplicant), or <see cref="WifiP2pFailure.Timeout"/> when it does not answer.
    /// </exception>
    public static async Task<WifiP2p> OpenAsync(WifiP2pOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return await Task.Run(() => Open(options), cancellationToken).ConfigureAwait(false);
    }

    private static WifiP2p Open(WifiP2pOptions options)
    {
        int timeout = (int)options.CommandTimeout.TotalMilliseconds;
        SupplicantControl commands = SupplicantControl.Open(options.ControlPath, options.ClientDirectory);
        SupplicantControl? events = null;
        try
        {
            events = SupplicantControl.Open(options.ControlPath, options.ClientDirectory);
            string pong = commands.Request("PING", timeout);
            if (SupplicantControl.ReplyKind(pong) != WpaNative.ReplyPong)
            {
                throw new WifiP2pException(WifiP2pErrorCode.OperationFailed, WifiP2pFailure.SupplicantUnreachable,
                    $"'{options.ControlPath}' answered PING with '{pong.Trim()}', not PONG: it is not a wpa_supplicant control socket.");
            }

            events.Attach(timeout);
            string status = commands.Request(SupplicantCommand.Status(options.InterfaceName), timeout);
            string address = SupplicantControl.ReplyValue(status, "p2p_device_address") ?? SupplicantControl.ReplyValue(status, "address") ?? "";
            string name = "";
            string deviceName = commands.Request(WithInterface("GET device_name", options.InterfaceName), timeout);
            if (SupplicantControl.ReplyKind(deviceName) == WpaNative.ReplyData)
            {
                name = deviceName.Trim();
            }

            var p2p = new WifiP2p(options, commands, events, new WifiP2pDevice(name, address, "", P2pDeviceStatus.Available, 0));
            p2p._state = P2pState.Started;
            p2p.Publish(new WifiP2pEvent { Kind = WifiP2pEventKind.StateChange, State = P2pState.Started });
            p2p._reader.Start();
            return p2p;
        }
        catch
        {
            events?.Dispose();
            commands.Dispose();
            throw;
        }
    }

    private static string WithInterface(string command, string? interfaceName) =>
        string.IsNullOrEmpty(interfaceName) ? command : $"IFNAME={interfaceName} {command}";

    /// <summary><c>startDiscoverDevices</c>: P2P_FIND. Found devices arrive through <see cref="P2pPeerDeviceChange"/>.</summary>
    /// <param name="cancellationToken">Cancels the wait for the reply.</param>
    /// <returns>A task that completes once the supplicant accepted.</returns>
    /// <exception cref="WifiP2pException">801 when the supplicant has no P2P device; 2801000 when it refuses or is gone.</exception>
    public async Task StartDiscoverDevicesAsync(CancellationToken cancellationToken = default)
    {
        await CommandOkAsync(SupplicantCommand.Find(0, _options.InterfaceName), cancellationToken,
            onSuccess: t => t.DiscoveryStarted()).ConfigureAwait(false);
    }

    /// <summary><c>stopDiscoverDevices</c>: P2P_STOP_FIND.</summary>
    /// <param name="cancellationToken">Cancels the wait for the reply.</param>
    /// <returns>A task that completes once the supplicant accepted.</returns>
    /// <exception cref="WifiP2pException">801 or 2801000 as for <see cref="StartDiscoverDevicesAsync"/>.</exception>
    public async Task StopDiscoverDevicesAsync(CancellationToken cancellationToken = default)
    {
        await CommandOkAsync(SupplicantCommand.StopFind(_options.InterfaceName), cancellationToken,
            onSuccess: t => t.DiscoveryStopped()).ConfigureAwait(false);
    }

    /// <summary><c>getP2pPeerDevices</c>: the supplicant's peer table (P2P_PEER FIRST, NEXT-…), with the statuses PeerKit knows.</summary>
    /// <param name="cancellationToken">Cancels the walk.</param>
    /// <returns>The peers, at most 256.</returns>
    /// <exception cref="WifiP2pException">801 or 2801000 as for <see cref="StartDiscoverDevicesAsync"/>.</exception>
    public async Task<IReadOnlyList<WifiP2pDevice>> GetP2pPeerDevicesAsync(CancellationToken cancellationToken = default)
    {
        var walked = new List<SupplicantPeer>();
        string? previous = null;
        while (walked.Count < P2pTracker.MaxPeers)
        {
            string reply = await RequestAsync(SupplicantCommand.Peer(previous, previous is not null, _options.InterfaceName), cancellationToken).ConfigureAwait(false);
            int kind = SupplicantControl.ReplyKind(reply);
            if (kind == WpaNative.ReplyUnknownCommand)
            {
                throw NoP2pDevice("P2P_PEER");
            }

            SupplicantPeer? peer = kind == WpaNative.ReplyData ? SupplicantPeer.Parse(System.Text.Encoding.UTF8.GetBytes(reply)) : null;
            if (peer is null || walked.Exists(p => p.DeviceAddress == peer.DeviceAddress))
            {
                break;
            }

            walked.Add(peer);
            previous = peer.DeviceAddress;
        }

        lock (_stateLock)
        {
            return _tracker.Merge(walked);
        }
    }

    /// <summary>
    /// <c>p2pConnect</c>: P2P_CONNECT to <see cref="WifiP2PConfig.DeviceAddress"/> with push button, persistent when
    /// <see cref="WifiP2PConfig.NetId"/> is −2, joining when the peer already owns a group. The outcome arrives
    /// through <see cref="P2pConnectionChange"/>. A group owner cannot initiate a connection (as in OpenHarmony).
    /// </summary>
    /// <param name="config">The peer and the group's kind.</param>
    /// <param name="cancellationToken">Cancels the wait for the reply.</param>
    /// <returns>A task that completes once the supplicant started the connection.</returns>
    /// <exception cref="WifiP2pException">
    /// 401 for a malformed address; 2801000 with <see cref="WifiP2pFailure.GroupOwnerCannotConnect"/> on a group owner,
    /// or when the supplicant refuses or is gone; 801 without a P2P device.
    /// </exception>
    public async Task P2pConnectAsync(WifiP2PConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        CheckConfig(config);
        bool join;
        lock (_stateLock)
        {
            if (_tracker.Group is { IsP2pGo: true } group)
            {
                throw new WifiP2pException(WifiP2pErrorCode.OperationFailed, WifiP2pFailure.GroupOwnerCannotConnect,
                    $"This device owns group '{group.Interface}', and a group owner cannot initiate a connection (as in OpenHarmony): "
                    + "let the other device connect to this group, or remove the group first.");
            }

            join = _tracker.FindPeer(config.DeviceAddress) is { IsGroupOwner: true };
        }

        string command = SupplicantCommand.Connect(config.DeviceAddress, "pbc", config.NetId, join, config.GroupOwnerIntent, 0, _options.InterfaceName);
        await CommandOkAsync(command, cancellationToken, acceptData: true,
            onSuccess: t => t.ConnectRequested(config.DeviceAddress)).ConfigureAwait(false);
    }

    /// <summary><c>p2pCancelConnect</c>: P2P_CANCEL, ending a connection attempt in progress.</summary>
    /// <param name="cancellationToken">Cancels the wait for the reply.</param>
    /// <returns>A task that completes once the supplicant accepted.</returns>
    /// <exception cref="WifiP2pException">2801000 when there is nothing to cancel (the supplicant says FAIL) or it is gone.</exception>
    public async Task P2pCancelConnectAsync(CancellationToken cancellationToken = default)
    {
        await CommandOkAsync(SupplicantCommand.Cancel(_options.InterfaceName), cancellationToken,
            onSuccess: t => t.ConnectCancelled()).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>createGroup</c>: P2P_GROUP_ADD, this device as group owner: persistent when <see cref="WifiP2PConfig.NetId"/>
    /// is −2 (or re-invoking a stored group's id ≥ 0), on <see cref="WifiP2PConfig.GoBand"/>.
    /// </summary>
    /// <param name="config">The group's kind and band.</param>
    /// <param name="cancellationToken">Cancels the wait for the reply.</param>
    /// <returns>A task that completes once the supplicant accepted; the group arrives through <see cref="P2pConnectionChange"/>.</returns>
    /// <exception cref="WifiP2pException">401 for a bad passphrase or name; 2801000 when refused or gone; 801 without a P2P device.</exception>
    public async Task CreateGroupAsync(WifiP2PConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        CheckConfig(config);
        int frequency = config.GoBand switch
        {
            GroupOwnerBand.Band2GHz => 2,
            GroupOwnerBand.Band5GHz => 5,
            _ => 0,
        };
        await CommandOkAsync(SupplicantCommand.GroupAdd(config.NetId, frequency, _options.InterfaceName), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>removeGroup</c>: P2P_GROUP_REMOVE of the current group's interface. A group this object did not see start
    /// (started before it attached, or by another program) is found through the supplicant: a group interface
    /// (<c>p2p-&lt;interface&gt;-&lt;n&gt;</c>) in <c>INTERFACES</c> on a global control socket, or the configured
    /// interface itself when its <c>STATUS</c> says it runs a group (<c>mode=P2P GO</c> or <c>P2P client</c>, as with
    /// <c>p2p_no_group_iface=1</c>).
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait for the reply.</param>
    /// <returns>A task that completes once the supplicant accepted; the removal arrives through <see cref="P2pConnectionChange"/>.</returns>
    /// <exception cref="WifiP2pException">2801000 with <see cref="WifiP2pFailure.NoGroup"/> when there is no group.</exception>
    public async Task RemoveGroupAsync(CancellationToken cancellationToken = default)
    {
        string groupInterface = CurrentGroup?.Interface
            ?? await FindGroupInterfaceAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new WifiP2pException(WifiP2pErrorCode.OperationFailed, WifiP2pFailure.NoGroup,
                "This device is in no P2P group (none was announced, the supplicant lists no group interface and the interface's STATUS shows no P2P mode).");
        await RemoveGroupAsync(groupInterface, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>P2P_GROUP_REMOVE of the group on <paramref name="groupInterface"/>, known to this object or not.</summary>
    /// <param name="groupInterface">The group's interface (<see cref="WifiP2pGroupInfo.Interface"/>, e.g. <c>p2p-wlan0-0</c>).</param>
    /// <param name="cancellationToken">Cancels the wait for the reply.</param>
    /// <returns>A task that completes once the supplicant accepted.</returns>
    /// <exception cref="ArgumentException"><paramref name="groupInterface"/> is empty.</exception>
    /// <exception cref="WifiP2pException">2801000 when the supplicant refuses (no group there).</exception>
    public Task RemoveGroupAsync(string groupInterface, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(groupInterface);
        return CommandOkAsync(SupplicantCommand.GroupRemove(groupInterface, _options.InterfaceName), cancellationToken);
    }

    /// <summary>A group interface the supplicant runs that this object was not told of, or null.</summary>
    private async Task<string?> FindGroupInterfaceAsync(CancellationToken cancellationToken)
    {
        string interfaces = await RequestAsync("INTERFACES", cancellationToken).ConfigureAwait(false);
        if (SupplicantControl.ReplyKind(interfaces) is not (WpaNative.ReplyFail or WpaNative.ReplyUnknownCommand))
        {
            // Group interfaces are p2p-<interface>-<n> (or p2p-<n> when that name is too long); p2p-dev-<interface> is
            // the P2P device interface, not a group. A global socket may serve several radios: with an interface set,
            // only its own groups count.
            string ours = _options.InterfaceName is { } mine ? $"p2p-{mine}-" : "p2p-";
            foreach (string name in interfaces.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                bool shortForm = name.Length > 4 && name.StartsWith("p2p-", StringComparison.Ordinal) && name.AsSpan(4).IndexOfAnyExceptInRange('0', '9') < 0;
                if ((name.StartsWith(ours, StringComparison.Ordinal) || shortForm) && !name.StartsWith("p2p-dev-", StringComparison.Ordinal))
                {
                    return name;
                }
            }
        }

        if (_options.InterfaceName is not { } own)
        {
            return null; // a per-interface socket: STATUS does not name the interface to remove
        }

        string status = await RequestAsync(SupplicantCommand.Status(own), cancellationToken).ConfigureAwait(false);
        // "P2P GO", "P2P GO - group formation", "P2P client"…
        return SupplicantControl.ReplyValue(status, "mode") is { } mode && mode.StartsWith("P2P ", StringComparison.Ordinal) ? own : null;
    }

    /// <summary><c>getP2pLinkedInfo</c>: connected or not, owner or not, the owner's IP address.</summary>
    /// <returns>The current linked info.</returns>
    public WifiP2pLinkedInfo GetP2pLinkedInfo()
    {
        lock (_stateLock)
        {
            return _tracker.LinkedInfo;
        }
    }

    /// <summary><c>getCurrentGroup</c>: the group this device is in.</summary>
    /// <returns>The group.</returns>
    /// <exception cref="WifiP2pException">2801000 with <see cref="WifiP2pFailure.NoGroup"/> when not in a group.</exception>
    public WifiP2pGroupInfo GetCurrentGroup() =>
        CurrentGroup ?? throw new WifiP2pException(WifiP2pErrorCode.OperationFailed, WifiP2pFailure.NoGroup,
            "This device is in no P2P group: create one (CreateGroupAsync) or connect to a peer (P2pConnectAsync) first.");

    /// <summary>The group this device is in, or null.</summary>
    public WifiP2pGroupInfo? CurrentGroup
    {
        get
        {
            lock (_stateLock)
            {
                return _tracker.Group;
            }
        }
    }

    /// <summary><c>getP2pLocalDevice</c>: this device (its P2P address from STATUS, its name from <c>GET device_name</c>).</summary>
    /// <returns>This device.</returns>
    public WifiP2pDevice GetP2pLocalDevice()
    {
        lock (_stateLock)
        {
            return _tracker.LocalDevice;
        }
    }

    /// <summary>PING → PONG: checks that the supplicant answers, and how fast.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The round-trip time.</returns>
    /// <exception cref="WifiP2pException">2801000 when the supplicant does not answer PONG.</exception>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        string reply = await RequestAsync("PING", cancellationToken).ConfigureAwait(false);
        if (SupplicantControl.ReplyKind(reply) != WpaNative.ReplyPong)
        {
            throw new WifiP2pException(WifiP2pErrorCode.OperationFailed, WifiP2pFailure.Refused, $"PING was answered '{reply.Trim()}', not PONG.");
        }

        return Stopwatch.GetElapsedTime(start);
    }

    /// <summary>The network interfaces the supplicant controls (<c>INTERFACES</c>, on the global socket).</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The interface names; empty when it controls none.</returns>
    /// <exception cref="WifiP2pException">2801000 when refused (a per-interface socket does not know INTERFACES) or gone.</exception>
    public async Task<IReadOnlyList<string>> GetSupplicantInterfacesAsync(CancellationToken cancellationToken = default)
    {
        string reply = await RequestAsync("INTERFACES", cancellationToken).ConfigureAwait(false);
        int kind = SupplicantControl.ReplyKind(reply);
        if (kind is WpaNative.ReplyFail or WpaNative.ReplyUnknownCommand)
        {
            throw new WifiP2pException(WifiP2pErrorCode.OperationFailed, WifiP2pFailure.Refused,
                $"INTERFACES was answered '{reply.Trim()}': it is a command of the global control socket (wpa_supplicant -g).");
        }

        return reply.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>Every event, for one subscriber, until it stops or this object is disposed.</summary>
    /// <param name="cancellationToken">Ends the enumeration.</param>
    /// <returns>The events in order; bounded, the oldest dropped when the subscriber falls behind.</returns>
    public async IAsyncEnumerable<WifiP2pEvent> ReadEventsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateBounded<WifiP2pEvent>(new BoundedChannelOptions(_options.EventQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        }, _ => Interlocked.Increment(ref _droppedEvents));
        lock (_subscribers)
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                yield break;
            }

            _subscribers.Add(channel);
        }

        try
        {
            while (await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (channel.Reader.TryRead(out WifiP2pEvent? e))
                {
                    yield return e;
                }
            }
        }
        finally
        {
            lock (_subscribers)
            {
                _subscribers.Remove(channel);
            }
        }
    }

    /// <summary>Stops the node over the group, closes both control connections (removing their socket files), ends the event streams.</summary>
    /// <returns>A task that completes when everything stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        lock (_stateLock)
        {
            _gone ??= new WifiP2pException(WifiP2pErrorCode.OperationFailed, WifiP2pFailure.Closed, "This WifiP2p was disposed.");
        }

        _stopping.Cancel();
        if (_reader.IsAlive)
        {
            await Task.Run(() => _reader.Join()).ConfigureAwait(false);
        }

        await StopNodeAsync().ConfigureAwait(false);
        SetState(P2pState.Closed);
        _callbackQueue.Writer.TryComplete();
        lock (_subscribers)
        {
            foreach (Channel<WifiP2pEvent> s in _subscribers)
            {
                s.Writer.TryComplete();
            }
        }

        await _callbackPump.ConfigureAwait(false);
        await _commandLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _commands.Dispose();
            _events.Dispose();
        }
        finally
        {
            _commandLock.Release();
        }

        _stopping.Dispose();
    }

    private static void CheckConfig(WifiP2PConfig config)
    {
        if (config.NetId < -2)
        {
            throw Invalid($"NetId {config.NetId}: −1 (temporary), −2 (persistent) or a stored group's id (≥ 0).");
        }

        if (config.Passphrase.Length is > 0 and (< 8 or > 63))
        {
            throw Invalid($"a passphrase has 8 to 63 characters, not {config.Passphrase.Length}.");
        }

        if (System.Text.Encoding.UTF8.GetByteCount(config.GroupName) > 32)
        {
            throw Invalid("a group name (SSID) has at most 32 bytes.");
        }

        if (config.GroupOwnerIntent is < -1 or > 15)
        {
            throw Invalid($"GroupOwnerIntent {config.GroupOwnerIntent}: 0 to 15, or −1 for the default.");
        }

        if (!Enum.IsDefined(config.GoBand))
        {
            throw Invalid($"GoBand {(int)config.GoBand}: 0 auto, 1 2.4 GHz, 2 5 GHz.");
        }

        static WifiP2pException Invalid(string what) =>
            new(WifiP2pErrorCode.InvalidParameter, WifiP2pFailure.InvalidArgument, "Invalid WifiP2PConfig: " + what);
    }

    private static WifiP2pException NoP2pDevice(string command, string? where = null, string reply = "UNKNOWN COMMAND") =>
        new(WifiP2pErrorCode.CapabilityNotSupported, WifiP2pFailure.NoP2pDevice,
            $"wpa_supplicant answered {command} with {reply}: "
            + (where is null ? "it has no P2P-capable interface here. " : $"'{where}' has no P2P device (its STATUS shows no p2p_device_address). ")
            + "P2P needs a Wi-Fi driver with P2P support (nl80211, e.g. 'iw list' shows P2P-GO and P2P-client), "
            + "wpa_supplicant built with CONFIG_P2P, and the interface added (-i wlan0 with p2p enabled in its configuration).");

    /// <summary>
    /// Sends a command that must be answered OK (or data), then applies its consequence to the state. The command
    /// lock is held throughout, and the event thread takes it before applying each event, so the events a command
    /// causes (which the supplicant sends after its reply) come after the command's own consequence.
    /// </summary>
    private async Task CommandOkAsync(string command, CancellationToken cancellationToken, bool acceptData = false,
        Func<P2pTracker, WifiP2pEvent?>? onSuccess = null)
    {
        ThrowIfGone();
        await _commandLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            string reply = await SendLockedAsync(command).ConfigureAwait(false);
            int kind = SupplicantControl.ReplyKind(reply);
            if (!(kind == WpaNative.ReplyOk || (acceptData && kind == WpaNative.ReplyData)))
            {
                string name = SupplicantControl.FirstWord(command);
                if (kind == WpaNative.ReplyUnknownCommand)
                {
                    throw NoP2pDevice(name);
                }

                // An interface without P2P answers P2P commands FAIL; its STATUS then has no P2P device address.
                if (kind == WpaNative.ReplyFail && name.StartsWith("P2P_", StringComparison.Ordinal)
                    && SupplicantControl.ReplyValue(await SendLockedAsync(SupplicantCommand.Status(_options.InterfaceName)).ConfigureAwait(false), "p2p_device_address") is null)
                {
                    throw NoP2pDevice(name, _options.InterfaceName ?? _options.ControlPath, reply.Trim());
                }

                throw new WifiP2pException(WifiP2pErrorCode.OperationFailed, WifiP2pFailure.Refused,
                    $"wpa_supplicant refused {name}: '{reply.Trim()}'.");
            }

            if (onSuccess is not null)
            {
                PublishFromState(onSuccess);
            }
        }
        finally
        {
            _commandLock.Release();
        }
    }

    /// <summary>Sends one command; the caller holds the command lock.</summary>
    private async Task<string> SendLockedAsync(string command)
    {
        ThrowIfGone();
        int timeout = (int)_options.CommandTimeout.TotalMilliseconds;
        try
        {
            return await Task.Run(() => _commands.Request(command, timeout), CancellationToken.None).ConfigureAwait(false);
        }
        catch (WifiP2pException e) when (e.Failure == WifiP2pFailure.SupplicantGone)
        {
            OnGone(e);
            throw;
        }
    }

    private async Task<string> RequestAsync(string command, CancellationToken cancellationToken)
    {
        ThrowIfGone();
        await _commandLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await SendLockedAsync(command).ConfigureAwait(false);
        }
        finally
        {
            _commandLock.Release();
        }
    }

    private void ThrowIfGone()
    {
        WifiP2pException? gone;
        lock (_stateLock)
        {
            gone = _gone;
        }

        if (gone is not null)
        {
            throw new WifiP2pException(gone.Code, gone.Failure, gone.Message, gone);
        }
    }

    /// <summary>The event thread: one blocking receive at a time, a PING after a quiet interval.</summary>
    private void ReadEvents()
    {
        byte[] buffer = new byte[SupplicantControl.BufferSize];
        long lastHeard = Stopwatch.GetTimestamp();
        CancellationToken stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            int n = _events.Receive(buffer, 200);
            if (n == WpaNative.ErrTimeout)
            {
                if (Stopwatch.GetElapsedTime(lastHeard) >= _options.HealthCheckInterval && !stopping.IsCancellationRequested)
                {
                    if (!HealthCheck())
                    {
                        return;
                    }

                    lastHeard = Stopwatch.GetTimestamp();
                }

                continue;
            }

            if (n == WpaNative.ErrTooLong)
            {
                lock (_stateLock)
                {
                    _tracker.Apply(new SupplicantEvent());
                }

                continue;
            }

            if (n < 0)
            {
                OnGone(new WifiP2pException(WifiP2pErrorCode.OperationFailed, WifiP2pFailure.SupplicantGone,
                    $"Reading wpa_supplicant's events failed: {WpaNative.Describe(n)}."));
                return;
            }

            lastHeard = Stopwatch.GetTimestamp();
            SupplicantEvent e = SupplicantEvent.Parse(buffer.AsSpan(0, n));
            // After any command under way has applied its own consequence (see CommandOkAsync).
            _commandLock.Wait();
            try
            {
                OnSupplicantEvent(e);
            }
            finally
            {
                _commandLock.Release();
            }

            if (e.Kind == SupplicantEventKind.Terminating)
            {
                OnGone(new WifiP2pException(WifiP2pErrorCode.OperationFailed, WifiP2pFailure.SupplicantGone,
                    "wpa_supplicant is terminating (CTRL-EVENT-TERMINATING)."));
                return;
            }
        }
    }

    private bool HealthCheck()
    {
        if (!_commandLock.Wait(0))
        {
            return true; // a command is under way: it will notice a supplicant that is gone.
        }

        try
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                return true;
            }

            string reply = _commands.Request("PING", (int)_options.CommandTimeout.TotalMilliseconds);
            return SupplicantControl.ReplyKind(reply) == WpaNative.ReplyPong || Gone($"PING was answered '{reply.Trim()}'");
        }
        catch (WifiP2pException e)
        {
            return Gone(e.Message);
        }
        finally
        {
            _commandLock.Release();
        }

        bool Gone(string why)
        {
            OnGone(new WifiP2pException(WifiP2pErrorCode.OperationFailed, WifiP2pFailure.SupplicantGone,
                $"wpa_supplicant at '{_options.ControlPath}' stopped answering: {why}"));
            return false;
        }
    }

    private void OnSupplicantEvent(SupplicantEvent e)
    {
        IReadOnlyList<WifiP2pEvent> events;
        WifiP2pGroupInfo? before, after;
        lock (_stateLock)
        {
            before = _tracker.Group;
            events = _tracker.Apply(e);
            after = _tracker.Group;
        }

        foreach (WifiP2pEvent p in events)
        {
            Publish(p);
        }

        if (before is not null && (after is null || after.Interface != before.Interface))
        {
            _ = StopNodeAsync();
        }

        if (after is not null && (before is null || after.Interface != before.Interface))
        {
            StartNode(after);
        }
    }

    private void OnGone(WifiP2pException reason)
    {
        IReadOnlyList<WifiP2pEvent> events;
        lock (_stateLock)
        {
            if (_gone is not null)
            {
                return;
            }

            _gone = reason;
            events = _tracker.Gone("SUPPLICANT_GONE");
        }

        foreach (WifiP2pEvent e in events)
        {
            Publish(e);
        }

        _ = StopNodeAsync();
        SetState(P2pState.Closed);
    }

    private void SetState(P2pState state)
    {
        lock (_stateLock)
        {
            if (_state == state)
            {
                return;
            }

            _state = state;
        }

        Publish(new WifiP2pEvent { Kind = WifiP2pEventKind.StateChange, State = state });
    }

    private void StartNode(WifiP2pGroupInfo group)
    {
        Func<PeerNodeOptions>? factory = _options.Node;
        if (factory is null || Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        var stop = new CancellationTokenSource();
        CancellationTokenSource? previous = Interlocked.Exchange(ref _nodeStop, stop);
        previous?.Cancel();
        Task prior = _nodeTask;
        _nodeTask = Task.Run(async () =>
        {
            await prior.ConfigureAwait(false);
            try
            {
                GroupNodeStarter.Started started = await GroupNodeStarter.StartAsync(group, _options, factory, stop.Token).ConfigureAwait(false);
                if (stop.IsCancellationRequested)
                {
                    await started.Node.DisposeAsync().ConfigureAwait(false);
                    return;
                }

                Volatile.Write(ref _node, started.Node);
                PublishFromState(t => t.AddressesResolved(started.OwnAddress, started.OwnerAddress));
                Publish(new WifiP2pEvent { Kind = WifiP2pEventKind.GroupNodeStarted, Node = started.Node, Group = group });
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                Publish(new WifiP2pEvent { Kind = WifiP2pEventKind.GroupNodeFailed, Error = e, Group = group });
            }
            catch (Exception)
            {
                // The group went away while the node was starting.
            }
        });
    }

    private async Task StopNodeAsync()
    {
        Interlocked.Exchange(ref _nodeStop, null)?.Cancel();
        try
        {
            await _nodeTask.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Reported through GroupNodeFailed already.
        }

        PeerNode? node = Interlocked.Exchange(ref _node, null);
        if (node is not null)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void PublishFromState(Func<P2pTracker, WifiP2pEvent?> change)
    {
        WifiP2pEvent? e;
        lock (_stateLock)
        {
            e = change(_tracker);
        }

        if (e is not null)
        {
            Publish(e);
        }
    }

    private void Publish(WifiP2pEvent e)
    {
        _callbackQueue.Writer.TryWrite(e);
        lock (_subscribers)
        {
            foreach (Channel<WifiP2pEvent> s in _subscribers)
            {
                s.Writer.TryWrite(e);
            }
        }
    }

    private async Task PumpCallbacksAsync()
    {
        await foreach (WifiP2pEvent e in _callbackQueue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                switch (e.Kind)
                {
                    case WifiP2pEventKind.StateChange: P2pStateChange?.Invoke(this, e.State); break;
                    case WifiP2pEventKind.ConnectionChange: P2pConnectionChange?.Invoke(this, e.LinkedInfo!); break;
                    case WifiP2pEventKind.DeviceChange: P2pDeviceChange?.Invoke(this, e.Device!); break;
                    case WifiP2pEventKind.PeerDeviceChange: P2pPeerDeviceChange?.Invoke(this, e.Devices); break;
                    case WifiP2pEventKind.PersistentGroupChange: P2pPersistentGroupChange?.Invoke(this, EventArgs.Empty); break;
                    case WifiP2pEventKind.DiscoveryChange: P2pDiscoveryChange?.Invoke(this, e.DiscoveryState); break;
                    case WifiP2pEventKind.GroupNodeStarted: GroupNodeStarted?.Invoke(this, e.Node!); break;
                    case WifiP2pEventKind.GroupNodeFailed: GroupNodeFailed?.Invoke(this, e.Error!); break;
                }
            }
            catch (Exception)
            {
                // A throwing callback does not stop the others (as PeerNode's events).
            }
        }
    }
}
