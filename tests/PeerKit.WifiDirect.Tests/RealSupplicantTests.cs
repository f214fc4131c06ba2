using System.Diagnostics;
using PeerKit.WifiDirect.Tests.Support;

namespace PeerKit.WifiDirect.Tests;

/// <summary>
/// The real wpa_supplicant (Debian package wpasupplicant, installed when missing) started with only a global control
/// socket. There is no Wi-Fi hardware and no mac80211_hwsim here, so it has no P2P device: the API connects, pings,
/// lists (no) interfaces, and every P2P call fails with 801 and a message saying what P2P needs. A second run gives
/// it a wired interface (a veth end in a namespace this test creates, driver "wired"): listed, and still no P2P.
/// </summary>
public sealed class RealSupplicantTests
{
    [Fact]
    public async Task Real_wpa_supplicant_answers_ping_lists_interfaces_and_refuses_p2p_without_a_p2p_device()
    {
        string wpaSupplicant = SystemTools.Require("wpa_supplicant", "wpasupplicant");
        string folder = Directory.CreateTempSubdirectory("pk-wpa-real-").FullName;
        string global = Path.Combine(folder, "global");
        var info = new ProcessStartInfo(wpaSupplicant)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-g");
        info.ArgumentList.Add(global);
        using Process process = Process.Start(info)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            for (int i = 0; i < 500 && !File.Exists(global) && !process.HasExited; i++)
            {
                await Task.Delay(20);
            }

            Assert.True(File.Exists(global), $"wpa_supplicant -g {global} did not create its socket (exited: {process.HasExited}): {output}");

            await using WifiP2p p2p = await WifiP2p.OpenAsync(new WifiP2pOptions { ControlPath = global, ClientDirectory = folder });
            Assert.Equal(P2pState.Started, p2p.State);
            TimeSpan rtt = await p2p.PingAsync();
            Assert.True(rtt < TimeSpan.FromSeconds(5));
            Assert.Empty(await p2p.GetSupplicantInterfacesAsync());

            WifiP2pException find = await Assert.ThrowsAsync<WifiP2pException>(() => p2p.StartDiscoverDevicesAsync());
            Assert.Equal((WifiP2pErrorCode.CapabilityNotSupported, WifiP2pFailure.NoP2pDevice), (find.Code, find.Failure));
            Assert.Contains("P2P_FIND", find.Message);
            Assert.Contains("nl80211", find.Message);

            WifiP2pException group = await Assert.ThrowsAsync<WifiP2pException>(() => p2p.CreateGroupAsync(new WifiP2PConfig()));
            Assert.Equal(WifiP2pErrorCode.CapabilityNotSupported, group.Code);
            WifiP2pException connect = await Assert.ThrowsAsync<WifiP2pException>(() => p2p.P2pConnectAsync(new WifiP2PConfig { DeviceAddress = "02:00:00:00:02:00" }));
            Assert.Equal(WifiP2pErrorCode.CapabilityNotSupported, connect.Code);
            WifiP2pException peers = await Assert.ThrowsAsync<WifiP2pException>(() => p2p.GetP2pPeerDevicesAsync());
            Assert.Equal(WifiP2pErrorCode.CapabilityNotSupported, peers.Code);

            // Still healthy afterwards: the refusals did not close anything.
            await p2p.PingAsync();
            Assert.Equal(P2pState.Started, p2p.State);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.WaitForExit(10_000);
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Real_wpa_supplicant_with_a_wired_interface_lists_it_and_reports_it_has_no_p2p_device()
    {
        string wpaSupplicant = SystemTools.Require("wpa_supplicant", "wpasupplicant");
        using NamespacePair ns = NamespacePair.CreateSingle("pkwired0");
        string folder = Directory.CreateTempSubdirectory("pk-wpa-wired-").FullName;
        string global = Path.Combine(folder, "global");
        string perInterface = Path.Combine(folder, "pkwired0");
        var info = new ProcessStartInfo(ns.IpPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "netns", "exec", ns.Owner, wpaSupplicant, "-g", global, "-i", "pkwired0", "-D", "wired", "-C", folder })
        {
            info.ArgumentList.Add(a);
        }

        using Process process = Process.Start(info)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            for (int i = 0; i < 500 && !(File.Exists(global) && File.Exists(perInterface)) && !process.HasExited; i++)
            {
                await Task.Delay(20);
            }

            Assert.True(File.Exists(global) && File.Exists(perInterface), $"wpa_supplicant did not create its sockets (exited: {process.HasExited}): {output}");

            // The global socket, commands addressed to the interface with IFNAME=.
            await using (WifiP2p p2p = await WifiP2p.OpenAsync(new WifiP2pOptions { ControlPath = global, ClientDirectory = folder, InterfaceName = "pkwired0" }))
            {
                Assert.Equal(["pkwired0"], await p2p.GetSupplicantInterfacesAsync());
                WifiP2pException e = await Assert.ThrowsAsync<WifiP2pException>(() => p2p.StartDiscoverDevicesAsync());
                Assert.Equal((WifiP2pErrorCode.CapabilityNotSupported, WifiP2pFailure.NoP2pDevice), (e.Code, e.Failure));
                Assert.Contains("'pkwired0' has no P2P device", e.Message);
            }

            // The interface's own socket: STATUS gives this device's address (a wired one has no P2P address).
            await using (WifiP2p p2p = await WifiP2p.OpenAsync(new WifiP2pOptions { ControlPath = perInterface, ClientDirectory = folder }))
            {
                Assert.Matches("^[0-9a-f]{2}(:[0-9a-f]{2}){5}$", p2p.GetP2pLocalDevice().DeviceAddress);
                WifiP2pException e = await Assert.ThrowsAsync<WifiP2pException>(() => p2p.CreateGroupAsync(new WifiP2PConfig()));
                Assert.Equal((WifiP2pErrorCode.CapabilityNotSupported, WifiP2pFailure.NoP2pDevice), (e.Code, e.Failure));
                await p2p.PingAsync();
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.WaitForExit(10_000);
            Directory.Delete(folder, recursive: true);
        }
    }
}
