using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace PeerKit.Generators.Tests;

/// <summary>
/// Which messages get a straight-line writer (<c>TryWriteFixed</c>): those whose members are all numbers, bools, enums
/// or nested messages that have one themselves and take under 128 bytes, in this assembly or a referenced one.
/// </summary>
public class FixedLayoutTests
{
    private static string SourceOf(GeneratorDriverRunResult run, string hintName) =>
        run.Results.SelectMany(r => r.GeneratedSources).Single(s => s.HintName == hintName).SourceText.ToString();

    private static bool HasFixedWriter(string source) => source.Contains(".TryWriteFixed(in ", StringComparison.Ordinal) && source.Contains("FixedSize = ", StringComparison.Ordinal);

    [Fact]
    public void Strings_bytes_repeated_fields_and_nested_messages_without_a_fixed_layout_are_sized_first()
    {
        GeneratorDriverRunResult run = GeneratorHarness.RunAndCompile("""
            using PeerKit;
            namespace Demo;
            [Message] public partial record struct Name([MaxLength(10)] string Text);
            [Message] public partial record struct Flat(int A, float B);
            [Message] public partial record WithString(int A, [MaxLength(10)] string S);
            [Message] public partial record WithBytes(int A, [MaxLength(10)] byte[] B);
            [Message] public partial record WithRepeated(int A, [MaxLength(2)] int[] Values);
            [Message] public partial record NestsString(int A, Name Name);
            [Message] public partial record NestsFlat(int A, Flat Flat, Flat? Maybe);
            """);

        Assert.False(HasFixedWriter(SourceOf(run, "Demo.Name.g.cs")));
        Assert.False(HasFixedWriter(SourceOf(run, "Demo.WithString.g.cs")));
        Assert.False(HasFixedWriter(SourceOf(run, "Demo.WithBytes.g.cs")));
        Assert.False(HasFixedWriter(SourceOf(run, "Demo.WithRepeated.g.cs")));
        Assert.False(HasFixedWriter(SourceOf(run, "Demo.NestsString.g.cs")));
        Assert.True(HasFixedWriter(SourceOf(run, "Demo.Flat.g.cs")));

        // int A (1 + 10), Flat twice (1 + 1 + 11 + 5 each).
        string nests = SourceOf(run, "Demo.NestsFlat.g.cs");
        Assert.True(HasFixedWriter(nests));
        Assert.Contains("GeneratedMessage(MaxSize = 47, FixedSize = 47)", nests, StringComparison.Ordinal);
        Assert.Contains("if (destination.Length < 47)", nests, StringComparison.Ordinal);
    }

    [Fact]
    public void A_nested_message_of_128_bytes_or_more_is_not_written_in_one_pass_inside_another()
    {
        // Big: 12 int64 of 11 bytes = 132 bytes: its length prefix may take two bytes.
        GeneratorDriverRunResult run = GeneratorHarness.RunAndCompile("""
            using PeerKit;
            namespace Demo;
            [Message] public partial record struct Big(long A, long B, long C, long D, long E, long F, long G, long H, long I, long J, long K, long L);
            [Message] public partial record struct Small(long A, long B, long C, long D, long E, long F, long G, long H, long I, long J, long K);
            [Message] public partial record NestsBig(Big Big);
            [Message] public partial record NestsSmall(Small Small);
            """);

        Assert.Contains("FixedSize = 132", SourceOf(run, "Demo.Big.g.cs"), StringComparison.Ordinal);
        Assert.False(HasFixedWriter(SourceOf(run, "Demo.NestsBig.g.cs")));
        Assert.Contains("FixedSize = 121", SourceOf(run, "Demo.Small.g.cs"), StringComparison.Ordinal);
        Assert.Contains("FixedSize = 123", SourceOf(run, "Demo.NestsSmall.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_nested_message_from_a_referenced_assembly_is_written_in_one_pass_when_its_attribute_says_it_has_a_fixed_layout()
    {
        (GeneratorDriverRunResult library, Compilation libraryOutput) = GeneratorHarness.Run("""
            using PeerKit;
            namespace Lib;
            [Message] public partial record struct Vec2(float X, float Y);
            [Message] public partial record struct Label([MaxLength(8)] string Text);
            """);
        Assert.Empty(library.Diagnostics);
        using var image = new MemoryStream();
        Assert.True(libraryOutput.WithAssemblyName("Lib").Emit(image).Success);
        MetadataReference reference = MetadataReference.CreateFromImage(image.ToArray());

        CSharpCompilation app = GeneratorHarness.Compile("""
            using PeerKit;
            namespace App;
            [Message] public partial record Moved(uint Id, Lib.Vec2 To);
            [Message] public partial record Labelled(uint Id, Lib.Label Label);
            """).AddReferences(reference);
        GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(app, out Compilation output, out var diagnostics);
        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        string moved = output.SyntaxTrees.Single(t => t.FilePath.EndsWith("App.Moved.g.cs", StringComparison.Ordinal)).ToString();
        string labelled = output.SyntaxTrees.Single(t => t.FilePath.EndsWith("App.Labelled.g.cs", StringComparison.Ordinal)).ToString();

        // uint Id (1 + 5), Vec2 (1 + 1 + 10).
        Assert.Contains("FixedSize = 18", moved, StringComparison.Ordinal);
        Assert.Contains("FixedLayout.Message(message.To, destination, n)", moved, StringComparison.Ordinal);
        Assert.False(HasFixedWriter(labelled));
    }
}
