using PeerKit.Tests.Support;

namespace PeerKit.Tests;

/// <summary>
/// Message shapes compiled at test time with the PeerKit generator (see <see cref="GeneratorRunner"/>), for
/// declarations that this project cannot hold itself: ones that do not compile, or that need their own file.
/// Each checks the generated code compiles without errors or nullable warnings, and writes the proto3 bytes.
/// </summary>
public class GeneratedShapesTests
{
    private const string Usings = "using PeerKit; using System; using System.Collections.Generic;\n";

    private static GeneratorRunner.Result Compile(string source)
    {
        GeneratorRunner.Result result = GeneratorRunner.Run(Usings + source);
        Assert.True(result.Errors.IsEmpty, "the generated code does not compile cleanly:\n" + result.Describe());
        Assert.NotNull(result.Assembly);
        return result;
    }

    private static object New(GeneratorRunner.Result result, string type, params object?[] arguments) =>
        Activator.CreateInstance(result.Assembly!.GetType(type, throwOnError: true)!, arguments)!;

    private static void AssertRoundTrip(object message, string expectedHex)
    {
        byte[] bytes = GeneratorRunner.ToArray(message);
        Assert.Equal(expectedHex.Replace(" ", string.Empty, StringComparison.Ordinal), Wire.Hex(bytes));
        object back = GeneratorRunner.Read(message.GetType(), bytes);
        Assert.Equal(bytes, GeneratorRunner.ToArray(back));
    }

    [Fact]
    public void Readonly_record_struct_and_readonly_struct_messages_compile_and_encode()
    {
        GeneratorRunner.Result result = Compile("""
            [Message] public readonly partial record struct Pair(int A, string B);
            [Message] public readonly partial struct Pose
            {
                public Pose(uint id, float x) { Id = id; X = x; }
                [Fixed] public uint Id { get; }
                public float X { get; }
            }
            """);
        AssertRoundTrip(New(result, "Pair", -1, "x"), "08 FFFFFFFFFFFFFFFFFF01 12 01 78");
        AssertRoundTrip(New(result, "Pose", 7u, 1f), "0D 07000000 15 0000803F");
    }

    [Fact]
    public void Messages_nested_in_static_readonly_and_ref_struct_types_compile_and_encode()
    {
        GeneratorRunner.Result result = Compile("""
            public static partial class Protocol { [Message] public partial record Join(ulong Peer, string Room); }
            public readonly partial struct Frame { [Message] public partial record Ack(uint Sequence); }
            public ref partial struct Scope { [Message] public partial record struct Ping(long At); }
            namespace Deep.Er { public partial class Outer { public partial class Middle { [Message] internal partial record Leaf(bool On); } } }
            """);
        AssertRoundTrip(New(result, "Protocol+Join", 1UL, "r"), "08 01 12 01 72");
        AssertRoundTrip(New(result, "Frame+Ack", 300u), "08 AC02");
        AssertRoundTrip(New(result, "Scope+Ping", -2L), "08 FEFFFFFFFFFFFFFFFF01");
        AssertRoundTrip(New(result, "Deep.Er.Outer+Middle+Leaf", true), "08 01");
    }

    [Fact]
    public void Explicit_field_numbers_on_parameters_and_properties_are_used_and_computed_properties_are_not_serialized()
    {
        GeneratorRunner.Result result = Compile("""
            [Message] public partial record Numbered([property: Field(3)] int A, [Field(1)] int B)
            {
                public int Sum => A + B;
                [Field(2047)] public string Note { get; init; } = "";
            }
            """);
        AssertRoundTrip(New(result, "Numbered", 5, 6), "08 06 18 05");
    }

    [Fact]
    public void Members_named_like_keywords_or_generated_locals_compile_and_encode()
    {
        GeneratorRunner.Result result = Compile("""
            public enum Color { None, Red }
            [Message] public partial record Named(int tag, int reader, int size, int packed, int e, int i, int message, int writer, Color Color);
            [Message] public partial class Keywords { public int @class { get; init; } public string @string { get; set; } = ""; }
            [Message] public partial record struct Nothing;
            """);
        AssertRoundTrip(New(result, "Named", 1, 2, 3, 4, 5, 6, 7, 8, Enum.ToObject(result.Assembly!.GetType("Color")!, 1)), "08 01 10 02 18 03 20 04 28 05 30 06 38 07 40 08 48 01");
        AssertRoundTrip(New(result, "Nothing"), string.Empty);
    }

    // ---- Generator bugs: these fail until the generator is fixed. ----

    [Fact]
    public void Repeated_members_with_nullable_reference_elements_compile_without_nullable_warnings()
    {
        // The generator accepts List<string?>, List<byte[]?> and List<Inner?> (it rejects List<int?> with PK0004),
        // but reads them into a RepeatedBuilder of the non-nullable element type and passes its List<string> to a
        // List<string?> parameter: warning CS8620, an error under TreatWarningsAsErrors.
        GeneratorRunner.Result result = Compile("""
            [Message] public partial record Inner(int A);
            [Message] public partial record Lists(List<string?> Names, List<byte[]?> Blobs, List<Inner?> Items, string?[] Array);
            """);
        var names = new List<string?> { "a", null };
        var blobs = new List<byte[]?> { null, new byte[] { 1 } };
        Type inner = result.Assembly!.GetType("Inner")!;
        var itemsType = typeof(List<>).MakeGenericType(inner);
        var items = (System.Collections.IList)Activator.CreateInstance(itemsType)!;
        items.Add(null);
        string?[] array = new string?[1];
        object message = New(result, "Lists", names, blobs, items, array);

        // Null elements are written as empty values.
        AssertRoundTrip(message, "0A 01 61 0A 00 12 00 12 01 01 1A 00 22 00");
    }

    [Fact]
    public void File_local_message_types_are_generated_or_reported()
    {
        // A [Message] on a file-local type: the generated `partial record Local` is a different type (file-local
        // types cannot be extended from another file), so the generated code does not compile (CS1061, CS1503)
        // instead of either working or being reported with a PK diagnostic.
        GeneratorRunner.Result result = GeneratorRunner.Run(Usings + "[Message] file partial record Local(int A);");
        Assert.True(
            result.Errors.IsEmpty || result.Errors.All(e => e.Id.StartsWith("PK", StringComparison.Ordinal)),
            "expected generated code that compiles or a PK diagnostic, got:\n" + result.Describe());
    }
}
