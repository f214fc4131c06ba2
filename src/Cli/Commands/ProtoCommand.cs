using System.CommandLine;
using System.Reflection;

namespace PeerKit.Cli.Commands;

/// <summary>
/// <c>peerkit proto export ASSEMBLY [--out DIR]</c>: the proto3 schema of every <c>[Protocol]</c> in a built assembly
/// (the generated <see cref="ProtocolDescriptor.Schema"/>), to standard output or one .proto file per protocol.
/// </summary>
public static class ProtoCommand
{
    public static Command Create()
    {
        var assembly = new Argument<string>("assembly") { Description = "A .dll built with PeerKit's generator" };
        var outDir = new Option<string?>("--out", "-o") { Description = "Write <protocol>.proto files into this folder instead of standard output" };
        var export = new Command("export", "Print the .proto schema of each [Protocol] in an assembly") { assembly, outDir };
        export.SetAction(result =>
        {
            var output = new CliOutput(result.GetValue(CliOptions.Json));
            string path = Path.GetFullPath(result.GetValue(assembly)!);
            if (!File.Exists(path))
            {
                throw new CliException($"{path}: no such assembly");
            }

            Assembly loaded;
            try
            {
                loaded = Assembly.LoadFrom(path);
            }
            catch (BadImageFormatException)
            {
                throw new CliException($"{path} is not a .NET assembly");
            }

            ProtocolDescriptor[] protocols = [.. Descriptors(loaded)];
            if (protocols.Length == 0)
            {
                throw new CliException($"{Path.GetFileName(path)} has no [Protocol] types with a generated schema");
            }

            string? folder = result.GetValue(outDir);
            foreach (ProtocolDescriptor protocol in protocols)
            {
                string? written = null;
                if (folder is not null)
                {
                    Directory.CreateDirectory(folder);
                    written = Path.Combine(folder, $"{protocol.Name}.proto");
                    File.WriteAllText(written, protocol.Schema);
                }

                output.Write(written is null ? protocol.Schema! : $"{protocol} -> {written}", new { protocol = protocol.Name, version = protocol.Version, path = written, schema = protocol.Schema });
            }

            return ExitCodes.Ok;
        });
        return new Command("proto", "Protocol schemas") { export };
    }

    private static IEnumerable<ProtocolDescriptor> Descriptors(Assembly assembly)
    {
        Type[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            types = [.. e.Types.Where(t => t is not null)!];
        }

        foreach (Type type in types.Where(t => t.GetCustomAttribute<ProtocolAttribute>() is not null).OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            if (type.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is ProtocolDescriptor { Schema: not null } descriptor)
            {
                yield return descriptor;
            }
        }
    }
}
