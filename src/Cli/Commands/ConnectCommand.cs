using System.CommandLine;

namespace PeerKit.Cli.Commands;

/// <summary><c>peerkit connect ADDRESS</c>: dials, runs both handshakes, prints who answered, and hangs up.</summary>
public static class ConnectCommand
{
    public static Command Create()
    {
        var address = CliOptions.Address();
        var key = CliOptions.Key();
        var timeout = CliOptions.Timeout();
        var command = new Command("connect", "Connect to a node, print its id, name and protocols, and disconnect") { address, key, timeout };
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = new CliOutput(result.GetValue(CliOptions.Json));
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(result.GetValue(timeout));
            await using PeerNode node = await CliNode.StartAsync("peerkit-cli", result.GetValue(key), [], new CliProtocol(), cts.Token);
            Peer peer = await CliNode.ConnectAsync(node, result.GetValue(address)!, cts.Token);
            string[] protocols = [.. peer.Protocols.Select(p => p.Descriptor.ToString())];
            output.Write(
                $"connected to {peer.Id} \"{peer.Name}\" at {peer.RemoteAddress}; shared protocols: {(protocols.Length == 0 ? "none" : string.Join(", ", protocols))}",
                new { @event = "connected", id = peer.Id.ToString(), name = peer.Name, address = peer.RemoteAddress?.ToString(), protocols });
            await peer.DisconnectAsync();
            return ExitCodes.Ok;
        });
        return command;
    }
}
