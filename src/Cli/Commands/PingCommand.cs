using System.CommandLine;

namespace PeerKit.Cli.Commands;

/// <summary><c>peerkit ping ADDRESS [--count N] [--interval T]</c>: round trips over the session's base protocol.</summary>
public static class PingCommand
{
    public static Command Create()
    {
        var address = CliOptions.Address();
        var count = new Option<int>("--count", "-c") { Description = "Pings to send", DefaultValueFactory = _ => 4 };
        var interval = new Option<TimeSpan>("--interval") { Description = "Time between pings", DefaultValueFactory = _ => TimeSpan.FromMilliseconds(200) };
        var key = CliOptions.Key();
        var timeout = CliOptions.Timeout();
        var command = new Command("ping", "Measure round-trip times to a node") { address, count, interval, key, timeout };
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = new CliOutput(result.GetValue(CliOptions.Json));
            int n = result.GetValue(count);
            if (n is < 1 or > 100_000)
            {
                throw new CliException($"--count must be 1 to 100000, not {n}", ExitCodes.Usage);
            }

            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(result.GetValue(timeout));
            await using PeerNode node = await CliNode.StartAsync("peerkit-cli", result.GetValue(key), [], new CliProtocol(), cts.Token);
            Peer peer = await CliNode.ConnectAsync(node, result.GetValue(address)!, cts.Token);
            var samples = new List<double>(n);
            for (int i = 1; i <= n; i++)
            {
                TimeSpan rtt = await peer.PingAsync(cts.Token);
                samples.Add(rtt.TotalMilliseconds);
                output.Write($"pong from {peer.Id:s}: seq={i} time={rtt.TotalMilliseconds:0.000} ms", new { @event = "pong", seq = i, rtt_ms = rtt.TotalMilliseconds });
                if (i < n)
                {
                    await Task.Delay(result.GetValue(interval), cts.Token);
                }
            }

            output.Write(
                $"{n} pings: min {samples.Min():0.000} / avg {samples.Average():0.000} / max {samples.Max():0.000} ms",
                new { @event = "summary", count = n, min_ms = samples.Min(), avg_ms = samples.Average(), max_ms = samples.Max() });
            await peer.DisconnectAsync();
            return ExitCodes.Ok;
        });
        return command;
    }
}
