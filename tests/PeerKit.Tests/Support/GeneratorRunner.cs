using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace PeerKit.Tests.Support;

/// <summary>
/// Runs the PeerKit message generator on C# source text and compiles the result in memory, so that a test can
/// show a message shape the generator gets wrong without breaking this project's own build.
/// </summary>
internal static class GeneratorRunner
{
    private static readonly Lazy<IIncrementalGenerator> Generator = new(() =>
    {
        string path = typeof(GeneratorRunner).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "PeerKit.GeneratorPath").Value!;
        Assembly assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(path);
        Type type = assembly.GetType("PeerKit.Generators.Messages.MessageGenerator", throwOnError: true)!;
        return (IIncrementalGenerator)Activator.CreateInstance(type, nonPublic: true)!;
    });

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Append(typeof(MessageSerializer).Assembly.Location);
        return [.. paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    });

    /// <summary>The outcome of generating and compiling one source text.</summary>
    internal sealed record Result(ImmutableArray<Diagnostic> Errors, ImmutableArray<string> GeneratedSources, Assembly? Assembly)
    {
        public string Describe() =>
            string.Join("\n", Errors.Select(e => e.ToString())) + "\n--- generated ---\n" + string.Join("\n", GeneratedSources);
    }

    /// <summary>Generates serializers for <paramref name="source"/>, compiles it, and loads it when it compiles.</summary>
    public static Result Run(string source)
    {
        var parseOptions = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create(
            "Probe" + Guid.NewGuid().ToString("N"),
            [CSharpSyntaxTree.ParseText(source, parseOptions, path: "Probe.cs")],
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        GeneratorDriver driver = CSharpGeneratorDriver.Create([Generator.Value.AsSourceGenerator()], parseOptions: parseOptions);
        driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
        ImmutableArray<string> generated = [.. driver.GetRunResult().GeneratedTrees.Select(t => t.ToString())];

        using var stream = new MemoryStream();
        var emit = output.Emit(stream);
        ImmutableArray<Diagnostic> errors = [.. generatorDiagnostics.Concat(emit.Diagnostics)
            .Where(d => d.Severity == DiagnosticSeverity.Error || (d.Severity == DiagnosticSeverity.Warning && d.Id.StartsWith("CS86", StringComparison.Ordinal)))];
        Assembly? assembly = emit.Success ? AssemblyLoadContext.Default.LoadFromStream(new MemoryStream(stream.ToArray())) : null;
        return new Result(errors, generated, assembly);
    }

    /// <summary>Encodes <paramref name="message"/> (an instance of a type from <see cref="Run"/>) with MessageSerializer.ToArray.</summary>
    public static byte[] ToArray(object message) =>
        (byte[])typeof(MessageSerializer).GetMethod(nameof(MessageSerializer.ToArray))!.MakeGenericMethod(message.GetType())
            .Invoke(null, [message])!;

    /// <summary>Decodes a <paramref name="type"/> (from <see cref="Run"/>) with MessageSerializer.Read(byte[]).</summary>
    public static object Read(Type type, byte[] bytes) =>
        typeof(MessageSerializer).GetMethods().Single(m => m.Name == nameof(MessageSerializer.Read) && m.GetParameters()[0].ParameterType == typeof(byte[]))
            .MakeGenericMethod(type).Invoke(null, [bytes])!;
}
