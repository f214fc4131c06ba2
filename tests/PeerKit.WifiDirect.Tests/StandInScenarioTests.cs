using PeerKit.WifiDirect.Tests.Support;

namespace PeerKit.WifiDirect.Tests;

/// <summary>
/// The OpenHarmony-style API against a stand-in wpa_supplicant process speaking the real control protocol with
/// real event lines.
/// </summary>
public sealed class StandInScenarioTests
{
    private const string Bob = "02:00:00:00:02:00";
    private const string Carol = "02:00:00:00:03:00";

    private const string Discovery = """
        device 02:00:00:00:01:00 "alpha"
        peer 02:00:00:00:02:00 10-0050F204-5 0x0 Bob's phone
        peer 02:00:00:00:03:00 1-0050F204-1 0x9 Carol
        on P2P_FIND
          reply OK
          emit <3>P2P-DEVICE-FOUND 02:00:00:00:02:00 p2p_dev_addr=02:00:00:00:02:00 pri_dev_type=10-0050F204-5 name='Bob's phone' config_methods=0x188 dev_capab=0x25 group_capab=0x0 new=1 pcea_cap_info=0x0 bootstrap_methods=0x0 pasn_type=0x0
          emit <3>P2P-DEVICE-FOUND 02:00:00:00:03:00 p2p_dev_addr=02:00:00:00:03:00 pri_dev_type=1-0050F204-1 name='Carol' config_methods=0x18c dev_capab=0x1 group_capab=0x9
        on P2P_STOP_FIND
          reply OK
          emit <3>P2P-DEVICE-LOST p2p_dev_addr=02:00:00:00:03:00
          emit <3>P2P-FIND-STOPPED 
        """;

    [Fact]
    public async Task Discovery_reports_found_and_lost_devices_and_walks_the_peer_table()
    {
        using StandInProcess standIn = StandInProcess.Start(Discovery);
        await using WifiP2p p2p = await WifiP2p.OpenAsync(standIn.Options());
        await using var log = new EventLog(p2p);
        var handlerSaw = new List<IReadOnlyList<WifiP2pDevice>>();
        p2p.P2pPeerDeviceChange += (_, devices) => { lock (handlerSaw) { handlerSaw.Add(devices); } };

        Assert.Equal(new WifiP2pDevice("alpha", "02:00:00:00:01:00", "", P2pDeviceStatus.Available, 0), p2p.GetP2pLocalDevice());
        await p2p.StartDiscoverDevicesAsync();
        await log.WaitAsync(e => e.Kind == WifiP2pEventKind.DiscoveryChange && e.DiscoveryState == P2pDiscoveryState.Started, "discovery started");
        WifiP2pEvent both = await log.WaitAsync(e => e.Kind == WifiP2pEventKind.PeerDeviceChange && e.Devices.Count == 2, "two peers");
        Assert.Equal(["Bob's phone", "Carol"], both.Devices.Select(d => d.DeviceName));
        Assert.All(both.Devices, d => Assert.Equal(P2pDeviceStatus.Available, d.DeviceStatus));
        Assert.True(both.Devices[1].IsGroupOwner);

        IReadOnlyList<WifiP2pDevice> table = await p2p.GetP2pPeerDevicesAsync();
        Assert.Equal([Bob, Carol], table.Select(d => d.DeviceAddress));
        Assert.Equal("10-0050F204-5", table[0].PrimaryDeviceType);
        Assert.Equal(9, table[1].GroupCapabilities);

        await p2p.StopDiscoverDevicesAsync();
        WifiP2pEvent lost = await log.WaitAsync(e => e.Kind == WifiP2pEventKind.PeerDeviceChange && e.Devices.Count == 1, "Carol lost");
        Assert.Equal(Bob, lost.Devices[0].DeviceAddress);
        await log.WaitAsync(e => e.Kind == WifiP2pEventKind.DiscoveryChange && e.DiscoveryState == P2pDiscoveryState.Stopped, "discovery stopped");
        Assert.Single(log.Events, e => e.Kind == WifiP2pEventKind.DiscoveryChange && e.DiscoveryState == P2pDiscoveryState.Stopped);

        // PINGs (the health check) may come in between; everything else in this order.
        Assert.Equal(["ATTACH", "STATUS", "GET device_name", "P2P_FIND", "P2P_PEER FIRST", $"P2P_PEER NEXT-{Bob}", $"P2P_PEER NEXT-{Carol}", "P2P_STOP_FIND"],
            standIn.Commands().Where(c => c != "PING"));
        Assert.Equal("PING", standIn.Commands()[0]);

        // The .NET event saw the same lists as the stream.
        await WaitUntil(() => { lock (handlerSaw) { return handlerSaw.Count >= 2; } });
        lock (handlerSaw)
        {
            Assert.Contains(handlerSaw, l => l.Count == 2);
        }
    }

    [Fact]
    public async Task Go_negotiation_success_joins_a_client_group_with_its_ip_addresses()
    {
        using StandInProcess standIn = StandInProcess.Start(Discovery + """

            on P2P_CONNECT
              reply OK
              emit <3>P2P-GO-NEG-SUCCESS role=client freq=2437 ht40=0 peer_dev=02:00:00:00:02:00 peer_iface=02:00:00:00:02:01 wps_method=PBC
              emit <3>P2P-GROUP-FORMATION-SUCCESS 
              emit <3>P2P-GROUP-STARTED p2p-wlan0-0 client ssid="DIRECT-9b" freq=2437 psk=6f4c2a2e55c0f4f1f9d4bc7d0b2b7a6c2c8e4e0d4a0f8c3c9b1d6f2a3e4b5c6d go_dev_addr=02:00:00:00:02:00 ip_addr=192.168.49.10 ip_mask=255.255.255.0 go_ip_addr=192.168.49.1
            """);
        await using WifiP2p p2p = await WifiP2p.OpenAsync(standIn.Options());
        await using var log = new EventLog(p2p);
        await p2p.StartDiscoverDevicesAsync();
        await log.WaitAsync(e => e.Kind == WifiP2pEventKind.PeerDeviceChange && e.Devices.Count == 2, "two peers");

        await p2p.P2pConnectAsync(new WifiP2PConfig { DeviceAddress = Bob, NetId = WifiP2PConfig.PersistentNetId });
        await log.WaitAsync(e => e.Kind == WifiP2pEventKind.PeerDeviceChange && e.Devices.Any(d => d.DeviceStatus == P2pDeviceStatus.Invited), "Bob invited");
        WifiP2pEvent linked = await log.WaitAsync(e => e.Kind == WifiP2pEventKind.ConnectionChange, "connection change");

        Assert.Equal(new WifiP2pLinkedInfo(P2pConnectState.Connected, false, "192.168.49.1"), linked.LinkedInfo);
        Assert.Equal(linked.LinkedInfo, p2p.GetP2pLinkedInfo());
        WifiP2pGroupInfo group = p2p.GetCurrentGroup();
        Assert.Equal(("p2p-wlan0-0", "DIRECT-9b", 2437, false), (group.Interface, group.GroupName, group.Frequency, group.IsP2pGo));
        Assert.Equal(("192.168.49.1", "192.168.49.10"), (group.GoIpAddress, group.GcIpAddress));
        Assert.Equal(Bob, group.OwnerInfo.DeviceAddress);
        Assert.Equal("Bob's phone", group.OwnerInfo.DeviceName);
        Assert.Equal(P2pDeviceStatus.Connected, p2p.GetP2pLocalDevice().DeviceStatus);
        Assert.Contains(standIn.Commands(), c => c == $"P2P_CONNECT {Bob} pbc persistent");
        Assert.Null(p2p.GroupNode); // no Node options: no node
    }

    [Fact]
    public async Task Connecting_to_a_group_owner_joins_its_group()
    {
        using StandInProcess standIn = StandInProcess.Start(Discovery + """

            on P2P_CONNECT
              reply OK
            """);
        await using WifiP2p p2p = await WifiP2p.OpenAsync(standIn.Options());
        await using var log = new EventLog(p2p);
        await p2p.StartDiscoverDevicesAsync();
        await log.WaitAsync(e => e.Kind == WifiP2pEventKind.PeerDeviceChange && e.Devices.Count == 2, "two peers");
        // Carol owns a group (group_capab bit 0), so connecting to her joins it.
        await p2p.P2pConnectAsync(new WifiP2PConfig { DeviceAddress = Carol, GroupOwnerIntent = 0 });
        Assert.Contains($"P2P_CONNECT {Carol} pbc join go_intent=0", standIn.Commands());
    }

    [Fact]
    public async Task Go_negotiation_failure_reports_the_status_and_marks_the_device_failed()
    {
        using StandInProcess standIn = StandInProcess.Start(Discovery + """

            on P2P_CONNECT
              reply OK
              emit <3>P2P-GO-NEG-FAILURE status=1
            """);
        await using WifiP2p p2p = await WifiP2p.OpenAsync(standIn.Options());
        await using var log = new EventLog(p2p);
        await p2p.StartDiscoverDevicesAsync();
        await log.WaitAsync(e => e.Kind == WifiP2pEventKind.PeerDeviceChange && e.Devices.Count == 2, "two peers");
        await p2p.P2pConnectAsync(new WifiP2PConfig { DeviceAddress = Bob });

        WifiP2pEvent failed = await log.WaitAsync(e => e.Kind == WifiP2pEventKind.ConnectionChange, "connection change");
        Assert.Equal("status=1", failed.Reason);
        Assert.Equal(WifiP2pLinkedInfo.Disconnected, failed.LinkedInfo);
        await log.WaitAsync(e => e.Kind == WifiP2pEventKind.PeerDeviceChange && e.Devices.Any(d => d.DeviceAddress == Bob && d.DeviceStatus == P2pDeviceStatus.Failed), "Bob failed");
        Assert.Null(p2p.CurrentGroup);
        WifiP2pException none = Assert.Throws<WifiP2pException>(() => p2p.GetCurrentGroup());
        Assert.Equal((WifiP2pErrorCode.OperationFailed, WifiP2pFailure.NoGroup), (none.Code, none.Failure));
        Assert.Equal(2801000, none.HResult);
    }

    private const string Owner = """
        device 02:00:00:00:01:00 "alpha"
        on P2P_GROUP_ADD
          reply OK
          emit <3>P2P-GROUP-STARTED p2p-wlan0-0 GO ssid="DIRECT-3F Testing" freq=5180 passphrase="12345678" go_dev_addr=02:00:00:00:01:00 [PERSISTENT]
        on P2P_GROUP_REMOVE p2p-wlan0-0
          reply OK
          emit <3>P2P-GROUP-REMOVED p2p-wlan0-0 GO reason=REQUESTED
        """;

    [Fact]
    public async Task Persistent_group_is_created_reported_and_removed_with_a_reason()
    {
        using StandInProcess standIn = StandInProcess.Start(Owner);
        await using WifiP2p p2p = await WifiP2p.OpenAsync(standIn.Options());
        await using var log = new EventLog(p2p);
        var persistentChanges = 0;
        p2p.P2pPersistentGroupChange += (_, _) => Interlocked.Increment(ref persistentChanges);

        await p2p.CreateGroupAsync(new WifiP2PConfig
        {
            DeviceAddress = "00:11:22:33:44:55", DeviceAddressType = DeviceAddressType.RealDeviceAddress,
            NetId = WifiP2PConfig.PersistentNetId, Passphrase = "12345678", GroupName = "testGroup", GoBand = GroupOwnerBand.Band5GHz,
        });
        await log.WaitAsync(e => e.Kind == WifiP2pEventKind.PersistentGroupChange, "persistent group change");
        await WaitUntil(() => Volatile.Read(ref persistentChanges) == 1);
        WifiP2pGroupInfo group = p2p.GetCurrentGroup();
        Assert.True(group.IsP2pGo);
        Assert.Equal((WifiP2PConfig.PersistentNetId, "12345678", "DIRECT-3F Testing", 5180), (group.NetworkId, group.Passphrase, group.GroupName, group.Frequency));
        Assert.True(p2p.GetP2pLinkedInfo().IsGroupOwner);
        Assert.Contains("P2P_GROUP_ADD persistent freq=5", standIn.Commands());

        await p2p.RemoveGroupAsync();
        WifiP2pEvent removed = await log.WaitAsync(e => e.Kind == WifiP2pEventKind.ConnectionChange && e.LinkedInfo!.ConnectState == P2pConnectState.Disconnected, "group removed");
        Assert.Equal("REQUESTED", removed.Reason);
        Assert.Null(p2p.CurrentGroup);
        Assert.Contains("P2P_GROUP_REMOVE p2p-wlan0-0", standIn.Commands());
    }

    [Fact]
    public async Task A_group_started_before_this_client_attached_is_found_through_INTERFACES_and_removed()
    {
        // The group was up before: no P2P-GROUP-STARTED reached this client, so it knows no current group.
        using StandInProcess standIn = StandInProcess.Start("""
            on INTERFACES
              reply wlan0\np2p-dev-wlan0\np2p-wlan0-3
            on P2P_GROUP_REMOVE p2p-wlan0-3
              reply OK
            """);
        await using WifiP2p p2p = await WifiP2p.OpenAsync(standIn.Options());
        Assert.Null(p2p.CurrentGroup);
        await p2p.RemoveGroupAsync();
        Assert.Contains("P2P_GROUP_REMOVE p2p-wlan0-3", standIn.Commands());
        Assert.DoesNotContain(standIn.Commands(), c => c.StartsWith("P2P_GROUP_REMOVE p2p-dev", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_no_group_anywhere_RemoveGroupAsync_says_NoGroup_and_sends_no_remove()
    {
        using StandInProcess standIn = StandInProcess.Start("""
            on INTERFACES
              reply wlan0\np2p-dev-wlan0
            """);
        await using WifiP2p p2p = await WifiP2p.OpenAsync(standIn.Options());
        WifiP2pException none = await Assert.ThrowsAsync<WifiP2pException>(() => p2p.RemoveGroupAsync());
        Assert.Equal((WifiP2pErrorCode.OperationFailed, WifiP2pFailure.NoGroup), (none.Code, none.Failure));
        Assert.DoesNotContain(standIn.Commands(), c => c.StartsWith("P2P_GROUP_REMOVE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Another_radios_group_on_the_same_global_socket_is_not_removed()
    {
        using StandInProcess standIn = StandInProcess.Start("""
            on INTERFACES
              reply wlan1\np2p-dev-wlan1\np2p-wlan1-0\nwlan0
            """);
        WifiP2pOptions options = standIn.Options();
        options.InterfaceName = "wlan0";
        await using WifiP2p p2p = await WifiP2p.OpenAsync(options);
        WifiP2pException none = await Assert.ThrowsAsync<WifiP2pException>(() => p2p.RemoveGroupAsync());
        Assert.Equal(WifiP2pFailure.NoGroup, none.Failure);
        Assert.DoesNotContain(standIn.Commands(), c => c.Contains("P2P_GROUP_REMOVE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_group_on_the_interface_itself_is_found_through_its_STATUS_mode()
    {
        // p2p_no_group_iface=1: the group runs on wlan0 itself, which STATUS shows (here while it still forms).
        using StandInProcess standIn = StandInProcess.Start("""
            on INTERFACES
              reply wlan0\np2p-dev-wlan0
            on STATUS
              reply wpa_state=COMPLETED\nmode=P2P GO - group formation\np2p_device_address=02:00:00:00:01:00
            on P2P_GROUP_REMOVE wlan0
              reply OK
            """);
        WifiP2pOptions options = standIn.Options();
        options.InterfaceName = "wlan0";
        await using WifiP2p p2p = await WifiP2p.OpenAsync(options);
        await p2p.RemoveGroupAsync();
        Assert.Contains(standIn.Commands(), c => c.EndsWith("P2P_GROUP_REMOVE wlan0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_group_interface_named_by_the_caller_is_removed_even_when_unknown_here()
    {
        using StandInProcess standIn = StandInProcess.Start(Owner);
        await using WifiP2p p2p = await WifiP2p.OpenAsync(standIn.Options());
        await p2p.RemoveGroupAsync("p2p-wlan0-0");
        Assert.Contains("P2P_GROUP_REMOVE p2p-wlan0-0", standIn.Commands());
        await Assert.ThrowsAsync<ArgumentException>(() => p2p.RemoveGroupAsync(" "));
    }

    [Fact]
    public async Task Group_owner_cannot_initiate_a_connection()
    {
        using StandInProcess standIn = StandInProcess.Start(Owner);
        await using WifiP2p p2p = await WifiP2p.OpenAsync(standIn.Options());
        await using var log = new EventLog(p2p);
        await p2p.CreateGroupAsync(new WifiP2PConfig());
        await log.WaitAsync(e => e.Kind == WifiP2pEventKind.ConnectionChange, "group started");
        Assert.Contains("P2P_GROUP_ADD", standIn.Commands());

        WifiP2pException e = await Assert.ThrowsAsync<WifiP2pException>(() => p2p.P2pConnectAsync(new WifiP2PConfig { DeviceAddress = Bob }));
        Assert.Equal((WifiP2pErrorCode.OperationFailed, WifiP2pFailure.GroupOwnerCannotConnect), (e.Code, e.Failure));
        Assert.Contains("group owner cannot initiate a connection", e.Message);
        Assert.DoesNotContain(standIn.Commands(), c => c.StartsWith("P2P_CONNECT", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unknown_malformed_and_oversized_events_change_nothing()
    {
        string huge = "<3>P2P-DEVICE-FOUND 02:00:00:00:09:00 name='" + new string('x', 20_000) + "'";
        using StandInProcess standIn = StandInProcess.Start($"""
            on P2P_FIND
              reply OK
              emit <3>CTRL-EVENT-SCAN-STARTED 
              emit <3>P2P-SOMETHING-NEW a=1 b='2 3'
              emit <3>P2P-GROUP-STARTED
              emit <3>P2P-DEVICE-FOUND 02:00:00:00:0 p2p_dev_addr=zz name='unterminated
              emit garbage without a level
              emit {huge}
              emit <3>P2P-GROUP-REMOVED p2p-wlan9-9 GO reason=IDLE
              emit <3>P2P-DEVICE-FOUND 02:00:00:00:02:00 p2p_dev_addr=02:00:00:00:02:00 pri_dev_type=10-0050F204-5 name='Bob' config_methods=0x188 dev_capab=0x25 group_capab=0x0 some_future_field="with spaces" [FLAG]
            """);
        await using WifiP2p p2p = await WifiP2p.OpenAsync(standIn.Options());
        await using var log = new EventLog(p2p);
        await p2p.StartDiscoverDevicesAsync();
        WifiP2pEvent found = await log.WaitAsync(e => e.Kind == WifiP2pEventKind.PeerDeviceChange, "Bob found");
        Assert.Equal("Bob", Assert.Single(found.Devices).DeviceName);
        Assert.True(p2p.IgnoredEventCount >= 6, $"ignored {p2p.IgnoredEventCount}");
        Assert.Equal(P2pState.Started, p2p.State);
        Assert.Null(p2p.CurrentGroup);
        Assert.DoesNotContain(log.Events, e => e.Kind is WifiP2pEventKind.ConnectionChange or WifiP2pEventKind.StateChange);
    }

    [Fact]
    public async Task Supplicant_absent_is_a_typed_error_that_says_what_to_do()
    {
        string folder = Directory.CreateTempSubdirectory("pk-nosupplicant-").FullName;
        try
        {
            string path = Path.Combine(folder, "wlan0");
            WifiP2pException e = await Assert.ThrowsAsync<WifiP2pException>(() => WifiP2p.OpenAsync(new WifiP2pOptions { ControlPath = path, ClientDirectory = folder }));
            Assert.Equal((WifiP2pErrorCode.OperationFailed, WifiP2pFailure.SupplicantUnreachable), (e.Code, e.Failure));
            Assert.Contains(path, e.Message);
            Assert.Contains("Start wpa_supplicant", e.Message);
            Assert.Empty(Directory.GetFiles(folder)); // no client socket file left behind
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Socket_gone_mid_session_closes_the_group_and_fails_later_calls()
    {
        using StandInProcess standIn = StandInProcess.Start("""
            on P2P_CONNECT
              reply OK
              emit <3>P2P-GROUP-STARTED p2p-wlan0-0 client ssid="DIRECT-xy" freq=2437 psk=00 go_dev_addr=02:00:00:00:02:00 ip_addr=192.168.49.10 ip_mask=255.255.255.0 go_ip_addr=192.168.49.1
            """);
        await using WifiP2p p2p = await WifiP2p.OpenAsync(standIn.Options());
        await using var log = new EventLog(p2p);
        await p2p.P2pConnectAsync(new WifiP2PConfig { DeviceAddress = Bob });
        await log.WaitAsync(e => e.Kind == WifiP2pEventKind.ConnectionChange && e.LinkedInfo!.ConnectState == P2pConnectState.Connected, "group up");

        standIn.Kill();
        WifiP2pEvent down = await log.WaitAsync(e => e.Kind == WifiP2pEventKind.ConnectionChange && e.LinkedInfo!.ConnectState == P2pConnectState.Disconnected, "group down");
        Assert.Equal("SUPPLICANT_GONE", down.Reason);
        await log.WaitAsync(e => e.Kind == WifiP2pEventKind.StateChange && e.State == P2pState.Closed, "state closed");
        Assert.Equal(P2pState.Closed, p2p.State);

        WifiP2pException e = await Assert.ThrowsAsync<WifiP2pException>(() => p2p.StartDiscoverDevicesAsync());
        Assert.Equal((WifiP2pErrorCode.OperationFailed, WifiP2pFailure.SupplicantGone), (e.Code, e.Failure));
    }

    [Fact]
    public async Task Supplicant_without_a_p2p_device_is_capability_not_supported()
    {
        using StandInProcess standIn = StandInProcess.Start("device 02:00:00:00:01:00 \"alpha\"\n");
        await using WifiP2p p2p = await WifiP2p.OpenAsync(standIn.Options());
        WifiP2pException e = await Assert.ThrowsAsync<WifiP2pException>(() => p2p.StartDiscoverDevicesAsync());
        Assert.Equal((WifiP2pErrorCode.CapabilityNotSupported, WifiP2pFailure.NoP2pDevice), (e.Code, e.Failure));
        Assert.Contains("UNKNOWN COMMAND", e.Message);
    }

    [Fact]
    public async Task Refusals_and_hostile_arguments_are_typed_errors_and_send_nothing_unsafe()
    {
        using StandInProcess standIn = StandInProcess.Start("""
            on P2P_CANCEL
              reply FAIL
            """);
        await using WifiP2p p2p = await WifiP2p.OpenAsync(standIn.Options());

        WifiP2pException refused = await Assert.ThrowsAsync<WifiP2pException>(() => p2p.P2pCancelConnectAsync());
        Assert.Equal((WifiP2pErrorCode.OperationFailed, WifiP2pFailure.Refused), (refused.Code, refused.Failure));

        foreach (WifiP2PConfig bad in new[]
        {
            new WifiP2PConfig { DeviceAddress = "02:00:00:00:02:00 join" },
            new WifiP2PConfig { DeviceAddress = "02:00:00:00:02:00\nTERMINATE" },
            new WifiP2PConfig { DeviceAddress = Bob, Passphrase = "short" },
            new WifiP2PConfig { DeviceAddress = Bob, NetId = -3 },
            new WifiP2PConfig { DeviceAddress = Bob, GroupOwnerIntent = 16 },
            new WifiP2PConfig { DeviceAddress = Bob, GroupName = new string('g', 33) },
        })
        {
            WifiP2pException e = await Assert.ThrowsAsync<WifiP2pException>(() => p2p.P2pConnectAsync(bad));
            Assert.Equal(WifiP2pErrorCode.InvalidParameter, e.Code);
        }

        Assert.DoesNotContain(standIn.Commands(), c => c.StartsWith("P2P_CONNECT", StringComparison.Ordinal) || c.Contains("TERMINATE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Dispose_ends_event_streams_and_removes_client_sockets()
    {
        using StandInProcess standIn = StandInProcess.Start(Owner);
        WifiP2p p2p = await WifiP2p.OpenAsync(standIn.Options());
        Assert.Equal(2, Directory.GetFileSystemEntries(standIn.Directory, "pk_wpa_*").Length);
        Task<int> count = Task.Run(async () =>
        {
            int n = 0;
            await foreach (WifiP2pEvent e in p2p.ReadEventsAsync())
            {
                n++;
            }

            return n;
        });
        await Task.Delay(200);
        await p2p.DisposeAsync();
        Assert.True(await count.WaitAsync(TimeSpan.FromSeconds(10)) >= 1); // the Closed state change at least
        Assert.Empty(Directory.GetFileSystemEntries(standIn.Directory, "pk_wpa_*"));
        Assert.Equal(P2pState.Closed, p2p.State);
        WifiP2pException e = await Assert.ThrowsAsync<WifiP2pException>(() => p2p.CreateGroupAsync(new WifiP2PConfig()));
        Assert.Equal(WifiP2pFailure.Closed, e.Failure);
    }

    [Fact]
    public async Task Dotnet_events_carry_the_same_payloads_as_the_event_stream_in_order()
    {
        using StandInProcess standIn = StandInProcess.Start(Discovery + """

            on P2P_CONNECT
              reply OK
              emit <3>P2P-GROUP-STARTED p2p-wlan0-0 client ssid="DIRECT-9b" freq=2437 psk=00 go_dev_addr=02:00:00:00:02:00 [PERSISTENT] ip_addr=192.168.49.10 ip_mask=255.255.255.0 go_ip_addr=192.168.49.1
            """);
        WifiP2p p2p = await WifiP2p.OpenAsync(standIn.Options());
        var seen = new List<string>();
        void Add(string what)
        {
            lock (seen)
            {
                seen.Add(what);
            }
        }

        p2p.P2pStateChange += (_, state) => Add($"state {state}");
        p2p.P2pDiscoveryChange += (_, state) => Add($"discovery {state}");
        p2p.P2pPeerDeviceChange += (_, devices) => Add($"peers {devices.Count}");
        p2p.P2pDeviceChange += (_, device) => Add($"device {device.DeviceStatus}");
        p2p.P2pConnectionChange += (_, info) => Add($"connection {info.ConnectState} {info.GroupOwnerAddr}");
        p2p.P2pPersistentGroupChange += (_, _) => Add("persistent");
        await using var log = new EventLog(p2p);

        await p2p.StartDiscoverDevicesAsync();
        await log.WaitAsync(e => e.Kind == WifiP2pEventKind.PeerDeviceChange && e.Devices.Count == 2, "two peers");
        await p2p.P2pConnectAsync(new WifiP2PConfig { DeviceAddress = Bob, NetId = WifiP2PConfig.PersistentNetId });
        await log.WaitAsync(e => e.Kind == WifiP2pEventKind.PersistentGroupChange, "persistent group");
        await p2p.DisposeAsync();

        await WaitUntil(() => { lock (seen) { return seen.Contains("state Closed"); } });
        lock (seen)
        {
            // In this order (a "state Started" raised while the handlers were being added, and the "Bob invited"
            // list that the group's start can overtake, may or may not be among them).
            string[] order = ["discovery Started", "peers 1", "peers 2", "device Connected", "connection Connected 192.168.49.1", "persistent", "state Closed"];
            int at = -1;
            foreach (string step in order)
            {
                int next = seen.IndexOf(step, at + 1);
                Assert.True(next > at, $"'{step}' missing or out of order in: {string.Join(", ", seen)}");
                at = next;
            }

            Assert.Equal("state Closed", seen[^1]);
        }

        Assert.Equal(log.Events.Count(e => e.Kind == WifiP2pEventKind.PeerDeviceChange), seen.Count(s => s.StartsWith("peers", StringComparison.Ordinal)));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (int i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(20);
        }

        Assert.True(condition());
    }
}
