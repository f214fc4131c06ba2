using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using PeerKit.Generators.Messages;
using PeerKit.Generators.Model;
using PeerKit.Generators.Protocols;

namespace PeerKit.Generators.Tests;

/// <summary>The generator's incremental discipline: a model free of compiler objects, and cached steps after unrelated edits.</summary>
public class IncrementalityTests
{
    private const string Messages = """
        using PeerKit;
        namespace Demo;
        [Message(Code = 1)]
        public partial record ChatMessage(ulong From, string Text, int[] Tags);
        [Message(MaxSize = 40)]
        public partial record struct Pose(float X, float Y, Inner Inner);
        [Message]
        public partial record struct Inner([Fixed] uint Id);
        """;

    private static readonly Type[] Forbidden =
    [
        typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxTree), typeof(Compilation), typeof(SemanticModel), typeof(Location), typeof(SyntaxReference),
    ];

    [Fact]
    public void The_model_holds_no_symbols_syntax_or_compilation()
    {
        var seen = new HashSet<Type>();
        var problems = new List<string>();
        Walk(typeof(MessageParseResult), "MessageParseResult", seen, problems);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.Contains(typeof(MemberSpec), seen);
        Assert.Contains(typeof(DiagnosticInfo), seen);
    }

    [Fact]
    public void The_protocol_model_holds_no_symbols_syntax_or_compilation()
    {
        var seen = new HashSet<Type>();
        var problems = new List<string>();
        Walk(typeof(ProtocolParseResult), "ProtocolParseResult", seen, problems);
        Walk(typeof(EquatableArray<ProtocolIdentity>), "EquatableArray<ProtocolIdentity>", seen, problems);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.Contains(typeof(ProtocolSpec), seen);
        Assert.Contains(typeof(ProtocolMessageSpec), seen);
        Assert.Contains(typeof(HandlerSpec), seen);
        Assert.Contains(typeof(ProtocolIdentity), seen);
        Assert.Contains(typeof(LocationInfo), seen);
    }

    private const string Protocol = """
        using PeerKit;
        namespace Demo;
        [Protocol("chat", Version = 2)]
        [ProtocolMessage(typeof(ChatMessage))]
        public sealed partial class ChatProtocol
        {
            [Message(Code = 0)]
            public partial record Join(string Room);

            [Handler]
            private void OnJoin(Peer peer, Join join) { }
        }
        """;

    [Fact]
    public void An_unrelated_edit_leaves_the_protocol_steps_cached()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Messages, Protocol, "namespace Demo; public class Unrelated { public int A; }");
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);

        SyntaxTree unrelated = compilation.SyntaxTrees.Last();
        SyntaxTree edited = unrelated.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(
            "namespace Demo; public class Unrelated { public int A; public string B = \"changed\"; }"));
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(unrelated, edited));

        GeneratorRunResult result = GeneratorHarness.ResultOf<ProtocolGenerator>(driver.GetRunResult());
        foreach (string step in new[] { ProtocolGenerator.ProtocolsStep, ProtocolGenerator.IdentitiesStep })
        {
            IncrementalGeneratorRunStep[] steps = result.TrackedSteps[step].ToArray();
            Assert.NotEmpty(steps);
            Assert.All(steps.SelectMany(s => s.Outputs), o => Assert.True(
                o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                $"{step} was {o.Reason} after an unrelated edit"));
        }

        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs), o => Assert.True(
            o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
            $"a protocol source output was {o.Reason} after an unrelated edit"));
    }

    [Fact]
    public void Changing_the_code_of_an_included_message_in_another_file_regenerates_the_protocol()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Messages, Protocol);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        SyntaxTree messages = compilation.SyntaxTrees.First();
        SyntaxTree edited = messages.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Messages.Replace("[Message(Code = 1)]", "[Message(Code = 5)]")));
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(messages, edited));

        GeneratorRunResult result = GeneratorHarness.ResultOf<ProtocolGenerator>(driver.GetRunResult());
        Assert.Contains(result.TrackedSteps[ProtocolGenerator.ProtocolsStep].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("// code 5, ReliableOrdered", Assert.Single(result.GeneratedSources).SourceText.ToString());
    }

    private static void Walk(Type type, string path, HashSet<Type> seen, List<string> problems)
    {
        if (Forbidden.Any(f => f.IsAssignableFrom(type)))
        {
            problems.Add($"{path} is a {type.Name}");
            return;
        }

        if (type.IsPrimitive || type == typeof(string) || type.IsEnum || !seen.Add(type))
        {
            return;
        }

        if (type.IsArray)
        {
            Walk(type.GetElementType()!, path + "[]", seen, problems);
            return;
        }

        foreach (Type argument in type.IsGenericType ? type.GetGenericArguments() : [])
        {
            Walk(argument, $"{path}<{argument.Name}>", seen, problems);
        }

        foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            Walk(field.FieldType, $"{path}.{field.Name}", seen, problems);
        }
    }

    [Fact]
    public void Parsing_the_same_source_twice_gives_equal_models()
    {
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true);
        driver = driver.RunGenerators(GeneratorHarness.Compile(Messages));
        GeneratorRunResult first = GeneratorHarness.ResultOf<MessageGenerator>(driver.GetRunResult());
        driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(GeneratorHarness.Compile(Messages));
        GeneratorRunResult second = GeneratorHarness.ResultOf<MessageGenerator>(driver.GetRunResult());

        object[] a = Outputs(first);
        object[] b = Outputs(second);
        Assert.Equal(3, a.Length);
        Assert.Equal(a, b);
        Assert.All(a, o => Assert.NotNull(((MessageParseResult)o).Message));
    }

    [Fact]
    public void An_unrelated_edit_leaves_the_tracked_steps_cached()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Messages, "namespace Demo; public class Unrelated { public int A; }");
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);

        SyntaxTree unrelated = compilation.SyntaxTrees.Last();
        SyntaxTree edited = unrelated.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(
            "namespace Demo; public class Unrelated { public int A; public string B = \"changed\"; }"));
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(unrelated, edited));

        GeneratorRunResult result = GeneratorHarness.ResultOf<MessageGenerator>(driver.GetRunResult());
        IncrementalGeneratorRunStep[] steps = result.TrackedSteps[MessageGenerator.MessagesStep].ToArray();
        Assert.NotEmpty(steps);
        Assert.All(steps.SelectMany(s => s.Outputs), o => Assert.True(
            o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
            $"a message model was {o.Reason} after an unrelated edit"));
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs), o => Assert.True(
            o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
            $"a source output was {o.Reason} after an unrelated edit"));
    }

    [Fact]
    public void Editing_a_message_regenerates_it()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Messages);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        SyntaxTree tree = compilation.SyntaxTrees.Single();
        SyntaxTree edited = tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Messages.Replace("string Text", "string Text, bool Urgent")));
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(tree, edited));

        GeneratorRunResult result = GeneratorHarness.ResultOf<MessageGenerator>(driver.GetRunResult());
        Assert.Contains(
            result.TrackedSteps[MessageGenerator.MessagesStep].SelectMany(s => s.Outputs),
            o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains(result.GeneratedSources, s => s.SourceText.ToString().Contains("message.Urgent"));
    }

    [Fact]
    public void Known_types_are_resolved_once_per_compilation_not_once_per_message()
    {
        // Three messages, and a protocol with two messages of its own: five [Message] parses and one [Protocol] parse.
        CSharpCompilation compilation = GeneratorHarness.Compile(Messages, """
            using PeerKit;
            namespace Demo;
            [Protocol("lobby")]
            public partial class Lobby
            {
                [Message(Code = 0)] public partial record Join(string Room);
                [Message(Code = 1)] public partial record Leave(string Room);
            }
            """);
        int before = PeerKit.Generators.Helpers.KnownTypeSymbols.ResolvedOnThisThread;
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        Assert.Empty(driver.GetRunResult().Diagnostics);
        Assert.Equal(6, driver.GetRunResult().Results.Sum(r => r.GeneratedSources.Length));
        Assert.Equal(1, PeerKit.Generators.Helpers.KnownTypeSymbols.ResolvedOnThisThread - before);

        // An edit makes a new compilation: resolved once more, for all of it.
        SyntaxTree tree = compilation.SyntaxTrees.First();
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Messages.Replace("string Text", "string Text, bool Urgent"))));
        driver.RunGenerators(edited);
        Assert.Equal(2, PeerKit.Generators.Helpers.KnownTypeSymbols.ResolvedOnThisThread - before);
    }

    private static object[] Outputs(GeneratorRunResult result) =>
        result.TrackedSteps[MessageGenerator.MessagesStep].SelectMany(s => s.Outputs).Select(o => o.Value).ToArray();
}
