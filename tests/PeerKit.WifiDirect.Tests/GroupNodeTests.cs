using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using PeerKit.WifiDirect.Tests.Support;

namespace PeerKit.WifiDirect.Tests;

/// <summary>A protocol for the node over the group: the owner answers every line with "ack: …".</summary>
[Protocol("wifi-direct-test", Version = 1)]
public sealed partial class GroupLines
{
    /// <summary>A line.</summary>
    [Message(Code = 0)]
    public sealed partial record Line(string Text);

    /// <summary>Lines received.</summary>
    public Channel<string> Received { get; } = Channel.CreateBounded<string>(64);

    /// <summary>Whether to answer.</summary>
    public bool Acknowledge { get; init; }

    /// <summary>The read loop.</summary>
    public async ValueTask RunAsync(Peer peer, MessageReadWriter readWriter, CancellationToken cancellationToken)
    {
        while (true)
        {
            using ProtocolMessage message = await readWriter.ReadAsync(cancellationToken);
            string text = message.Decode<Line>().Text;
            await Received.Writer.WriteAsync(text, cancellationToken);
            if (Acknowledge)
            {
                await readWriter.SendAsync(new Line("ack: " + text), cancellationToken);
            }
        }
    }
}

/// <summary>The node over the group, on loopback addresses announced by two stand-ins.</summary>
public sealed class GroupNodeTests
{
    internal static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Once_the_group_is_up_nodes_listen_on_the_group_addresses_and_the_client_dials_the_owner()
    {
        using StandInProcess owner = StandInProcess.Start("""
            device 02:00:00:00:01:00 "alpha"
            on P2P_GROUP_ADD
              reply OK
              emit <3>P2P-GROUP-STARTED lo GO ssid="DIRECT-PK" freq=2437 passphrase="peerkit1" go_dev_addr=02:00:00:00:01:00 ip_addr=127.0.0.1 ip_mask=255.0.0.0 go_ip_addr=127.0.0.1
            on P2P_GROUP_REMOVE
              reply OK
              emit <3>P2P-GROUP-REMOVED lo GO reason=REQUESTED
            """);
        using StandInProcess client = StandInProcess.Start("""
            device 02:00:00:00:02:00 "beta"
            on P2P_CONNECT
              reply OK
              emit <3>P2P-GO-NEG-SUCCESS role=client freq=2437 ht40=0 peer_dev=02:00:00:00:01:00 peer_iface=02:00:00:00:01:00 wps_method=PBC
              emit <3>P2P-GROUP-STARTED lo client ssid="DIRECT-PK" freq=2437 psk=00 go_dev_addr=02:00:00:00:01:00 ip_addr=127.0.0.3 ip_mask=255.0.0.0 go_ip_addr=127.0.0.1
            """);
        int port = FreePort();
        var ownerLines = new GroupLines { Acknowledge = true };
        var clientLines = new GroupLines();
        WifiP2pOptions ownerOptions = owner.Options(() => new PeerNodeOptions { Name = "owner", Protocols = { ownerLines } });
        WifiP2pOptions clientOptions = client.Options(() => new PeerNodeOptions { Name = "client", Protocols = { clientLines } });
        ownerOptions.NodePort = clientOptions.NodePort = port;

        await using WifiP2p ownerP2p = await WifiP2p.OpenAsync(ownerOptions);
        await using WifiP2p clientP2p = await WifiP2p.OpenAsync(clientOptions);
        await using var ownerLog = new EventLog(ownerP2p);
        await using var clientLog = new EventLog(clientP2p);

        await ownerP2p.CreateGroupAsync(new WifiP2PConfig());
        PeerNode ownerNode = (await ownerLog.WaitAsync(e => e.Kind == WifiP2pEventKind.GroupNodeStarted, "owner node")).Node!;
        Assert.Equal($"127.0.0.1:{port}", $"{ownerNode.ListenAddresses[0].Host}:{ownerNode.ListenAddresses[0].Port}");

        await clientP2p.P2pConnectAsync(new WifiP2PConfig { DeviceAddress = "02:00:00:00:01:00" });
        PeerNode clientNode = (await clientLog.WaitAsync(e => e.Kind == WifiP2pEventKind.GroupNodeStarted, "client node")).Node!;
        Assert.Same(clientNode, clientP2p.GroupNode);
        Assert.Equal("127.0.0.3", clientNode.ListenAddresses[0].Host);
        Peer toOwner = Assert.Single(clientNode.Peers);
        Assert.Equal(ownerNode.Id, toOwner.Id);

        for (int i = 0; i < 5; i++)
        {
            await toOwner.SendAsync(new GroupLines.Line($"hello {i}"));
            Assert.Equal($"hello {i}", await ownerLines.Received.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal($"ack: hello {i}", await clientLines.Received.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        }

        // Removing the group stops the owner's node.
        await ownerP2p.RemoveGroupAsync();
        await ownerLog.WaitAsync(e => e.Kind == WifiP2pEventKind.ConnectionChange && e.Reason == "REQUESTED", "group removed");
        for (int i = 0; i < 200 && ownerP2p.GroupNode is not null; i++)
        {
            await Task.Delay(20);
        }

        Assert.Null(ownerP2p.GroupNode);
    }

    [Fact]
    public async Task A_client_whose_owner_never_answers_reports_the_node_failure()
    {
        using StandInProcess client = StandInProcess.Start("""
            attach
              emit <3>P2P-GROUP-STARTED lo client ssid="DIRECT-PK" freq=2437 psk=00 go_dev_addr=02:00:00:00:01:00 ip_addr=127.0.0.4 ip_mask=255.0.0.0 go_ip_addr=127.0.0.5
            """);
        WifiP2pOptions options = client.Options(() => new PeerNodeOptions { Name = "client" });
        options.NodePort = FreePort();
        options.NodeStartTimeout = TimeSpan.FromSeconds(2);
        await using WifiP2p p2p = await WifiP2p.OpenAsync(options);
        await using var log = new EventLog(p2p);
        WifiP2pEvent failed = await log.WaitAsync(e => e.Kind == WifiP2pEventKind.GroupNodeFailed, "node failure", seconds: 30);
        Assert.IsType<TimeoutException>(failed.Error);
        Assert.Contains("127.0.0.5", failed.Error!.Message);
        Assert.Null(p2p.GroupNode);
    }
}
