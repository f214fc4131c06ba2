namespace PeerKit.WifiDirect.Supplicant;

/// <summary>A peer as <c>P2P_PEER</c> describes it, parsed by <c>pk_wpa_peer_parse</c>.</summary>
internal sealed record SupplicantPeer(
    string DeviceAddress,
    string InterfaceAddress,
    string Name,
    string PrimaryDeviceType,
    long ConfigMethods,
    long DeviceCapabilities,
    long GroupCapabilities,
    int Level,
    int Persistent)
{
    /// <summary>Parses a reply; null when it is not a peer (FAIL: the walk is over).</summary>
    public static unsafe SupplicantPeer? Parse(ReadOnlySpan<byte> reply)
    {
        WpaPeerStruct p;
        fixed (byte* r = reply)
        {
            if (WpaNative.PeerParse(r, reply.Length, &p) != WpaNative.Ok)
                return null;
        }

        return new SupplicantPeer(
            WpaNative.Text(new ReadOnlySpan<byte>(p.DeviceAddress, 18)),
            WpaNative.Text(new ReadOnlySpan<byte>(p.InterfaceAddress, 18)),
            WpaNative.Text(new ReadOnlySpan<byte>(p.Name, 64)),
            WpaNative.Text(new ReadOnlySpan<byte>(p.PrimaryDeviceType, 32)),
            p.ConfigMethods,
            p.DevCapab,
            p.GroupCapab,
            p.Level,
            p.Persistent);
    }
}
