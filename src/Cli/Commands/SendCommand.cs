using System.CommandLine;

namespace PeerKit.Cli.Commands;

/// <summary><c>peerkit send ADDRESS TEXT</c>: one text message to a listening <c>peerkit</c>.</summary>
public static class SendCommand
{
    public static Command Create()
    {
        var address = CliOptions.Address();
        var text = new Argument<string>("text") { Description = "The message" };
        var key = CliOptions.Key();
        var timeout = CliOptions.Timeout();
        var command = new Command("send", "Send a text message to a node running `peerkit listen`") { address, text, key, timeout };
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = new CliOutput(result.GetValue(CliOptions.Json));
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(result.GetValue(timeout));
            await using PeerNode node = await CliNode.StartAsync("peerkit-cli", result.GetValue(key), [], new CliProtocol(), cts.Token);
            Peer peer = await CliNode.ConnectAsync(node, result.GetValue(address)!, cts.Token);
            if (peer.Protocols.Count == 0)
            {
                throw new CliException($"{peer.Id:s} (\"{peer.Name}\") does not speak the peerkit-cli protocol");
            }

            string body = result.GetValue(text)!;
            await peer.SendAsync(new CliProtocol.Text(body), cts.Token);
            // A ping after the message: when it returns, the message (sent before it, in order) has arrived.
            await peer.PingAsync(cts.Token);
            output.Write($"sent {System.Text.Encoding.UTF8.GetByteCount(body)} bytes to {peer.Id:s}", new { @event = "sent", peer = peer.Id.ToString(), bytes = System.Text.Encoding.UTF8.GetByteCount(body) });
            await peer.DisconnectAsync();
            return ExitCodes.Ok;
        });
        return command;
    }
}
