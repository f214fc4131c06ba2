// peerkit: the PeerKit command line. Every failure is one line on standard error and a non-zero exit code
// (ExitCodes: 1 failure, 2 usage, 3 unreachable, 4 device or service unavailable); --json makes every verb write JSON lines.
using System.CommandLine;
using PeerKit;
using PeerKit.Cli;
using PeerKit.Cli.Commands;
using PeerKit.WifiDirect;

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
    RadioCommand.Create(),
    WifiDirectCommand.Create(),
};
root.Options.Add(CliOptions.Json);

ParseResult parsed = root.Parse(args);
var output = new CliOutput(parsed.GetValue(CliOptions.Json));
if (parsed.Errors.Count > 0)
{
    var names = new List<string>();
    for (System.CommandLine.Parsing.SymbolResult? r = parsed.CommandResult; r is System.CommandLine.Parsing.CommandResult c && c.Command != root; r = r.Parent)
    {
        names.Insert(0, c.Command.Name);
    }

    string verb = string.Join(' ', ["peerkit", .. names]);
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
    output.Error(e.Message, e.Code);
    return e.ExitCode;
}
catch (RadioException e)
{
    output.Error($"{e.Message} (radio error {e.Error})");
    return RadioCommand.ExitCode(e.Error);
}
catch (WifiP2pException e)
{
    output.Error($"{e.Message} (OpenHarmony error {(int)e.Code} {e.Code}, {e.Failure})", (int)e.Code);
    return WifiDirectCommand.ExitCode(e);
}
catch (PeerKit.Native.NativeRuntimeUnavailableException e)
{
    output.Error(e.Message);
    return ExitCodes.Unavailable;
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
