using System.CommandLine;
using PeerKit.WifiDirect;

namespace PeerKit.Cli.Commands;

/// <summary>
/// <c>peerkit wifi-direct status|peers|group add|group remove|connect</c>: OpenHarmony's Wi-Fi P2P verbs against
/// wpa_supplicant's control socket (<c>--control PATH</c>). A <see cref="WifiP2pException"/> is one line with
/// OpenHarmony's error code. See docs/wifi-direct.md.
/// </summary>
public static class WifiDirectCommand
{
    /// <summary>The exit code of a P2P failure: no supplicant or no P2P device is 4, a bad argument 2, anything else 1.</summary>
    public static int ExitCode(WifiP2pException e) => e.Failure switch
    {
        WifiP2pFailure.SupplicantUnreachable or WifiP2pFailure.SupplicantGone or WifiP2pFailure.NoP2pDevice or WifiP2pFailure.NativeRuntimeMissing => ExitCodes.Unavailable,
        WifiP2pFailure.InvalidArgument => ExitCodes.Usage,
        _ => ExitCodes.Failure,
    };

    // Options every wifi-direct verb takes (recursive, so they may come before or after the sub-verb).
    private static readonly Option<string> s_control = new("--control") { Description = "wpa_supplicant's control socket", DefaultValueFactory = _ => "/run/wpa_supplicant/wlan0", Recursive = true };
    private static readonly Option<string?> s_interface = new("--interface") { Description = "On the global control socket (wpa_supplicant -g), the P2P interface to address", Recursive = true };
    private static readonly Option<TimeSpan> s_timeout = new("--timeout") { Description = "Give up after this long (e.g. 00:00:30)", DefaultValueFactory = _ => TimeSpan.FromSeconds(30), Recursive = true };

    public static Command Create()
    {
        var command = new Command("wifi-direct", "Wi-Fi Direct (P2P) through wpa_supplicant: status, peers, groups, connect")
        {
            CreateStatus(),
            CreatePeers(),
            CreateGroup(),
            CreateConnect(),
        };
        command.Options.Add(s_control);
        command.Options.Add(s_interface);
        command.Options.Add(s_timeout);
        return command;
    }

    private static async Task<WifiP2p> OpenAsync(ParseResult result, CancellationToken cancellationToken) =>
        await WifiP2p.OpenAsync(new WifiP2pOptions
        {
            ControlPath = Path.GetFullPath(result.GetValue(s_control)!),
            InterfaceName = result.GetValue(s_interface),
        }, cancellationToken);

    private static CancellationTokenSource Deadline(ParseResult result, CancellationToken cancellationToken)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(result.GetValue(s_timeout));
        return cts;
    }

    private static Command CreateStatus()
    {
        var command = new Command("status", "This device, the P2P state, the link and the current group; checks the supplicant answers");
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = new CliOutput(result.GetValue(CliOptions.Json));
            using CancellationTokenSource cts = Deadline(result, cancellationToken);
            await using WifiP2p p2p = await OpenAsync(result, cts.Token);
            TimeSpan rtt = await p2p.PingAsync(cts.Token);
            WifiP2pDevice me = p2p.GetP2pLocalDevice();
            WifiP2pLinkedInfo link = p2p.GetP2pLinkedInfo();
            WifiP2pGroupInfo? group = p2p.CurrentGroup;
            string linked = link.ConnectState == P2pConnectState.Connected
                ? $"connected{(link.IsGroupOwner ? " as group owner" : "")}, owner {link.GroupOwnerAddr}"
                : "not in a group";
            output.Write($"device \"{me.DeviceName}\" {me.DeviceAddress}, p2p {p2p.State.ToString().ToLowerInvariant()}, {linked}, supplicant answered in {rtt.TotalMilliseconds:0.###} ms",
                new
                {
                    @event = "status",
                    device_name = me.DeviceName,
                    device_address = me.DeviceAddress,
                    state = p2p.State.ToString(),
                    connect_state = link.ConnectState.ToString(),
                    is_group_owner = link.IsGroupOwner,
                    group_owner_addr = link.GroupOwnerAddr,
                    group = group is null ? null : GroupRecord(group),
                    ping_ms = rtt.TotalMilliseconds,
                });
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command CreatePeers()
    {
        var discover = new Option<TimeSpan>("--discover") { Description = "Search for devices this long before listing (0: list the supplicant's table only)", DefaultValueFactory = _ => TimeSpan.FromSeconds(3) };
        var command = new Command("peers", "Discover P2P devices and list them: address, name, type, status, group owner") { discover };
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = new CliOutput(result.GetValue(CliOptions.Json));
            using CancellationTokenSource cts = Deadline(result, cancellationToken);
            await using WifiP2p p2p = await OpenAsync(result, cts.Token);
            TimeSpan search = result.GetValue(discover);
            if (search > TimeSpan.Zero)
            {
                await p2p.StartDiscoverDevicesAsync(cts.Token);
                try
                {
                    await Task.Delay(search, cts.Token);
                }
                finally
                {
                    await p2p.StopDiscoverDevicesAsync(CancellationToken.None);
                }
            }

            IReadOnlyList<WifiP2pDevice> devices = await p2p.GetP2pPeerDevicesAsync(cts.Token);
            foreach (WifiP2pDevice d in devices)
            {
                output.Write($"{d.DeviceAddress}  \"{d.DeviceName}\"  {d.PrimaryDeviceType}  {d.DeviceStatus.ToString().ToLowerInvariant()}{(d.IsGroupOwner ? "  group owner" : "")}",
                    new { @event = "peer", device_address = d.DeviceAddress, device_name = d.DeviceName, primary_device_type = d.PrimaryDeviceType, device_status = d.DeviceStatus.ToString(), is_group_owner = d.IsGroupOwner, group_capabilities = d.GroupCapabilities });
            }

            output.Write($"{devices.Count} peer{(devices.Count == 1 ? "" : "s")}", new { @event = "peers", count = devices.Count });
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command CreateGroup()
    {
        var persistent = new Option<bool>("--persistent") { Description = "A persistent group (reconnects skip negotiation)" };
        var band = new Option<GroupOwnerBand>("--band") { Description = "The owner's band", DefaultValueFactory = _ => GroupOwnerBand.Auto };
        var hold = new Option<bool>("--hold") { Description = "Keep the group until Ctrl+C (or --for), printing clients as they join and leave, then remove it" };
        var duration = new Option<TimeSpan?>("--for") { Description = "With --hold: remove the group after this long" };
        var add = new Command("add", "Create a group with this device as owner, and wait until it is up") { persistent, band, hold, duration };
        add.SetAction(async (result, cancellationToken) =>
        {
            var output = new CliOutput(result.GetValue(CliOptions.Json));
            // One token for the whole verb: the --timeout while the group starts, then (with --hold) Ctrl+C or --for.
            using var life = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            life.CancelAfter(result.GetValue(s_timeout));
            await using WifiP2p p2p = await OpenAsync(result, life.Token);
            IAsyncEnumerator<WifiP2pEvent> events = p2p.ReadEventsAsync(life.Token).GetAsyncEnumerator(life.Token);
            ValueTask<bool> pending = events.MoveNextAsync(); // subscribes before the command is sent: the event cannot be missed
            await p2p.CreateGroupAsync(new WifiP2PConfig
            {
                NetId = result.GetValue(persistent) ? WifiP2PConfig.PersistentNetId : WifiP2PConfig.TemporaryNetId,
                GoBand = result.GetValue(band),
            }, life.Token);
            WifiP2pEvent e = await AwaitChangeAsync(NextConnectionChangeAsync(events, pending), result, "P2P_GROUP_ADD", "no group started");
            WifiP2pGroupInfo group = e.Group ?? throw new CliException($"the group did not start{(e.Reason.Length > 0 ? $": {e.Reason}" : "")}");
            WriteGroup(output, "group_started", "group started", group);
            if (!result.GetValue(hold))
            {
                return ExitCodes.Ok;
            }

            life.CancelAfter(result.GetValue(duration) ?? Timeout.InfiniteTimeSpan);
            try
            {
                while (await events.MoveNextAsync())
                {
                    if (events.Current is { Kind: WifiP2pEventKind.ConnectionChange } change)
                    {
                        if (change.Group is not { } now)
                        {
                            throw new CliException($"the group was removed{(change.Reason.Length > 0 ? $": {change.Reason}" : "")}");
                        }

                        string clients = now.ClientDevices.Count == 0 ? "no clients" : string.Join(", ", now.ClientDevices.Select(c => c.DeviceAddress));
                        output.Write($"group {now.Interface}: {clients}", new { @event = "group_changed", group = GroupRecord(now) });
                    }
                }
            }
            catch (OperationCanceledException) when (life.IsCancellationRequested)
            {
            }

            using var removing = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await p2p.RemoveGroupAsync(removing.Token);
            output.Write($"group {group.Interface} removed", new { @event = "group_removed", @interface = group.Interface });
            return ExitCodes.Ok;
        });

        var remove = new Command("remove", "Remove the group this device is in");
        remove.SetAction(async (result, cancellationToken) =>
        {
            var output = new CliOutput(result.GetValue(CliOptions.Json));
            using CancellationTokenSource cts = Deadline(result, cancellationToken);
            await using WifiP2p p2p = await OpenAsync(result, cts.Token);
            string name = p2p.GetCurrentGroup().Interface;
            await p2p.RemoveGroupAsync(cts.Token);
            output.Write($"group {name} removed", new { @event = "group_removed", @interface = name });
            return ExitCodes.Ok;
        });

        return new Command("group", "Create or remove a P2P group") { add, remove };
    }

    private static Command CreateConnect()
    {
        var address = new Argument<string>("address") { Description = "The peer's P2P device address, xx:xx:xx:xx:xx:xx (see `peerkit wifi-direct peers`)" };
        var persistent = new Option<bool>("--persistent") { Description = "Form a persistent group" };
        var intent = new Option<int>("--go-intent") { Description = "How much this device wants to own the group, 0 to 15 (-1: the supplicant's default)", DefaultValueFactory = _ => -1 };
        var command = new Command("connect", "Connect to a peer (push button) and wait for the group") { address, persistent, intent };
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = new CliOutput(result.GetValue(CliOptions.Json));
            using CancellationTokenSource cts = Deadline(result, cancellationToken);
            await using WifiP2p p2p = await OpenAsync(result, cts.Token);
            // The peer table first: joining a peer that already owns a group needs to know it does.
            _ = await p2p.GetP2pPeerDevicesAsync(cts.Token);
            IAsyncEnumerator<WifiP2pEvent> events = p2p.ReadEventsAsync(cts.Token).GetAsyncEnumerator(cts.Token);
            ValueTask<bool> pending = events.MoveNextAsync(); // subscribes before the command is sent: the event cannot be missed
            await p2p.P2pConnectAsync(new WifiP2PConfig
            {
                DeviceAddress = result.GetValue(address)!,
                NetId = result.GetValue(persistent) ? WifiP2PConfig.PersistentNetId : WifiP2PConfig.TemporaryNetId,
                GroupOwnerIntent = result.GetValue(intent),
            }, cts.Token);
            WifiP2pEvent e = await AwaitChangeAsync(NextConnectionChangeAsync(events, pending), result, "P2P_CONNECT", "no connection");
            if (e.Group is not { } group || e.LinkedInfo is not { ConnectState: P2pConnectState.Connected })
            {
                throw new CliException($"the connection to {result.GetValue(address)} failed{(e.Reason.Length > 0 ? $": {e.Reason}" : "")}", ExitCodes.Unreachable);
            }

            WriteGroup(output, "connected", $"connected to {result.GetValue(address)}:", group);
            return ExitCodes.Ok;
        });
        return command;
    }

    // The first connection change on an event stream whose first MoveNextAsync (which subscribes) is pending.
    private static async Task<WifiP2pEvent> NextConnectionChangeAsync(IAsyncEnumerator<WifiP2pEvent> events, ValueTask<bool> pending)
    {
        bool more = await pending;
        while (more)
        {
            if (events.Current.Kind == WifiP2pEventKind.ConnectionChange)
            {
                return events.Current;
            }

            more = await events.MoveNextAsync();
        }

        throw new WifiP2pException(WifiP2pErrorCode.OperationFailed, WifiP2pFailure.SupplicantGone, "The supplicant went away before the group changed.");
    }

    private static async Task<WifiP2pEvent> AwaitChangeAsync(Task<WifiP2pEvent> change, ParseResult result, string command, string what)
    {
        try
        {
            return await change;
        }
        catch (OperationCanceledException)
        {
            throw new CliException($"the supplicant accepted {command} but {what} within {result.GetValue(s_timeout)} (see --timeout)");
        }
    }

    private static object GroupRecord(WifiP2pGroupInfo g) => new
    {
        @interface = g.Interface,
        group_name = g.GroupName,
        is_p2p_go = g.IsP2pGo,
        owner_address = g.OwnerInfo.DeviceAddress,
        passphrase = g.Passphrase,
        frequency = g.Frequency,
        network_id = g.NetworkId,
        go_ip_address = g.GoIpAddress,
        gc_ip_address = g.GcIpAddress,
        clients = g.ClientDevices.Select(c => c.DeviceAddress).ToArray(),
    };

    private static void WriteGroup(CliOutput output, string @event, string title, WifiP2pGroupInfo g)
    {
        string role = g.IsP2pGo ? "owner" : $"client of {g.OwnerInfo.DeviceAddress}";
        output.Write($"{title} {g.Interface} \"{g.GroupName}\" ({role}, {g.Frequency} MHz{(g.Passphrase.Length > 0 ? $", passphrase {g.Passphrase}" : "")})",
            new { @event, group = GroupRecord(g) });
    }
}
