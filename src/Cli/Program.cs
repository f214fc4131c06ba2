// peerkit: the PeerKit command line. Every failure is one line on standard error and a non-zero exit code
// (ExitCodes: 1 failure, 2 usage, 3 unreachable); --json makes every verb write JSON lines.
using System.CommandLine;
using PeerKit;
using PeerKit.Cli;
using PeerKit.Cli.Commands;

var root = new RootCommand("peerkit: keys, nodes, peers, messages and files over PeerKit")
{
    KeygenCommand.Create(),
    ListenCommand.Create(),
    ConnectCommand.Create(),
    PingCommand.Create(),
    SendCommand.Create(),
    SendFileCommand.Create(),
    PeersCommand.Create(),
    ProtoCommand.Create(),
    BenchCommand.Create(),
};
root.Options.Add(CliOptions.Json);

ParseResult parsed = root.Parse(args);
var output = new CliOutput(parsed.GetValue(CliOptions.Json));
if (parsed.Errors.Count > 0)
{
    string verb = parsed.CommandResult.Command == root ? "peerkit" : $"peerkit {parsed.CommandResult.Command.Name}";
    output.Error($"{parsed.Errors[0].Message} (see `{verb} --help`)");
    return ExitCodes.Usage;
}

using var interrupted = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    interrupted.Cancel();
};
try
{
    return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, interrupted.Token);
}
catch (CliException e)
{
    output.Error(e.Message);
    return e.ExitCode;
}
catch (OperationCanceledException) when (!interrupted.IsCancellationRequested)
{
    output.Error("timed out (see --timeout)");
    return ExitCodes.Failure;
}
catch (OperationCanceledException)
{
    return 130;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or PeerDisconnectedException or NodeKeyFormatException or ArgumentException or MessageFormatException)
{
    output.Error(e.Message);
    return ExitCodes.Failure;
}
