using System.CommandLine;

namespace PeerKit.Cli.Commands;

/// <summary><c>peerkit keygen [--out FILE] [--force]</c>: a new P-256 node key, and its node id.</summary>
public static class KeygenCommand
{
    public static Command Create()
    {
        var outPath = new Option<string?>("--out", "-o") { Description = "Write the key (PKCS#8 PEM, mode 0600) to this file" };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing key file" };
        var command = new Command("keygen", "Generate a node key and print its node id") { outPath, force };
        command.SetAction(result =>
        {
            var output = new CliOutput(result.GetValue(CliOptions.Json));
            string? path = result.GetValue(outPath);
            if (path is not null && File.Exists(path) && !result.GetValue(force))
            {
                throw new CliException($"{path} exists; pass --force to replace it (its node id would change)");
            }

            using NodeKey key = NodeKey.Generate();
            if (path is not null)
            {
                if (File.Exists(path))
                {
                    File.Delete(path);
                }

                key.Save(path);
            }

            output.Write(path is null ? key.Id.ToString() : $"{key.Id}  {path}", new { id = key.Id.ToString(), path });
            return ExitCodes.Ok;
        });
        return command;
    }
}
