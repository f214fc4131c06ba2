using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text;

namespace PeerKit.Cli.Commands;

/// <summary>
/// <c>peerkit radio send|listen</c>: Crazyflie P2P packets on a simulated medium shared by processes through a
/// directory (<c>--medium DIR</c>), or on a Crazyradio USB dongle (<c>--crazyradio</c>). See docs/radio.md.
/// </summary>
public static class RadioCommand
{
    /// <summary>The exit code of a radio failure: a missing dongle or libusb is 4, a bad value 2, anything else 1.</summary>
    public static int ExitCode(RadioError error) => error switch
    {
        RadioError.NoLibUsb or RadioError.NoDevice or RadioError.NoPermission or RadioError.OldFirmware or RadioError.Unsupported => ExitCodes.Unavailable,
        RadioError.InvalidArgument or RadioError.TooLarge => ExitCodes.Usage,
        _ => ExitCodes.Failure,
    };

    public static Command Create() => new("radio", "Crazyflie P2P packets on a simulated medium or a Crazyradio")
    {
        CreateSend(),
        CreateListen(),
    };

    private sealed record Target(Option<string?> Medium, Option<bool> Crazyradio, Option<int> Device, Option<uint?> Id, Option<double> X, Option<double> Y, Option<double> Z, Option<int> Channel);

    private static Target AddTarget(Command command, string idDescription)
    {
        var target = new Target(
            new Option<string?>("--medium", "-m") { Description = "A directory shared by every process on the simulated medium (at most 79 bytes)" },
            new Option<bool>("--crazyradio") { Description = "Use a Crazyradio USB dongle (needs libusb-1.0) instead of a simulated medium" },
            new Option<int>("--device") { Description = "Which Crazyradio, 0 for the first", DefaultValueFactory = _ => 0 },
            new Option<uint?>("--id") { Description = idDescription },
            new Option<double>("--x") { Description = "Position east, in metres (simulated)" },
            new Option<double>("--y") { Description = "Position north, in metres (simulated)" },
            new Option<double>("--z") { Description = "Position up, in metres (simulated)" },
            new Option<int>("--channel") { Description = "Channel 0 to 125 (2400 + channel MHz)", DefaultValueFactory = _ => 80 });
        target.Channel.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 0 or > 125)
            {
                r.AddError("--channel is 0 to 125");
            }
        });
        command.Options.Add(target.Medium);
        command.Options.Add(target.Crazyradio);
        command.Options.Add(target.Device);
        command.Options.Add(target.Id);
        command.Options.Add(target.X);
        command.Options.Add(target.Y);
        command.Options.Add(target.Z);
        command.Options.Add(target.Channel);
        command.Validators.Add(r =>
        {
            bool medium = r.GetValue(target.Medium) is not null, crazyradio = r.GetValue(target.Crazyradio);
            if (medium == crazyradio)
            {
                r.AddError("give either --medium DIR or --crazyradio");
            }
        });
        return target;
    }

    /// <summary>Opens the radio and starts P2P on it; the returned medium (null for a dongle) is disposed after the node.</summary>
    private static (RadioNode Node, SimulatedMedium? Medium, string Where) Open(ParseResult result, Target target, uint? defaultId)
    {
        if (result.GetValue(target.Crazyradio))
        {
            Radio dongle = Radio.OpenCrazyradio(new CrazyradioOptions { DeviceIndex = result.GetValue(target.Device) });
            try
            {
                dongle.Channel = result.GetValue(target.Channel);
                return (RadioNode.Open(dongle, new RadioNodeOptions { NodeId = result.GetValue(target.Id) is { } id and <= 254 ? (int)id : -1 }), null, $"Crazyradio {result.GetValue(target.Device)}");
            }
            catch
            {
                dongle.Dispose();
                throw;
            }
        }

        string directory = Path.GetFullPath(result.GetValue(target.Medium)!);
        var medium = new SimulatedMedium(new SimulatedMediumOptions { Path = directory });
        try
        {
            double x = result.GetValue(target.X), y = result.GetValue(target.Y), z = result.GetValue(target.Z);
            uint? id = result.GetValue(target.Id) ?? defaultId;
            Radio radio = id is { } fixedId ? medium.OpenRadio(fixedId, x, y, z) : OpenFreeRadio(medium, x, y, z);

            radio.Channel = result.GetValue(target.Channel);
            return (RadioNode.Open(radio), medium, directory);
        }
        catch
        {
            medium.Dispose();
            throw;
        }
    }

    // A sender without --id takes the first free id from 200 to 254 (ids at most 254 can also send addressed packets).
    private static Radio OpenFreeRadio(SimulatedMedium medium, double x, double y, double z)
    {
        int start = Environment.ProcessId % 55;
        for (int i = 0; i < 55; i++)
        {
            try
            {
                return medium.OpenRadio((uint)(200 + ((start + i) % 55)), x, y, z);
            }
            catch (RadioException e) when (e.Error == RadioError.InUse)
            {
            }
        }

        throw new CliException("radio ids 200 to 254 are all in use on this medium: give --id", ExitCodes.Failure);
    }

    private static Command CreateSend()
    {
        var data = new Argument<string>("data") { Description = "The packet's data: text (UTF-8), or hex bytes with --hex (at most 60 bytes)" };
        var hex = new Option<bool>("--hex") { Description = "DATA is hex bytes, e.g. 48656c6c6f or 48:65:6c:6c:6f" };
        var port = new Option<int>("--port", "-p") { Description = "The P2P port, 0 to 14 (15 carries addressed packets)", Required = true };
        port.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 0 or > 14)
            {
                r.AddError("--port is 0 to 14 (port 15 carries the acknowledged addressed packets of --to)");
            }
        });
        var to = new Option<byte?>("--to") { Description = "Send to this node id (0 to 254) and wait for its acknowledgement, instead of broadcasting" };
        to.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<byte?>() == RadioNode.BroadcastNodeId)
            {
                r.AddError("--to is a node id, 0 to 254 (leave it out to broadcast)");
            }
        });
        var timeout = CliOptions.Timeout();
        var command = new Command("send", "Send one P2P packet (broadcast, or acknowledged to one node with --to)") { data, hex, port, to, timeout };
        Target target = AddTarget(command, "This radio's id on the medium (default: a free one from 200 to 254)");
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = new CliOutput(result.GetValue(CliOptions.Json));
            byte[] bytes = Bytes(result.GetValue(data)!, result.GetValue(hex));
            int p = result.GetValue(port);
            (RadioNode node, SimulatedMedium? medium, string where) = Open(result, target, null);
            using (medium)
            using (node)
            {
                if (result.GetValue(to) is { } receiver)
                {
                    if (node.NodeId < 0)
                    {
                        throw new CliException("--to needs this radio to have a node id: give --id 0 to 254", ExitCodes.Usage);
                    }

                    using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    cts.CancelAfter(result.GetValue(timeout));
                    await node.SendAsync(receiver, p, bytes, cts.Token);
                    output.Write($"sent {bytes.Length} bytes on port {p} to node {receiver} (acknowledged) from radio {node.Radio.Id} on {where}",
                        new { @event = "sent", port = p, bytes = bytes.Length, to = (int?)receiver, acknowledged = true, id = node.Radio.Id });
                }
                else
                {
                    node.SendBroadcast(p, bytes);
                    output.Write($"sent {bytes.Length} bytes on port {p} (broadcast) from radio {node.Radio.Id} on {where}",
                        new { @event = "sent", port = p, bytes = bytes.Length, to = (int?)null, acknowledged = false, id = node.Radio.Id });
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command CreateListen()
    {
        var count = new Option<int?>("--count", "-c") { Description = "Stop after this many packets (with --for: fail when fewer arrive in time)" };
        var duration = new Option<TimeSpan?>("--for") { Description = "Stop after this long (default: until Ctrl+C)" };
        var port = new Option<int?>("--port", "-p") { Description = "Only print packets on this port" };
        var command = new Command("listen", "Print every P2P packet heard: port, RSSI, sender and data") { count, duration, port };
        Target target = AddTarget(command, "This radio's id on the medium (default 1); addressed packets to it are acknowledged");
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = new CliOutput(result.GetValue(CliOptions.Json));
            (RadioNode node, SimulatedMedium? medium, string where) = Open(result, target, 1);
            using (medium)
            using (node)
            {
                output.Write($"listening on {where} as radio {node.Radio.Id} (channel {node.Radio.Channel})",
                    new { @event = "listening", where, id = node.Radio.Id, node_id = node.NodeId, channel = node.Radio.Channel, simulated = node.Radio.IsSimulated });
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                if (result.GetValue(duration) is { } limit)
                {
                    stop.CancelAfter(limit);
                }

                int? wanted = result.GetValue(count);
                int? onlyPort = result.GetValue(port);
                int heard = 0;
                try
                {
                    while (wanted is null || heard < wanted)
                    {
                        if (!node.Packets.TryRead(out P2PPacket packet))
                        {
                            await WaitForPacketAsync(node, stop.Token);
                            continue;
                        }

                        if (onlyPort is { } only && packet.Port != only)
                        {
                            continue;
                        }

                        heard++;
                        Print(output, packet);
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    // --for ended (a failure when --count packets were wanted), or Ctrl+C (done).
                    if (wanted is { } n && !cancellationToken.IsCancellationRequested)
                    {
                        throw new CliException($"heard {heard} of {n} packets within {result.GetValue(duration)}");
                    }
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    // Waits up to 250 ms for a packet. The node's queue does not end when its receive loop stops for good (a dongle
    // unplugged, a radio that cannot receive), so that error is checked between waits and ends the verb.
    private static async Task WaitForPacketAsync(RadioNode node, CancellationToken cancellationToken)
    {
        if (node.ReceiveError is { Error: RadioError.NoDevice or RadioError.Unsupported } fatal)
        {
            throw fatal;
        }

        using var tick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        tick.CancelAfter(TimeSpan.FromMilliseconds(250));
        try
        {
            if (!await node.Packets.WaitToReadAsync(tick.Token))
            {
                throw node.ReceiveError ?? new RadioException(RadioError.Io, "The radio stopped receiving.");
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static void Print(CliOutput output, in P2PPacket packet)
    {
        ReadOnlySpan<byte> bytes = packet.Data;
        string? text = Printable(bytes);
        string hex = Convert.ToHexStringLower(bytes);
        string shown = text is null ? hex : $"\"{text}\"";
        string from = packet.IsAddressed ? $"node {packet.Sender} (addressed)" : $"radio {packet.Sender}";
        output.Write($"port {packet.Port}, rssi {packet.Rssi} ({packet.RssiDbm} dBm), from {from}: {shown}",
            new { @event = "packet", port = (int)packet.Port, rssi = (int)packet.Rssi, rssi_dbm = (int)packet.RssiDbm, sender = packet.Sender, addressed = packet.IsAddressed, size = (int)packet.Size, hex, text });
    }

    // The data as text when it is UTF-8 without control characters; otherwise null (shown as hex).
    private static string? Printable(ReadOnlySpan<byte> bytes)
    {
        try
        {
            string text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            return text.Any(char.IsControl) ? null : text;
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static byte[] Bytes(string data, bool hex)
    {
        byte[] bytes;
        if (hex)
        {
            string digits = data.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
            try
            {
                bytes = Convert.FromHexString(digits);
            }
            catch (FormatException)
            {
                throw new CliException($"'{data}' is not hex bytes (e.g. 48656c6c6f or 48:65:6c:6c:6f)", ExitCodes.Usage);
            }
        }
        else
        {
            bytes = Encoding.UTF8.GetBytes(data);
        }

        return bytes.Length <= RadioNode.P2PMaxDataSize
            ? bytes
            : throw new CliException($"a P2P packet carries at most {RadioNode.P2PMaxDataSize} data bytes; this one has {bytes.Length}", ExitCodes.Usage);
    }
}
