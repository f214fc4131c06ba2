using System.CommandLine;
using PeerKit.Links.Udp;
using Spectre.Console;

namespace PeerKit.Cli.Commands;

/// <summary>
/// <c>peerkit peers [--listen ADDR]… [--connect ADDR]…</c>: runs a node and shows its peers in a live table (id,
/// address, path, RTT, loss, rates, queued), refreshed every <c>--refresh</c>; with <c>--json</c>, one snapshot line
/// per refresh.
/// </summary>
public static class PeersCommand
{
    public static Command Create()
    {
        var listen = new Option<string[]>("--listen", "-l") { Description = "Address to listen on (repeatable)", DefaultValueFactory = _ => [] };
        var connect = new Option<string[]>("--connect") { Description = "Node to connect to (repeatable)", DefaultValueFactory = _ => [] };
        var key = CliOptions.Key();
        var refresh = new Option<TimeSpan>("--refresh") { Description = "Time between refreshes", DefaultValueFactory = _ => TimeSpan.FromMilliseconds(500) };
        var duration = new Option<TimeSpan?>("--for") { Description = "Stop after this long (default: until Ctrl+C)" };
        var command = new Command("peers", "Run a node and show its peers in a live table") { listen, connect, key, refresh, duration };
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = new CliOutput(result.GetValue(CliOptions.Json));
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            await using PeerNode node = await CliNode.StartAsync("peerkit-cli", result.GetValue(key), result.GetValue(listen)!, new CliProtocol(), stop.Token);
            foreach (string address in result.GetValue(connect)!)
            {
                await CliNode.ConnectAsync(node, address, stop.Token);
            }

            // The table runs for --for once the node is up and connected.
            if (result.GetValue(duration) is { } limit)
            {
                stop.CancelAfter(limit);
            }

            var rates = new PeerRates();
            TimeSpan every = result.GetValue(refresh);
            try
            {
                if (output.Json)
                {
                    while (!stop.IsCancellationRequested)
                    {
                        PeerRow[] rows = Snapshot(node, rates);
                        output.Write("", new { @event = "peers", node = node.Id.ToString(), peers = rows });
                        await Task.Delay(every, stop.Token);
                    }
                }
                else
                {
                    Table table = NewTable(node);
                    await AnsiConsole.Live(table).AutoClear(false).StartAsync(async context =>
                    {
                        while (!stop.IsCancellationRequested)
                        {
                            table.Rows.Clear();
                            foreach (PeerRow row in Snapshot(node, rates))
                            {
                                table.AddRow(row.Id[..16], Markup.Escape(row.Address ?? "in-process"), row.Path, row.RttMs is { } rtt ? $"{rtt:0.00} ms" : "-",
                                    row.Loss is { } loss ? $"{loss:P1}" : "-", $"{Bytes(row.InPerSecond)}/s", $"{Bytes(row.OutPerSecond)}/s", row.Queued?.ToString() ?? "-");
                            }

                            table.Caption($"{node.PeerCount} peers, {node.PendingPeerCount} handshaking; Ctrl+C to stop");
                            context.Refresh();
                            await Task.Delay(every, stop.Token);
                        }
                    });
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Table NewTable(PeerNode node)
    {
        var table = new Table().Title($"peerkit node {node.Id:s} {string.Join(" ", node.ListenAddresses.Select(a => Markup.Escape(a.ToString())))}");
        foreach (string column in new[] { "Id", "Address", "Path", "RTT", "Loss", "In", "Out", "Queued" })
        {
            table.AddColumn(column);
        }

        return table;
    }

    private static PeerRow[] Snapshot(PeerNode node, PeerRates rates)
    {
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        IReadOnlyList<Peer> peers = node.Peers;
        rates.Retain([.. peers.Select(p => p.Id)]);
        return [.. peers.Select(peer =>
        {
            PeerStatus status = peer.Status;
            (double inRate, double outRate) = rates.Update(peer.Id, status.BytesIn, status.BytesOut, now);
            UdpLinkStatus? udp = peer.Link is UdpLink link ? link.GetStatus() : null;
            string path = $"{(peer.Link is UdpLink ? "udp" : peer.RemoteAddress is null ? "memory" : "tcp")} {(peer.IsInbound ? "in" : "out")}";
            double? rtt = status.SmoothedRtt > TimeSpan.Zero ? status.SmoothedRtt.TotalMilliseconds : null;
            long? queued = udp is { } u ? u.QueuedReliableOrdered + u.QueuedReliableUnordered + u.QueuedUnreliable + u.QueuedUnreliableSequenced : null;
            return new PeerRow(peer.Id.ToString(), peer.Name, peer.RemoteAddress?.ToString(), path, rtt, udp?.Loss, inRate, outRate, queued);
        })];
    }

    private static string Bytes(double perSecond) => perSecond switch
    {
        >= 1 << 20 => $"{perSecond / (1 << 20):0.0} MiB",
        >= 1 << 10 => $"{perSecond / (1 << 10):0.0} KiB",
        _ => $"{perSecond:0} B",
    };
}
