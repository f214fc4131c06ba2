using PeerKit.WifiDirect.Supplicant;

namespace PeerKit.WifiDirect.Tests;

/// <summary>The managed view of the native parser: every field of the C struct arrives where it belongs.</summary>
public sealed class SupplicantEventTests
{
    [Fact]
    public void Group_started_line_fills_every_field_through_the_native_struct()
    {
        SupplicantEvent e = SupplicantEvent.Parse(
            "IFNAME=p2p-dev-wlan0 <3>P2P-GROUP-STARTED p2p-wlan0-0 client ssid=\"DIRECT-xy\" freq=2437 "
            + "passphrase=\"secret12\" go_dev_addr=02:00:00:00:01:00 [PERSISTENT] ip_addr=192.168.49.10 "
            + "ip_mask=255.255.255.0 go_ip_addr=192.168.49.1 future=1");

        Assert.Equal(SupplicantEventKind.GroupStarted, e.Kind);
        Assert.Equal(3, e.Level);
        Assert.Equal("p2p-dev-wlan0", e.InterfaceName);
        Assert.Equal("p2p-wlan0-0", e.GroupInterfaceName);
        Assert.Equal(0, e.IsGroupOwner);
        Assert.Equal("DIRECT-xy", e.Ssid);
        Assert.Equal(2437, e.Frequency);
        Assert.Equal("secret12", e.Passphrase);
        Assert.Equal("02:00:00:00:01:00", e.GroupOwnerDeviceAddress);
        Assert.Equal(1, e.Persistent);
        Assert.Equal("192.168.49.10", e.IpAddress);
        Assert.Equal("255.255.255.0", e.IpMask);
        Assert.Equal("192.168.49.1", e.GroupOwnerIpAddress);
    }

    [Fact]
    public void Device_found_line_fills_numbers_and_the_trailing_text_fields()
    {
        SupplicantEvent e = SupplicantEvent.Parse(
            "<3>P2P-DEVICE-FOUND 02:00:00:00:02:00 p2p_dev_addr=02:00:00:00:02:00 pri_dev_type=10-0050F204-5 "
            + "name='Bob's phone' config_methods=0x3108 dev_capab=0x25 group_capab=0x2b new=1 pcea_cap_info=0x0");
        Assert.Equal(SupplicantEventKind.DeviceFound, e.Kind);
        Assert.Equal("02:00:00:00:02:00", e.Address);
        Assert.Equal("02:00:00:00:02:00", e.DeviceAddress);
        Assert.Equal("Bob's phone", e.Name);
        Assert.Equal("10-0050F204-5", e.PrimaryDeviceType);
        Assert.Equal(0x3108, e.ConfigMethods);
        Assert.Equal(0x25, e.DeviceCapabilities);
        Assert.Equal(0x2b, e.GroupCapabilities);

        SupplicantEvent removed = SupplicantEvent.Parse("<3>P2P-GROUP-REMOVED p2p-wlan0-0 GO reason=IDLE");
        Assert.Equal("IDLE", removed.Reason);
        Assert.Equal(1, removed.IsGroupOwner);
    }

    [Fact]
    public void Peer_reply_parses_and_a_fail_reply_ends_the_walk()
    {
        SupplicantPeer? peer = SupplicantPeer.Parse("02:00:00:00:02:00\npri_dev_type=1-0050F204-1\ndevice_name=Bob\nconfig_methods=0x188\ndev_capab=0x25\ngroup_capab=0x1\nlevel=-40\n"u8);
        Assert.NotNull(peer);
        Assert.Equal("Bob", peer.Name);
        Assert.Equal(1, peer.GroupCapabilities);
        Assert.Equal(-40, peer.Level);
        Assert.Null(SupplicantPeer.Parse("FAIL\n"u8));
    }
}
