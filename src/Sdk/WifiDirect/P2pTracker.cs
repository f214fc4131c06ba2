using PeerKit.WifiDirect.Supplicant;

namespace PeerKit.WifiDirect;

/// <summary>
/// The P2P state kept from supplicant events and the calls made: peers and their statuses, discovery, the current
/// group, this device. <see cref="Apply"/> turns one event into the OpenHarmony events it causes. No I/O, no clock:
/// tested alone with event lines. Not thread-safe: <see cref="WifiP2p"/> holds a lock around it.
/// </summary>
internal sealed class P2pTracker
{
    /// <summary>Peers kept at most; a flood of DEVICE-FOUND lines for new addresses cannot grow memory past it.</summary>
    internal const int MaxPeers = 256;

    private readonly List<WifiP2pDevice> _peers = [];
    private string _pendingAddress = "";

    public P2pTracker(WifiP2pDevice localDevice)
    {
        LocalDevice = localDevice;
    }

    public WifiP2pDevice LocalDevice { get; private set; }

    public WifiP2pGroupInfo? Group { get; private set; }

    public bool IsDiscovering { get; private set; }

    /// <summary>Events that were not P2P events this API uses, or lines that did not parse.</summary>
    public long IgnoredEventCount { get; private set; }

    public IReadOnlyList<WifiP2pDevice> Peers => _peers.ToArray();

    public WifiP2pLinkedInfo LinkedInfo => Group is { } g
        ? new WifiP2pLinkedInfo(P2pConnectState.Connected, g.IsP2pGo, g.GoIpAddress)
        : WifiP2pLinkedInfo.Disconnected;

    public WifiP2pDevice? FindPeer(string address) =>
        _peers.Find(p => string.Equals(p.DeviceAddress, address, StringComparison.OrdinalIgnoreCase));

    public IReadOnlyList<WifiP2pEvent> Apply(SupplicantEvent e)
    {
        var events = new List<WifiP2pEvent>();
        switch (e.Kind)
        {
            case SupplicantEventKind.DeviceFound:
            {
                string address = e.DeviceAddress.Length > 0 ? e.DeviceAddress : e.Address;
                if (address.Length == 0)
                {
                    IgnoredEventCount++;
                    break;
                }

                WifiP2pDevice? known = FindPeer(address);
                var device = new WifiP2pDevice(
                    e.Name.Length > 0 || known is null ? e.Name : known.DeviceName,
                    address,
                    e.PrimaryDeviceType.Length > 0 || known is null ? e.PrimaryDeviceType : known.PrimaryDeviceType,
                    StatusFor(address, known),
                    e.GroupCapabilities >= 0 ? (int)e.GroupCapabilities : known?.GroupCapabilities ?? 0);
                if (Upsert(device))
                {
                    events.Add(PeerChange());
                }

                break;
            }

            case SupplicantEventKind.DeviceLost:
                if (Remove(e.DeviceAddress))
                {
                    events.Add(PeerChange());
                }

                break;

            case SupplicantEventKind.FindStopped:
                if (IsDiscovering)
                {
                    IsDiscovering = false;
                    events.Add(new WifiP2pEvent { Kind = WifiP2pEventKind.DiscoveryChange, DiscoveryState = P2pDiscoveryState.Stopped });
                }

                break;

            case SupplicantEventKind.GoNegotiationRequest:
                if (e.Address.Length > 0 && SetStatus(e.Address, P2pDeviceStatus.Invited, addIfMissing: true))
                {
                    events.Add(PeerChange());
                }

                break;

            case SupplicantEventKind.GoNegotiationFailure:
            case SupplicantEventKind.GroupFormationFailure:
            {
                string reason = e.Kind == SupplicantEventKind.GoNegotiationFailure
                    ? $"status={e.Status}"
                    : e.Reason.Length > 0 ? e.Reason : "FORMATION_FAILED";
                if (_pendingAddress.Length > 0 && SetStatus(_pendingAddress, P2pDeviceStatus.Failed, addIfMissing: false))
                {
                    events.Add(PeerChange());
                }

                _pendingAddress = "";
                if (Group is null)
                {
                    events.Add(new WifiP2pEvent { Kind = WifiP2pEventKind.ConnectionChange, LinkedInfo = LinkedInfo, Reason = reason });
                }

                break;
            }

            case SupplicantEventKind.GroupStarted:
                GroupStarted(e, events);
                break;

            case SupplicantEventKind.GroupRemoved:
                if (Group is not null && (e.GroupInterfaceName.Length == 0 || e.GroupInterfaceName == Group.Interface))
                {
                    GroupEnded(e.Reason.Length > 0 ? e.Reason : "REMOVED", events);
                }
                else
                {
                    IgnoredEventCount++;
                }

                break;

            case SupplicantEventKind.StationConnected:
            case SupplicantEventKind.StationDisconnected:
                StationChanged(e, events);
                break;

            case SupplicantEventKind.Terminating:
                events.AddRange(Gone("SUPPLICANT_TERMINATING"));
                break;

            case SupplicantEventKind.GoNegotiationSuccess:
            case SupplicantEventKind.GroupFormationSuccess:
            case SupplicantEventKind.InvitationReceived:
            case SupplicantEventKind.InvitationResult:
                break;

            default:
                IgnoredEventCount++;
                break;
        }

        return events;
    }

    public WifiP2pEvent? DiscoveryStarted()
    {
        if (IsDiscovering)
        {
            return null;
        }

        IsDiscovering = true;
        return new WifiP2pEvent { Kind = WifiP2pEventKind.DiscoveryChange, DiscoveryState = P2pDiscoveryState.Started };
    }

    public WifiP2pEvent? DiscoveryStopped() =>
        Apply(new SupplicantEvent { Kind = SupplicantEventKind.FindStopped }).FirstOrDefault();

    public WifiP2pEvent? ConnectRequested(string address)
    {
        _pendingAddress = address;
        return SetStatus(address, P2pDeviceStatus.Invited, addIfMissing: false) ? PeerChange() : null;
    }

    public WifiP2pEvent? ConnectCancelled()
    {
        string address = _pendingAddress;
        _pendingAddress = "";
        return address.Length > 0 && Group is null && SetStatus(address, P2pDeviceStatus.Available, addIfMissing: false) ? PeerChange() : null;
    }

    /// <summary>The peers a P2P_PEER walk listed, with the statuses this tracker knows.</summary>
    public IReadOnlyList<WifiP2pDevice> Merge(IEnumerable<SupplicantPeer> walked)
    {
        var list = new List<WifiP2pDevice>();
        foreach (SupplicantPeer p in walked)
        {
            WifiP2pDevice? known = FindPeer(p.DeviceAddress);
            list.Add(new WifiP2pDevice(p.Name, p.DeviceAddress, p.PrimaryDeviceType, StatusFor(p.DeviceAddress, known),
                p.GroupCapabilities >= 0 ? (int)p.GroupCapabilities : 0));
        }

        return list;
    }

    /// <summary>The group interface's addresses became known (the owner reads its own from the interface).</summary>
    public WifiP2pEvent? AddressesResolved(string ownAddress, string ownerAddress)
    {
        if (Group is null || (Group.GoIpAddress == ownerAddress && (Group.IsP2pGo || Group.GcIpAddress == ownAddress)))
        {
            return null;
        }

        Group = Group with { GoIpAddress = ownerAddress, GcIpAddress = Group.IsP2pGo ? "" : ownAddress };
        return new WifiP2pEvent { Kind = WifiP2pEventKind.ConnectionChange, LinkedInfo = LinkedInfo, Group = Group };
    }

    /// <summary>The supplicant went away: the group (if any) is gone with it.</summary>
    public IReadOnlyList<WifiP2pEvent> Gone(string reason)
    {
        var events = new List<WifiP2pEvent>();
        if (Group is not null)
        {
            GroupEnded(reason, events);
        }

        if (IsDiscovering)
        {
            IsDiscovering = false;
            events.Add(new WifiP2pEvent { Kind = WifiP2pEventKind.DiscoveryChange, DiscoveryState = P2pDiscoveryState.Stopped, Reason = reason });
        }

        return events;
    }

    private void GroupStarted(SupplicantEvent e, List<WifiP2pEvent> events)
    {
        if (e.GroupInterfaceName.Length == 0 || e.IsGroupOwner < 0)
        {
            IgnoredEventCount++;
            return;
        }

        bool isGo = e.IsGroupOwner == 1;
        WifiP2pDevice owner;
        if (isGo)
        {
            owner = LocalDevice with { DeviceStatus = P2pDeviceStatus.Connected, GroupCapabilities = LocalDevice.GroupCapabilities | 0x01 };
        }
        else
        {
            string ownerAddress = e.GroupOwnerDeviceAddress;
            WifiP2pDevice? known = ownerAddress.Length > 0 ? FindPeer(ownerAddress) : null;
            owner = (known ?? new WifiP2pDevice("", ownerAddress, "", P2pDeviceStatus.Connected, 0x01)) with
            {
                DeviceStatus = P2pDeviceStatus.Connected,
            };
            if (ownerAddress.Length > 0)
            {
                SetStatus(ownerAddress, P2pDeviceStatus.Connected, addIfMissing: false);
            }
        }

        if (isGo && _pendingAddress.Length > 0)
        {
            SetStatus(_pendingAddress, P2pDeviceStatus.Connected, addIfMissing: false);
        }

        _pendingAddress = "";
        bool persistent = e.Persistent == 1;
        Group = new WifiP2pGroupInfo
        {
            IsP2pGo = isGo,
            OwnerInfo = owner,
            Passphrase = e.Passphrase,
            Interface = e.GroupInterfaceName,
            GroupName = e.Ssid,
            NetworkId = persistent ? WifiP2PConfig.PersistentNetId : WifiP2PConfig.TemporaryNetId,
            Frequency = Math.Max(0, e.Frequency),
            GoIpAddress = e.GroupOwnerIpAddress.Length > 0 ? e.GroupOwnerIpAddress : isGo ? e.IpAddress : "",
            GcIpAddress = isGo ? "" : e.IpAddress,
        };
        LocalDevice = LocalDevice with { DeviceStatus = P2pDeviceStatus.Connected };

        events.Add(new WifiP2pEvent { Kind = WifiP2pEventKind.DeviceChange, Device = LocalDevice });
        events.Add(PeerChange());
        events.Add(new WifiP2pEvent { Kind = WifiP2pEventKind.ConnectionChange, LinkedInfo = LinkedInfo, Group = Group });
        if (persistent)
        {
            events.Add(new WifiP2pEvent { Kind = WifiP2pEventKind.PersistentGroupChange, Group = Group });
        }
    }

    private void GroupEnded(string reason, List<WifiP2pEvent> events)
    {
        Group = null;
        for (int i = 0; i < _peers.Count; i++)
        {
            if (_peers[i].DeviceStatus is P2pDeviceStatus.Connected or P2pDeviceStatus.Invited)
            {
                _peers[i] = _peers[i] with { DeviceStatus = P2pDeviceStatus.Available };
            }
        }

        LocalDevice = LocalDevice with { DeviceStatus = P2pDeviceStatus.Available, GroupCapabilities = LocalDevice.GroupCapabilities & ~0x01 };
        events.Add(new WifiP2pEvent { Kind = WifiP2pEventKind.DeviceChange, Device = LocalDevice, Reason = reason });
        events.Add(PeerChange());
        events.Add(new WifiP2pEvent { Kind = WifiP2pEventKind.ConnectionChange, LinkedInfo = LinkedInfo, Reason = reason });
    }

    private void StationChanged(SupplicantEvent e, List<WifiP2pEvent> events)
    {
        if (Group is not { IsP2pGo: true } group)
        {
            IgnoredEventCount++;
            return;
        }

        string address = e.DeviceAddress.Length > 0 ? e.DeviceAddress : e.Address;
        if (address.Length == 0)
        {
            IgnoredEventCount++;
            return;
        }

        bool joined = e.Kind == SupplicantEventKind.StationConnected;
        var clients = group.ClientDevices.Where(c => !string.Equals(c.DeviceAddress, address, StringComparison.OrdinalIgnoreCase)).ToList();
        if (joined)
        {
            WifiP2pDevice client = (FindPeer(address) ?? new WifiP2pDevice("", address, "", P2pDeviceStatus.Connected, 0)) with
            {
                DeviceStatus = P2pDeviceStatus.Connected,
            };
            if (clients.Count < MaxPeers)
            {
                clients.Add(client);
            }
        }

        SetStatus(address, joined ? P2pDeviceStatus.Connected : P2pDeviceStatus.Available, addIfMissing: false);
        Group = group with { ClientDevices = clients };
        events.Add(PeerChange());
        events.Add(new WifiP2pEvent { Kind = WifiP2pEventKind.ConnectionChange, LinkedInfo = LinkedInfo, Group = Group });
    }

    private P2pDeviceStatus StatusFor(string address, WifiP2pDevice? known)
    {
        if (known is { DeviceStatus: P2pDeviceStatus.Connected or P2pDeviceStatus.Invited or P2pDeviceStatus.Failed })
        {
            return known.DeviceStatus;
        }

        return string.Equals(address, _pendingAddress, StringComparison.OrdinalIgnoreCase) ? P2pDeviceStatus.Invited : P2pDeviceStatus.Available;
    }

    private bool Upsert(WifiP2pDevice device)
    {
        int i = _peers.FindIndex(p => string.Equals(p.DeviceAddress, device.DeviceAddress, StringComparison.OrdinalIgnoreCase));
        if (i >= 0)
        {
            if (_peers[i] == device)
            {
                return false;
            }

            _peers[i] = device;
            return true;
        }

        if (_peers.Count >= MaxPeers)
        {
            // Keep the newest: the oldest-found peer is the likeliest to be gone.
            _peers.RemoveAt(0);
        }

        _peers.Add(device);
        return true;
    }

    private bool Remove(string address) =>
        _peers.RemoveAll(p => string.Equals(p.DeviceAddress, address, StringComparison.OrdinalIgnoreCase)) > 0;

    private bool SetStatus(string address, P2pDeviceStatus status, bool addIfMissing)
    {
        int i = _peers.FindIndex(p => string.Equals(p.DeviceAddress, address, StringComparison.OrdinalIgnoreCase));
        if (i < 0)
        {
            return addIfMissing && Upsert(new WifiP2pDevice("", address, "", status, 0));
        }

        if (_peers[i].DeviceStatus == status)
        {
            return false;
        }

        _peers[i] = _peers[i] with { DeviceStatus = status };
        return true;
    }

    public WifiP2pEvent PeerChange() => new() { Kind = WifiP2pEventKind.PeerDeviceChange, Devices = _peers.ToArray() };
}
