using System.CommandLine;
using System.Diagnostics;

namespace PeerKit.Cli.Commands;

/// <summary>
/// <c>peerkit bench [--count N] [--size B] [--transport tcp|udp]</c>: a quick loopback figure, two nodes in this
/// process sending N messages of B bytes one way. A sanity check, not a benchmark (those are in benchmarks/).
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var count = new Option<int>("--count", "-n") { Description = "Messages to send", DefaultValueFactory = _ => 100_000 };
        var size = new Option<int>("--size", "-s") { Description = "Bytes of text per message", DefaultValueFactory = _ => 64 };
        var transport = new Option<string>("--transport", "-t") { Description = "tcp or udp", DefaultValueFactory = _ => "tcp" };
        transport.AcceptOnlyFromAmong("tcp", "udp");
        var command = new Command("bench", "Send messages between two nodes on loopback and print the rate") { count, size, transport };
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = new CliOutput(result.GetValue(CliOptions.Json));
            int n = result.GetValue(count);
            int bytes = result.GetValue(size);
            if (n is < 1 or > 100_000_000 || bytes is < 0 or > 1 << 20)
            {
                throw new CliException("--count must be 1 to 100000000 and --size 0 to 1048576", ExitCodes.Usage);
            }

            string scheme = result.GetValue(transport)!;
            var receiving = new CliProtocol();
            await using PeerNode server = await CliNode.StartAsync("bench-server", null, [$"{scheme}://127.0.0.1:0"], receiving, cancellationToken);
            await using PeerNode client = await CliNode.StartAsync("bench-client", null, scheme == "udp" ? ["udp://127.0.0.1:0"] : [], new CliProtocol(), cancellationToken);
            Peer peer = await CliNode.ConnectAsync(client, server.ListenAddresses[0].ToString(), cancellationToken);
            var message = new CliProtocol.Text(new string('x', bytes));

            long start = Stopwatch.GetTimestamp();
            Task receive = Task.Run(async () =>
            {
                for (int i = 0; i < n; i++)
                {
                    await receiving.Events.Reader.ReadAsync(cancellationToken);
                }
            }, cancellationToken);
            for (int i = 0; i < n; i++)
            {
                await peer.SendAsync(message, cancellationToken);
            }

            await receive;
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            double rate = n / seconds;
            output.Write(
                $"{n} messages of {bytes} B over {scheme} loopback in {seconds:0.000} s: {rate:0} msg/s, {rate * bytes / (1 << 20):0.0} MiB/s",
                new { transport = scheme, count = n, size = bytes, seconds, messages_per_second = rate, mib_per_second = rate * bytes / (1 << 20) });
            return ExitCodes.Ok;
        });
        return command;
    }
}
