using System.Text;

namespace PeerKit.WifiDirect.Supplicant;

/// <summary>
/// One wpa_supplicant event, parsed by the native shim (<c>pk_wpa_event_parse</c>). Absent text fields are empty,
/// absent numbers -1.
/// </summary>
internal sealed record SupplicantEvent
{
    public SupplicantEventKind Kind { get; init; }
    public int Level { get; init; } = -1;
    public int Frequency { get; init; } = -1;
    public int Status { get; init; } = -1;
    /// <summary>1 group owner, 0 client, -1 not said.</summary>
    public int IsGroupOwner { get; init; } = -1;
    public int Persistent { get; init; } = -1;
    public int GoIntent { get; init; } = -1;
    public long ConfigMethods { get; init; } = -1;
    public long DeviceCapabilities { get; init; } = -1;
    public long GroupCapabilities { get; init; } = -1;
    public string InterfaceName { get; init; } = "";
    public string GroupInterfaceName { get; init; } = "";
    public string Address { get; init; } = "";
    public string DeviceAddress { get; init; } = "";
    public string GroupOwnerDeviceAddress { get; init; } = "";
    public string Name { get; init; } = "";
    public string PrimaryDeviceType { get; init; } = "";
    public string Ssid { get; init; } = "";
    public string Passphrase { get; init; } = "";
    public string Psk { get; init; } = "";
    public string IpAddress { get; init; } = "";
    public string IpMask { get; init; } = "";
    public string GroupOwnerIpAddress { get; init; } = "";
    public string Reason { get; init; } = "";

    /// <summary>The line as received, for diagnostics.</summary>
    public string Line { get; init; } = "";

    /// <summary>Parses one event line through the native parser.</summary>
    public static unsafe SupplicantEvent Parse(ReadOnlySpan<byte> line)
    {
        WpaEventStruct e;
        fixed (byte* p = line)
        {
            if (WpaNative.EventParse(p, line.Length, &e) != WpaNative.Ok)
                return new SupplicantEvent { Line = Encoding.UTF8.GetString(line) };
        }

        return new SupplicantEvent
        {
            Kind = (SupplicantEventKind)e.Kind,
            Level = e.Level,
            Frequency = e.Freq,
            Status = e.Status,
            IsGroupOwner = e.IsGo,
            Persistent = e.Persistent,
            GoIntent = e.GoIntent,
            ConfigMethods = e.ConfigMethods,
            DeviceCapabilities = e.DevCapab,
            GroupCapabilities = e.GroupCapab,
            InterfaceName = WpaNative.Text(new ReadOnlySpan<byte>(e.IfName, 64)),
            GroupInterfaceName = WpaNative.Text(new ReadOnlySpan<byte>(e.GroupIfName, 64)),
            Address = WpaNative.Text(new ReadOnlySpan<byte>(e.Address, 18)),
            DeviceAddress = WpaNative.Text(new ReadOnlySpan<byte>(e.DeviceAddress, 18)),
            GroupOwnerDeviceAddress = WpaNative.Text(new ReadOnlySpan<byte>(e.GoDeviceAddress, 18)),
            Name = WpaNative.Text(new ReadOnlySpan<byte>(e.Name, 64)),
            PrimaryDeviceType = WpaNative.Text(new ReadOnlySpan<byte>(e.PrimaryDeviceType, 32)),
            Ssid = WpaNative.Text(new ReadOnlySpan<byte>(e.Ssid, 132)),
            Passphrase = WpaNative.Text(new ReadOnlySpan<byte>(e.Passphrase, 68)),
            Psk = WpaNative.Text(new ReadOnlySpan<byte>(e.Psk, 68)),
            IpAddress = WpaNative.Text(new ReadOnlySpan<byte>(e.IpAddress, 16)),
            IpMask = WpaNative.Text(new ReadOnlySpan<byte>(e.IpMask, 16)),
            GroupOwnerIpAddress = WpaNative.Text(new ReadOnlySpan<byte>(e.GoIpAddress, 16)),
            Reason = WpaNative.Text(new ReadOnlySpan<byte>(e.Reason, 32)),
            Line = Encoding.UTF8.GetString(line),
        };
    }

    /// <summary>Parses a line given as text (tests, diagnostics).</summary>
    public static SupplicantEvent Parse(string line) => Parse(Encoding.UTF8.GetBytes(line));
}
