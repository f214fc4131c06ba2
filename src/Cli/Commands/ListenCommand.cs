using System.CommandLine;
using PeerKit.Cli.Transfers;

namespace PeerKit.Cli.Commands;

/// <summary>
/// <c>peerkit listen [--listen ADDR]… [--key FILE] [--save-dir DIR] [--for DURATION]</c>: runs a node, prints its
/// addresses, then every peer, message and file until Ctrl+C (or the duration).
/// </summary>
public static class ListenCommand
{
    public static Command Create()
    {
        var listen = new Option<string[]>("--listen", "-l") { Description = "Address to listen on (repeatable)", DefaultValueFactory = _ => ["tcp://127.0.0.1:30303"] };
        var key = CliOptions.Key();
        var saveDir = new Option<string?>("--save-dir") { Description = "Accept files sent with send-file into this folder" };
        var maxFile = new Option<long>("--max-file-size") { Description = "Largest file accepted, in bytes", DefaultValueFactory = _ => 1L << 30 };
        var duration = new Option<TimeSpan?>("--for") { Description = "Stop after this long (default: until Ctrl+C)" };
        var name = new Option<string>("--name") { Description = "Name announced to peers", DefaultValueFactory = _ => "peerkit-cli" };
        var command = new Command("listen", "Run a node and print the peers, messages and files that arrive") { listen, key, saveDir, maxFile, duration, name };
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = new CliOutput(result.GetValue(CliOptions.Json));
            FileInbox? inbox = result.GetValue(saveDir) is { } folder ? new FileInbox(folder, result.GetValue(maxFile)) : null;
            var protocol = new CliProtocol(inbox);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            await using PeerNode node = await CliNode.StartAsync(result.GetValue(name)!, result.GetValue(key), result.GetValue(listen)!, protocol, stop.Token);
            if (result.GetValue(duration) is { } limit)
            {
                stop.CancelAfter(limit);
            }

            foreach (NodeAddress address in node.ListenAddresses)
            {
                output.Write($"listening on {address}", new { @event = "listening", address = address.ToString(), id = node.Id.ToString() });
            }

            node.PeerAdded += (_, e) => output.Write($"peer {e.PeerId:s} ({e.Peer?.Name}) connected from {e.Address}", new { @event = "peer_added", peer = e.PeerId.ToString(), name = e.Peer?.Name, address = e.Address });
            node.PeerDropped += (_, e) => output.Write($"peer {e.PeerId:s} left: {e.Reason}", new { @event = "peer_dropped", peer = e.PeerId.ToString(), reason = e.Reason?.ToString() });
            try
            {
                await foreach (CliEvent e in protocol.Events.Reader.ReadAllAsync(stop.Token))
                {
                    if (e.Kind == "file")
                    {
                        output.Write($"file from {e.PeerId:s} ({e.PeerName}) saved to {e.Text}", new { @event = "file", peer = e.PeerId.ToString(), path = e.Text });
                    }
                    else
                    {
                        output.Write($"{e.PeerId:s} ({e.PeerName}): {e.Text}", new { @event = "message", peer = e.PeerId.ToString(), text = e.Text });
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
