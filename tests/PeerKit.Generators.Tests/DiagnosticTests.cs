using Microsoft.CodeAnalysis;

namespace PeerKit.Generators.Tests;

/// <summary>One test per diagnostic ID: its ID, where it points, and its message.</summary>
public class DiagnosticTests
{
    private static (Diagnostic Diagnostic, string Source) Single(string source)
    {
        (GeneratorDriverRunResult result, _) = GeneratorHarness.Run(source);
        return (Assert.Single(result.Diagnostics), source);
    }

    /// <summary>Asserts the diagnostic's ID, that it points at <paramref name="locationText"/> on <paramref name="line"/> (1-based), and its message.</summary>
    private static void AssertDiagnostic((Diagnostic Diagnostic, string Source) reported, string id, string locationText, int line, string message)
    {
        (Diagnostic diagnostic, string source) = reported;
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal("Source0.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(locationText, source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        Assert.Equal(line, diagnostic.Location.GetLineSpan().StartLinePosition.Line + 1);
        Assert.Equal(message, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void PK0001_message_type_must_be_partial()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Message]
                public record Chat(string Text);
                """),
            "PK0001", "Chat", 3,
            "'Chat' must be declared partial so the generator can add its serializer: write 'partial' before its type keyword");
    }

    [Fact]
    public void PK0001_containing_type_must_be_partial_too()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                public static class Lobby
                {
                    [Message]
                    public partial record Chat(string Text);
                }
                """),
            "PK0001", "Chat", 5,
            "'Lobby' must be declared partial so the generator can add its serializer: write 'partial' before its type keyword (it contains message 'Chat')");
    }

    [Fact]
    public void PK0002_duplicate_field_number()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Message]
                public partial record Chat([Field(1)] string Text, [Field(1)] string Room);
                """),
            "PK0002", "Room", 3,
            "'Room' uses field number 1, which 'Text' already uses in message 'Chat': give one of them another number with [Field(n)]");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(19000)]
    [InlineData(19999)]
    [InlineData(536870912)]
    public void PK0003_field_number_out_of_range(int number)
    {
        AssertDiagnostic(
            Single($$"""
                using PeerKit;
                [Message]
                public partial record Chat([Field({{number}})] string Text);
                """),
            "PK0003", "Text", 3,
            $"'Text' has field number {number}, which protobuf does not allow: use 1 to 536870911, outside the reserved 19000 to 19999");
    }

    [Fact]
    public void PK0004_unsupported_member_type()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Message]
                public partial record Reading(string Sensor, decimal Value);
                """),
            "PK0004", "Value", 3,
            "'Value' has type 'decimal', which a message cannot hold: protobuf has no decimal; use double, or a [Message] with integer parts");
    }

    [Fact]
    public void PK0004_small_integers_point_to_int_or_uint()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Message]
                public partial record Radio(byte Port);
                """),
            "PK0004", "Port", 3,
            "'Port' has type 'byte', which a message cannot hold: protobuf has no 8- or 16-bit integers; use uint");
    }

    [Fact]
    public void PK0005_member_without_setter_or_constructor_parameter()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Message]
                public partial class Status
                {
                    public int Peers { get; set; }
                    [Field(2)] public string Name { get; } = "";
                }
                """),
            "PK0005", "Name", 6,
            "The reader cannot set 'Name' of message 'Status': it has no setter and no constructor parameter of the same name sets it. Add a setter or init accessor, or a constructor whose parameters match the members by name");
    }

    [Fact]
    public void PK0006_message_larger_than_its_max_size()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Message(MaxSize = 20)]
                public partial record struct Pose(float X, float Y, float Z, long Time);
                """),
            "PK0006", "Message(MaxSize = 20)", 2,
            "Message 'Pose' can take up to 26 bytes when encoded, more than its MaxSize of 20: raise MaxSize, or use smaller or fewer members ([ZigZag] or [Fixed] can shorten integers)");
    }

    [Fact]
    public void PK0007_unbounded_member_in_a_message_with_max_size()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Message(MaxSize = 60)]
                public partial record RadioNote(uint Id, string Text);
                """),
            "PK0007", "Text", 3,
            "'Text' of message 'RadioNote' has no upper size (a string can be of any length), so MaxSize = 60 cannot be guaranteed: remove MaxSize, or replace the member with fixed-size members");
    }

    [Fact]
    public void PK0008_unreliable_message_larger_than_a_datagram_is_a_warning()
    {
        const string source = """
            using PeerKit;
            [Message(Reliability = Reliability.Unreliable, MaxSize = 1500)]
            public partial record struct Pose(float X);
            """;
        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(source);
        Diagnostic diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        AssertDiagnostic(
            (diagnostic, source),
            "PK0008", "Message(Reliability = Reliability.Unreliable, MaxSize = 1500)", 2,
            "Message 'Pose' is Unreliable but can take up to 1500 bytes, more than the 1200 bytes that fit in one datagram: lower MaxSize, or send it reliably");
        Assert.Single(result.GeneratedTrees);
        Assert.DoesNotContain(output.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void PK0008_is_not_reported_for_a_small_unreliable_message()
    {
        (GeneratorDriverRunResult result, _) = GeneratorHarness.Run("""
            using PeerKit;
            [Message(Reliability = Reliability.UnreliableSequenced)]
            public partial record struct Pose(float X, float Y);
            """);
        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void PK0009_zigzag_on_an_unsigned_member()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Message]
                public partial record Score([ZigZag] uint Points);
                """),
            "PK0009", "Points", 3,
            "[ZigZag] cannot be used on 'Points' of type 'uint': zigzag applies to int and long only (unsigned values are never negative)");
    }

    [Fact]
    public void PK0009_fixed_on_a_string()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Message]
                public partial record Score([property: Fixed] string Name);
                """),
            "PK0009", "Name", 3,
            "[Fixed] cannot be used on 'Name' of type 'string': fixed width applies to int, long, uint and ulong only");
    }

    [Fact]
    public void PK0010_non_nullable_members_that_form_a_cycle()
    {
        const string source = """
            using PeerKit;
            [Message]
            public partial record Node(int Value, Edge Next);
            [Message]
            public partial record Edge(Node Target);
            """;
        (GeneratorDriverRunResult result, _) = GeneratorHarness.Run(source);
        Diagnostic diagnostic = result.Diagnostics.First(d => d.Location.GetLineSpan().StartLinePosition.Line == 2);
        AssertDiagnostic(
            (diagnostic, source),
            "PK0010", "Next", 3,
            "'Next' makes message 'Node' contain itself (Node.Next → Edge.Target), so a default value cannot be built when it is absent: make the member nullable");
        Assert.All(result.Diagnostics, d => Assert.Equal("PK0010", d.Id));
    }

    [Fact]
    public void PK0010_is_not_reported_when_the_cycle_is_nullable()
    {
        GeneratorHarness.RunAndCompile("""
            using PeerKit;
            [Message]
            public partial record Node(int Value, Node? Next);
            """);
    }

    [Fact]
    public void PK0011_generic_message()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Message]
                public partial record Envelope<T>(T Body);
                """),
            "PK0011", "Envelope", 3,
            "'Envelope' cannot be a message: generic messages are not supported; declare one message per type argument");
    }

    [Fact]
    public void PK0011_file_local_message()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Message]
                file partial record Local(int A);
                """),
            "PK0011", "Local", 3,
            "'Local' cannot be a message: a file-local type cannot be extended from the generated file; make it internal");
    }

    [Fact]
    public void PK0012_negative_max_size()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Message(MaxSize = -1)]
                public partial record struct Pose(float X);
                """),
            "PK0012", "Message(MaxSize = -1)", 2,
            "Message 'Pose' has MaxSize = -1: use a positive number of bytes, or leave MaxSize out for no limit");
    }

    [Fact]
    public void Every_descriptor_is_documented_in_docs_diagnostics_md()
    {
        string docs = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "diagnostics.md"));
        string unshipped = File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "Generators", "AnalyzerReleases.Unshipped.md"));
        string[] ids = typeof(DiagnosticDescriptors)
            .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => ((DiagnosticDescriptor)f.GetValue(null)!).Id)
            .ToArray();
        Assert.Equal(12, ids.Length);
        Assert.Equal(ids.Length, ids.Distinct().Count());
        foreach (string id in ids)
        {
            Assert.Contains($"## {id}", docs);
            Assert.Contains(id, unshipped);
        }
    }

    internal static string RepositoryRoot()
    {
        string? directory = AppContext.BaseDirectory;
        while (directory is not null && !File.Exists(Path.Combine(directory, "Sdk.sln")))
        {
            directory = Path.GetDirectoryName(directory);
        }

        return directory ?? throw new InvalidOperationException("Sdk.sln not found above " + AppContext.BaseDirectory);
    }
}
