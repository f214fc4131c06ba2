// OpenHarmony's "P2P Connection Development" guide, the PeerKit way:
//
//   dotnet run --project samples/WifiDirect                      two devices, each on a stand-in wpa_supplicant
//   dotnet run --project samples/WifiDirect -- --control /run/wpa_supplicant/p2p-dev-wlan0 --role go
//   dotnet run --project samples/WifiDirect -- --control /run/wpa_supplicant/p2p-dev-wlan0 --role client --peer 02:00:00:00:01:00
//
// The group owner creates a group (createGroup); the client discovers devices (startDiscoverDevices, the
// p2pPeerDeviceChange event) and connects (p2pConnect). Once the group is up, a PeerNode runs over it on each side
// (no socket code): the client sends lines, the owner acknowledges them. With --control the sample drives a real
// wpa_supplicant (or any control socket); see docs/wifi-direct.md for what a real device needs.
using System.Globalization;
using System.Reflection;
using PeerKit;
using PeerKit.WifiDirect;

var arguments = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 0; i + 1 < args.Length; i += 2)
{
    arguments[args[i]] = args[i + 1];
}

int messages = int.Parse(arguments.GetValueOrDefault("--messages", "3"), CultureInfo.InvariantCulture);
var timeout = TimeSpan.FromSeconds(int.Parse(arguments.GetValueOrDefault("--timeout", "60"), CultureInfo.InvariantCulture));
using var cancel = new CancellationTokenSource(timeout);

int port = int.Parse(arguments.GetValueOrDefault("--port", "30333"), CultureInfo.InvariantCulture);
if (!arguments.TryGetValue("--control", out string? control))
{
    return await Demo.RunAsync(messages, port, cancel.Token);
}

string role = arguments.GetValueOrDefault("--role", "client");
var options = new WifiP2pOptions
{
    ControlPath = control,
    InterfaceName = arguments.GetValueOrDefault("--interface"),
    NodePort = port,
};
return role == "go"
    ? await Device.RunOwnerAsync(options, messages, cancel.Token)
    : await Device.RunClientAsync(options, arguments.GetValueOrDefault("--peer"), arguments.GetValueOrDefault("--peer-name"), messages, cancel.Token);

/// <summary>One device: the group owner or a client.</summary>
internal static class Device
{
    /// <summary>createGroup, then acknowledge <paramref name="messages"/> lines from the client's node.</summary>
    public static async Task<int> RunOwnerAsync(WifiP2pOptions options, int messages, CancellationToken ct)
    {
        var chat = new GroupChat { Acknowledge = true };
        options.Node = () => new PeerNodeOptions { Name = "owner", Protocols = { chat } };
        await using WifiP2p p2p = await WifiP2p.OpenAsync(options, ct);
        var nodeStarted = new TaskCompletionSource<PeerNode>(TaskCreationOptions.RunContinuationsAsynchronously);
        p2p.GroupNodeStarted += (_, node) => nodeStarted.TrySetResult(node);
        p2p.GroupNodeFailed += (_, error) => nodeStarted.TrySetException(error);
        p2p.P2pPersistentGroupChange += (_, _) => Console.WriteLine("owner: persistent group formed");
        p2p.P2pConnectionChange += (_, info) => Console.WriteLine($"owner: connection change: {info}");

        Console.WriteLine($"owner: local device {p2p.GetP2pLocalDevice()}");
        await p2p.CreateGroupAsync(new WifiP2PConfig { NetId = WifiP2PConfig.PersistentNetId, GoBand = GroupOwnerBand.Auto }, ct);
        PeerNode node = await nodeStarted.Task.WaitAsync(ct);
        WifiP2pGroupInfo group = p2p.GetCurrentGroup();
        Console.WriteLine($"owner: group {group.GroupName} on {group.Interface}, node listening on {node.ListenAddresses[0]}");

        for (int i = 0; i < messages; i++)
        {
            string line = await chat.Received.Reader.ReadAsync(ct);
            Console.WriteLine($"owner: received: {line}");
        }

        // Give the last acknowledgement time to leave before the group goes.
        await Task.Delay(500, ct);
        await p2p.RemoveGroupAsync(ct);
        Console.WriteLine("owner: done");
        return 0;
    }

    /// <summary>Discover, connect, then send <paramref name="messages"/> lines to the owner's node.</summary>
    public static async Task<int> RunClientAsync(WifiP2pOptions options, string? peerAddress, string? peerName, int messages, CancellationToken ct)
    {
        var chat = new GroupChat();
        options.Node = () => new PeerNodeOptions { Name = "client", Protocols = { chat } };
        await using WifiP2p p2p = await WifiP2p.OpenAsync(options, ct);
        var nodeStarted = new TaskCompletionSource<PeerNode>(TaskCreationOptions.RunContinuationsAsynchronously);
        var found = new TaskCompletionSource<WifiP2pDevice>(TaskCreationOptions.RunContinuationsAsynchronously);
        p2p.GroupNodeStarted += (_, node) => nodeStarted.TrySetResult(node);
        p2p.GroupNodeFailed += (_, error) => nodeStarted.TrySetException(error);
        p2p.P2pConnectionChange += (_, info) => Console.WriteLine($"client: connection change: {info}");
        // The seed's recvP2pPeerDeviceChangeFunc: pick the device by name (or address) and connect.
        p2p.P2pPeerDeviceChange += (_, devices) =>
        {
            WifiP2pDevice? device = devices.FirstOrDefault(d =>
                (peerAddress is not null && d.DeviceAddress == peerAddress) || (peerName is not null && d.DeviceName == peerName));
            if (device is not null)
            {
                found.TrySetResult(device);
            }
        };

        await p2p.StartDiscoverDevicesAsync(ct);
        WifiP2pDevice peer = await found.Task.WaitAsync(ct);
        Console.WriteLine($"client: found {peer.DeviceName} ({peer.DeviceAddress}), connecting");
        await p2p.StopDiscoverDevicesAsync(ct);
        await p2p.P2pConnectAsync(new WifiP2PConfig { DeviceAddress = peer.DeviceAddress, NetId = WifiP2PConfig.PersistentNetId }, ct);

        PeerNode node = await nodeStarted.Task.WaitAsync(ct);
        WifiP2pLinkedInfo linked = p2p.GetP2pLinkedInfo();
        Console.WriteLine($"client: linked to group owner {linked.GroupOwnerAddr}, node on {node.ListenAddresses[0]}");
        Peer owner = node.Peers.Single();
        for (int i = 1; i <= messages; i++)
        {
            await owner.SendAsync(new GroupChat.Line($"hello {i}"), ct);
            string ack = await chat.Received.Reader.ReadAsync(ct);
            Console.WriteLine($"client: received: {ack}");
        }

        Console.WriteLine("client: done");
        return 0;
    }
}

/// <summary>The default run: both devices in this process, each driving its own stand-in supplicant.</summary>
internal static class Demo
{
    public static async Task<int> RunAsync(int messages, int port, CancellationToken ct)
    {
        string standIn = typeof(Demo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "PeerKit.StandInPath").Value!;
        string folder = Directory.CreateTempSubdirectory("pk-wifidirect-sample-").FullName;
        var processes = new List<System.Diagnostics.Process>();
        try
        {
            // The stand-ins announce the group on loopback addresses, so both nodes run on this machine.
            string owner = Start(standIn, folder, "owner", """
                device 02:00:00:00:01:00 "alpha"
                on P2P_GROUP_ADD
                  reply OK
                  emit <3>P2P-GROUP-STARTED lo GO ssid="DIRECT-PK-alpha" freq=2437 passphrase="peerkit1" go_dev_addr=02:00:00:00:01:00 [PERSISTENT] ip_addr=127.0.0.1 ip_mask=255.0.0.0 go_ip_addr=127.0.0.1
                on P2P_GROUP_REMOVE
                  reply OK
                  emit <3>P2P-GROUP-REMOVED lo GO reason=REQUESTED
                """, processes);
            string client = Start(standIn, folder, "client", """
                device 02:00:00:00:02:00 "beta"
                peer 02:00:00:00:01:00 10-0050F204-5 0x9 alpha
                on P2P_FIND
                  reply OK
                  emit <3>P2P-DEVICE-FOUND 02:00:00:00:01:00 p2p_dev_addr=02:00:00:00:01:00 pri_dev_type=10-0050F204-5 name='alpha' config_methods=0x188 dev_capab=0x25 group_capab=0x9 new=1
                on P2P_STOP_FIND
                  reply OK
                  emit <3>P2P-FIND-STOPPED 
                on P2P_CONNECT
                  reply OK
                  emit <3>P2P-GO-NEG-SUCCESS role=client freq=2437 ht40=0 peer_dev=02:00:00:00:01:00 peer_iface=02:00:00:00:01:00 wps_method=PBC
                  emit <3>P2P-GROUP-STARTED lo client ssid="DIRECT-PK-alpha" freq=2437 psk=0000000000000000000000000000000000000000000000000000000000000000 go_dev_addr=02:00:00:00:01:00 [PERSISTENT] ip_addr=127.0.0.2 ip_mask=255.0.0.0 go_ip_addr=127.0.0.1
                """, processes);

            Task<int> ownerRun = Device.RunOwnerAsync(new WifiP2pOptions { ControlPath = owner, ClientDirectory = folder, NodePort = port }, messages, ct);
            Task<int> clientRun = Device.RunClientAsync(new WifiP2pOptions { ControlPath = client, ClientDirectory = folder, NodePort = port }, null, "alpha", messages, ct);
            int[] results = await Task.WhenAll(ownerRun, clientRun);
            return results.All(r => r == 0) ? 0 : 1;
        }
        finally
        {
            foreach (System.Diagnostics.Process p in processes)
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                }

                p.WaitForExit(5000);
                p.Dispose();
            }

            Directory.Delete(folder, recursive: true);
        }
    }

    private static string Start(string standIn, string folder, string name, string scenario, List<System.Diagnostics.Process> processes)
    {
        string scenarioPath = Path.Combine(folder, name + ".scenario");
        string socket = Path.Combine(folder, name);
        string ready = Path.Combine(folder, name + ".ready");
        File.WriteAllText(scenarioPath, scenario);
        var info = new System.Diagnostics.ProcessStartInfo("dotnet") { UseShellExecute = false };
        foreach (string a in new[] { standIn, "--socket", socket, "--scenario", scenarioPath, "--ready", ready })
        {
            info.ArgumentList.Add(a);
        }

        processes.Add(System.Diagnostics.Process.Start(info)!);
        for (int i = 0; i < 3000 && !File.Exists(ready); i++)
        {
            Thread.Sleep(20);
        }

        return File.Exists(ready) ? socket : throw new InvalidOperationException($"the stand-in '{name}' did not start");
    }
}
