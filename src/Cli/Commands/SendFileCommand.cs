using System.CommandLine;
using System.Security.Cryptography;
using Spectre.Console;

namespace PeerKit.Cli.Commands;

/// <summary>
/// <c>peerkit send-file ADDRESS PATH</c>: streams a file in chunks to a node running <c>peerkit listen --save-dir</c>,
/// with a progress bar, and succeeds only when the receiver confirms the length and SHA-256.
/// </summary>
public static class SendFileCommand
{
    /// <summary>Bytes per chunk message.</summary>
    public const int ChunkSize = 64 * 1024;

    public static Command Create()
    {
        var address = CliOptions.Address();
        var path = new Argument<string>("path") { Description = "The file to send" };
        var key = CliOptions.Key();
        var timeout = new Option<TimeSpan>("--timeout") { Description = "Give up after this long", DefaultValueFactory = _ => TimeSpan.FromMinutes(10) };
        var command = new Command("send-file", "Send a file to a node running `peerkit listen --save-dir DIR`, with a progress bar") { address, path, key, timeout };
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = new CliOutput(result.GetValue(CliOptions.Json));
            string file = result.GetValue(path)!;
            if (!File.Exists(file))
            {
                throw new CliException($"{file}: no such file");
            }

            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(result.GetValue(timeout));
            var protocol = new CliProtocol();
            await using PeerNode node = await CliNode.StartAsync("peerkit-cli", result.GetValue(key), [], protocol, cts.Token);
            Peer peer = await CliNode.ConnectAsync(node, result.GetValue(address)!, cts.Token);
            if (peer.Protocols.Count == 0)
            {
                throw new CliException($"{peer.Id:s} (\"{peer.Name}\") does not speak the peerkit-cli protocol");
            }

            await using FileStream stream = File.OpenRead(file);
            long size = stream.Length;
            ulong id = (ulong)Random.Shared.NextInt64(1, long.MaxValue);
            Task<CliProtocol.FileReceived> receipt = protocol.WaitForReceiptAsync(id, cts.Token);
            long started = System.Diagnostics.Stopwatch.GetTimestamp();

            async Task SendAsync(Action<long> progress)
            {
                await peer.SendAsync(new CliProtocol.FileStart(id, Path.GetFileName(file), size), cts.Token);
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                byte[] buffer = new byte[ChunkSize];
                long offset = 0;
                int read;
                while ((read = await stream.ReadAsync(buffer, cts.Token)) > 0)
                {
                    if (receipt.IsCompleted)
                    {
                        break; // refused midway: the receipt says why
                    }

                    hash.AppendData(buffer, 0, read);
                    await peer.SendAsync(new CliProtocol.FileChunk(id, offset, buffer.AsMemory(0, read)), cts.Token);
                    offset += read;
                    progress(offset);
                }

                if (!receipt.IsCompleted)
                {
                    await peer.SendAsync(new CliProtocol.FileEnd(id, Convert.ToHexStringLower(hash.GetHashAndReset())), cts.Token);
                }
            }

            if (output.Json || !AnsiConsole.Profile.Capabilities.Interactive)
            {
                await SendAsync(_ => { });
            }
            else
            {
                await AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
                    .StartAsync(async context =>
                    {
                        ProgressTask task = context.AddTask(Path.GetFileName(file), maxValue: Math.Max(size, 1));
                        await SendAsync(sent => task.Value = sent);
                        task.Value = task.MaxValue;
                    });
            }

            CliProtocol.FileReceived answer = await receipt;
            if (!answer.Ok)
            {
                throw new CliException($"{peer.Id:s} did not save {file}: {answer.Error}");
            }

            double seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
            output.Write(
                $"sent {file} ({size} bytes) to {peer.Id:s} in {seconds:0.00} s; SHA-256 {answer.Sha256} confirmed",
                new { @event = "file_sent", path = file, bytes = size, sha256 = answer.Sha256, seconds });
            await peer.DisconnectAsync();
            return ExitCodes.Ok;
        });
        return command;
    }
}
