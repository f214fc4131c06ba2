using PeerKit.WifiDirect.Supplicant;

namespace PeerKit.WifiDirect.Tests;

/// <summary>The event tracker alone: supplicant lines in, OpenHarmony events and state out.</summary>
public sealed class P2pTrackerTests
{
    private static readonly WifiP2pDevice Local = new("me", "02:00:00:00:00:01", "", P2pDeviceStatus.Available, 0);

    private static IReadOnlyList<WifiP2pEvent> Apply(P2pTracker t, string line) => t.Apply(SupplicantEvent.Parse(line));

    [Fact]
    public void Found_then_lost_devices_update_the_peer_list()
    {
        var t = new P2pTracker(Local);
        WifiP2pEvent found = Assert.Single(Apply(t, "<3>P2P-DEVICE-FOUND 02:00:00:00:02:00 p2p_dev_addr=02:00:00:00:02:00 pri_dev_type=1-0050F204-1 name='Bob' config_methods=0x188 dev_capab=0x25 group_capab=0x0"));
        Assert.Equal(WifiP2pEventKind.PeerDeviceChange, found.Kind);
        WifiP2pDevice bob = Assert.Single(found.Devices);
        Assert.Equal(("Bob", P2pDeviceStatus.Available), (bob.DeviceName, bob.DeviceStatus));

        // The same line again changes nothing, so nothing is raised.
        Assert.Empty(Apply(t, "<3>P2P-DEVICE-FOUND 02:00:00:00:02:00 p2p_dev_addr=02:00:00:00:02:00 pri_dev_type=1-0050F204-1 name='Bob' config_methods=0x188 dev_capab=0x25 group_capab=0x0 new=0"));
        Assert.Empty(Assert.Single(Apply(t, "<3>P2P-DEVICE-LOST p2p_dev_addr=02:00:00:00:02:00")).Devices);
    }

    [Fact]
    public void A_flood_of_new_devices_keeps_at_most_the_bound()
    {
        var t = new P2pTracker(Local);
        for (int i = 0; i < 5000; i++)
        {
            string mac = $"02:00:00:{i >> 8 & 0xFF:x2}:{i & 0xFF:x2}:00";
            Apply(t, $"<3>P2P-DEVICE-FOUND {mac} p2p_dev_addr={mac} name='d{i}'");
        }

        Assert.Equal(P2pTracker.MaxPeers, t.Peers.Count);
        Assert.Equal("d4999", t.Peers[^1].DeviceName);
    }

    [Fact]
    public void Connect_negotiation_failure_marks_the_peer_failed_with_the_status()
    {
        var t = new P2pTracker(Local);
        Apply(t, "<3>P2P-DEVICE-FOUND 02:00:00:00:02:00 p2p_dev_addr=02:00:00:00:02:00 name='Bob'");
        Assert.Equal(P2pDeviceStatus.Invited, Assert.Single(t.ConnectRequested("02:00:00:00:02:00")!.Devices).DeviceStatus);
        IReadOnlyList<WifiP2pEvent> events = Apply(t, "<3>P2P-GO-NEG-FAILURE status=7");
        Assert.Equal(P2pDeviceStatus.Failed, Assert.Single(events[0].Devices).DeviceStatus);
        Assert.Equal(WifiP2pEventKind.ConnectionChange, events[1].Kind);
        Assert.Equal("status=7", events[1].Reason);
        Assert.Equal(P2pConnectState.Disconnected, events[1].LinkedInfo!.ConnectState);
    }

    [Fact]
    public void Owner_group_tracks_clients_and_ends_with_the_reason()
    {
        var t = new P2pTracker(Local);
        IReadOnlyList<WifiP2pEvent> started = Apply(t, "<3>P2P-GROUP-STARTED p2p-wlan0-0 GO ssid=\"DIRECT-ab\" freq=2412 passphrase=\"abcdefgh\" go_dev_addr=02:00:00:00:00:01 [PERSISTENT]");
        Assert.Contains(started, e => e.Kind == WifiP2pEventKind.PersistentGroupChange);
        Assert.True(t.LinkedInfo.IsGroupOwner);
        Assert.Equal("", t.LinkedInfo.GroupOwnerAddr); // the owner reads it from its interface later
        Assert.Equal(WifiP2PConfig.PersistentNetId, t.Group!.NetworkId);
        Assert.Equal("abcdefgh", t.Group.Passphrase);

        Apply(t, "<3>AP-STA-CONNECTED 02:00:00:00:02:01 p2p_dev_addr=02:00:00:00:02:00");
        Assert.Equal("02:00:00:00:02:00", Assert.Single(t.Group!.ClientDevices).DeviceAddress);
        Apply(t, "<3>AP-STA-DISCONNECTED 02:00:00:00:02:01 p2p_dev_addr=02:00:00:00:02:00");
        Assert.Empty(t.Group!.ClientDevices);

        Assert.Equal("192.168.49.1", t.AddressesResolved("192.168.49.1", "192.168.49.1")!.LinkedInfo!.GroupOwnerAddr);

        // A removal of another interface is not ours.
        Assert.Empty(Apply(t, "<3>P2P-GROUP-REMOVED p2p-wlan0-9 GO reason=IDLE"));
        WifiP2pEvent ended = Apply(t, "<3>P2P-GROUP-REMOVED p2p-wlan0-0 GO reason=IDLE").Last();
        Assert.Equal(("IDLE", P2pConnectState.Disconnected), (ended.Reason, ended.LinkedInfo!.ConnectState));
        Assert.Null(t.Group);
    }

    [Fact]
    public void Unknown_and_incomplete_events_are_counted_and_change_nothing()
    {
        var t = new P2pTracker(Local);
        Assert.Empty(Apply(t, "<3>CTRL-EVENT-SCAN-RESULTS "));
        Assert.Empty(Apply(t, "<3>P2P-GROUP-STARTED"));          // no interface, no role
        Assert.Empty(Apply(t, "<3>P2P-DEVICE-FOUND garbage"));   // no address
        Assert.Empty(Apply(t, "\u0001\u0002<<>>"));
        Assert.Equal(4, t.IgnoredEventCount);
        Assert.Null(t.Group);
        Assert.Empty(t.Peers);
    }
}
