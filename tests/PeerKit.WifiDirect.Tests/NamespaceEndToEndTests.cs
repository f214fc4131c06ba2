using System.Diagnostics;
using System.Text;
using PeerKit.WifiDirect.Tests.Support;

namespace PeerKit.WifiDirect.Tests;

/// <summary>
/// End to end in two network namespaces joined by a veth pair named like a P2P group interface. Each device is the
/// sample (samples/WifiDirect) started inside its namespace with <c>ip netns exec</c>, driving its own stand-in
/// supplicant (the stand-ins run in this namespace: a Unix socket path reaches across network namespaces). When the
/// stand-ins announce the group, the two nodes find their addresses on the group interface, connect and exchange
/// messages across the veth pair.
/// </summary>
public sealed class NamespaceEndToEndTests
{
    private const string OwnerScenario = """
        device 02:00:00:00:01:00 "alpha"
        on P2P_GROUP_ADD
          reply OK
          emit <3>P2P-GROUP-STARTED p2p-wlan0-0 GO ssid="DIRECT-PK-alpha" freq=2437 passphrase="peerkit1" go_dev_addr=02:00:00:00:01:00 [PERSISTENT]
          emit <3>AP-STA-CONNECTED 02:00:00:00:02:01 p2p_dev_addr=02:00:00:00:02:00
        on P2P_GROUP_REMOVE p2p-wlan0-0
          reply OK
          emit <3>P2P-GROUP-REMOVED p2p-wlan0-0 GO reason=REQUESTED
        """;

    private const string ClientScenario = """
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
          emit <3>P2P-GO-NEG-SUCCESS role=client freq=2437 ht40=0 peer_dev=02:00:00:00:01:00 peer_iface=02:00:00:00:01:01 wps_method=PBC
          emit <3>P2P-GROUP-FORMATION-SUCCESS 
          emit <3>P2P-GROUP-STARTED p2p-wlan0-0 client ssid="DIRECT-PK-alpha" freq=2437 psk=0000000000000000000000000000000000000000000000000000000000000000 go_dev_addr=02:00:00:00:01:00 [PERSISTENT] ip_addr=192.168.49.10 ip_mask=255.255.255.0 go_ip_addr=192.168.49.1
        """;

    [Fact]
    public async Task Nodes_in_two_namespaces_connect_over_the_announced_group_and_exchange_messages()
    {
        using NamespacePair namespaces = NamespacePair.Create();
        using StandInProcess owner = StandInProcess.Start(OwnerScenario);
        using StandInProcess client = StandInProcess.Start(ClientScenario);
        int port = GroupNodeTests.FreePort();
        long before = namespaces.OwnerReceivedBytes();

        using var ownerRun = DeviceProcess.Start(namespaces.IpPath, namespaces.Owner, owner.SocketPath, "go", port);
        using var clientRun = DeviceProcess.Start(namespaces.IpPath, namespaces.Client, client.SocketPath, "client", port);
        (int clientCode, string clientOutput) = await clientRun.WaitAsync(TimeSpan.FromSeconds(120));
        (int ownerCode, string ownerOutput) = await ownerRun.WaitAsync(TimeSpan.FromSeconds(60));
        string both = $"owner (exit {ownerCode}):\n{ownerOutput}\nclient (exit {clientCode}):\n{clientOutput}";

        Assert.True(clientCode == 0 && ownerCode == 0, both);
        Assert.Contains($"owner: group DIRECT-PK-alpha on p2p-wlan0-0, node listening on tcp://", ownerOutput);
        Assert.Contains($"@{NamespacePair.OwnerAddress}:{port}", ownerOutput);
        Assert.Contains($"client: linked to group owner {NamespacePair.OwnerAddress}, node on tcp://", clientOutput);
        Assert.Contains($"@{NamespacePair.ClientAddress}:{port}", clientOutput);
        for (int i = 1; i <= 3; i++)
        {
            Assert.Contains($"owner: received: hello {i}", ownerOutput);
            Assert.Contains($"client: received: ack: hello {i}", clientOutput);
        }

        // The owner's group interface received the session (handshake, hellos, three lines): it crossed the veth pair.
        Assert.True(namespaces.OwnerReceivedBytes() - before > 500, both);
        Assert.Contains("P2P_GROUP_REMOVE p2p-wlan0-0", owner.Commands());
        Assert.Contains("P2P_CONNECT 02:00:00:00:01:00 pbc persistent join", client.Commands());
    }

    /// <summary>The sample run inside a namespace; killed (with its process tree) if it outlives the test.</summary>
    private sealed class DeviceProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private DeviceProcess(Process process)
        {
            _process = process;
        }

        public static DeviceProcess Start(string ip, string ns, string control, string role, int port)
        {
            var info = new ProcessStartInfo(ip)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string a in new[] { "netns", "exec", ns, Paths.DotNet, Paths.Sample, "--control", control, "--role", role,
                         "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--peer", "02:00:00:00:01:00", "--messages", "3", "--timeout", "90" })
            {
                info.ArgumentList.Add(a);
            }

            var device = new DeviceProcess(Process.Start(info)!);
            device._process.OutputDataReceived += (_, e) => device.Append(e.Data);
            device._process.ErrorDataReceived += (_, e) => device.Append(e.Data);
            device._process.BeginOutputReadLine();
            device._process.BeginErrorReadLine();
            return device;
        }

        public async Task<(int Code, string Output)> WaitAsync(TimeSpan timeout)
        {
            using var cancel = new CancellationTokenSource(timeout);
            try
            {
                await _process.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                Kill();
                return (-1, Output() + $"\n(killed after {timeout.TotalSeconds} s)");
            }

            _process.WaitForExit(); // flushes the redirected output
            return (_process.ExitCode, Output());
        }

        public void Dispose()
        {
            Kill();
            _process.Dispose();
        }

        private void Kill()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
            }
        }

        private void Append(string? line)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }

        private string Output()
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }
}
