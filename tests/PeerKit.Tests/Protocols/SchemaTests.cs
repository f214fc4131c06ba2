using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using PeerKit.Sessions;

namespace PeerKit.Tests.Protocols;

/// <summary>Every schema the generator emitted for a protocol here compiles with protoc (from Grpc.Tools).</summary>
public class SchemaTests
{
    private static readonly string GrpcTools = typeof(SchemaTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "PeerKit.GrpcToolsDirectory").Value!;

    public static TheoryData<string> Protocols => new(
        new[] { typeof(BaseProtocol) }
            .Concat(typeof(SchemaTests).Assembly.GetTypes().Where(t => t.GetCustomAttribute<ProtocolAttribute>() is not null))
            .Select(t => t.FullName!));

    [Theory]
    [MemberData(nameof(Protocols))]
    public void The_generated_schema_compiles_with_protoc(string protocolType)
    {
        Type type = typeof(SchemaTests).Assembly.GetType(protocolType) ?? typeof(BaseProtocol).Assembly.GetType(protocolType)!;
        var descriptor = (ProtocolDescriptor)type.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
        Assert.NotNull(descriptor.Schema);

        string directory = Directory.CreateTempSubdirectory("peerkit-schema-").FullName;
        try
        {
            string file = descriptor.Name.ToLowerInvariant().Replace('-', '_').Replace('.', '_') + ".proto";
            File.WriteAllText(Path.Combine(directory, file), descriptor.Schema);
            using Process protoc = Process.Start(new ProcessStartInfo(Protoc(), [$"--proto_path={directory}", $"--descriptor_set_out={Path.Combine(directory, "out.pb")}", file])
            {
                WorkingDirectory = directory,
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            string errors = protoc.StandardError.ReadToEnd();
            protoc.WaitForExit();
            Assert.True(protoc.ExitCode == 0, $"protoc rejected the schema of {descriptor}:\n{errors}\n{descriptor.Schema}");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string Protoc()
    {
        string os = OperatingSystem.IsWindows() ? "windows" : OperatingSystem.IsMacOS() ? "macosx" : "linux";
        string cpu = RuntimeInformation.OSArchitecture switch
        {
            Architecture.Arm64 => "arm64",
            Architecture.X86 => "x86",
            _ => "x64",
        };
        return Path.Combine(GrpcTools, "tools", $"{os}_{cpu}", OperatingSystem.IsWindows() ? "protoc.exe" : "protoc");
    }
}
