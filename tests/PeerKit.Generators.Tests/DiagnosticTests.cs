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
            "'Text' of message 'RadioNote' has no upper size (a string can be of any length; bound it with [MaxLength(n)]), so MaxSize = 60 cannot be guaranteed: bound it with [MaxLength(n)], remove MaxSize, or replace the member with fixed-size members");
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
    public void PK0013_protocol_class_must_be_partial()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Protocol("chat")]
                public sealed class Chat { }
                """),
            "PK0013", "Chat", 3,
            "'Chat' cannot be a protocol: it must be declared partial so the generator can implement IProtocol: write 'partial' before 'class'");
    }

    [Fact]
    public void PK0013_static_protocol_class()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Protocol("chat")]
                public static partial class Chat { }
                """),
            "PK0013", "Chat", 3,
            "'Chat' cannot be a protocol: a static class has no instances to add to a node; remove 'static'");
    }

    [Fact]
    public void PK0013_generic_protocol_class()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Protocol("chat")]
                public partial class Chat<T> { }
                """),
            "PK0013", "Chat", 3,
            "'Chat' cannot be a protocol: generic protocols are not supported; declare one protocol class per type argument");
    }

    [Fact]
    public void PK0013_protocol_nested_in_a_class_that_is_not_partial()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                public class Games
                {
                    [Protocol("chat")]
                    public partial class Chat { }
                }
                """),
            "PK0013", "Chat", 5,
            "'Chat' cannot be a protocol: it is nested in 'Games', which is not partial: write 'partial' before its type keyword");
    }

    [Theory]
    [InlineData("\"\"", "\"\"", "Name", "\"\"", "use 1 to 32 ASCII letters, digits, '-', '_' or '.'")]
    [InlineData("\"chat room\"", "\"chat room\"", "Name", "\"chat room\"", "use 1 to 32 ASCII letters, digits, '-', '_' or '.'")]
    [InlineData("\"abcdefghijklmnopqrstuvwxyz0123456\"", "\"abcdefghijklmnopqrstuvwxyz0123456\"", "Name", "\"abcdefghijklmnopqrstuvwxyz0123456\"", "use 1 to 32 ASCII letters, digits, '-', '_' or '.'")]
    [InlineData("\"chat\", Version = 0", "Version = 0", "Version", "0", "use 1 or more")]
    [InlineData("\"chat\", Port = 16", "Port = 16", "Port", "16", "use 0 to 15, or -1 for none")]
    [InlineData("\"chat\", Port = -2", "Port = -2", "Port", "-2", "use 0 to 15, or -1 for none")]
    [InlineData("\"chat\", Length = 65537", "Length = 65537", "Length", "65537", "use 1 to 65536 codes, or leave Length out to compute it")]
    public void PK0014_invalid_protocol_value(string arguments, string location, string property, string value, string fix)
    {
        AssertDiagnostic(
            Single($$"""
                using PeerKit;
                [Protocol({{arguments}})]
                public partial class Chat { }
                """),
            "PK0014", location, 2,
            $"Protocol 'Chat' has {property} = {value}: {fix}");
    }

    [Theory]
    [InlineData("void OnSay(Peer peer)", "has 1 parameter")]
    [InlineData("void OnSay(Peer peer, Say say, CancellationToken token, int extra)", "has 4 parameters")]
    [InlineData("Task OnSay(Peer peer, Say say)", "returns 'System.Threading.Tasks.Task'")]
    [InlineData("ValueTask<bool> OnSay(Peer peer, Say say)", "returns 'System.Threading.Tasks.ValueTask<bool>'")]
    [InlineData("void OnSay(Say say, Peer peer)", "takes 'Chat.Say' first, not 'Peer'")]
    [InlineData("void OnSay(Peer peer, ref Say say)", "takes the message as 'ref'")]
    [InlineData("void OnSay(Peer peer, string say)", "takes 'string' second, which is not a [Message] type")]
    [InlineData("void OnSay(Peer peer, Say say, int token)", "takes 'int' third, not 'CancellationToken'")]
    [InlineData("void OnSay<T>(Peer peer, Say say)", "is generic")]
    public void PK0015_unsupported_handler_signature(string signature, string problem)
    {
        AssertDiagnostic(
            Single($$"""
                using System.Threading; using System.Threading.Tasks; using PeerKit;
                [Protocol("chat")]
                public partial class Chat
                {
                    [Message(Code = 0)] public partial record Say(string Text);
                    [Handler] {{signature}} => throw null!;
                }
                """),
            "PK0015", "OnSay", 6,
            $"Handler 'OnSay' {problem}: declare it as 'void' or 'ValueTask' OnSay(Peer peer, T message) or OnSay(Peer peer, T message, CancellationToken cancellationToken), where T is a message of the protocol (by value or 'in')");
    }

    [Fact]
    public void PK0016_two_handlers_for_one_message()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Protocol("chat")]
                public partial class Chat
                {
                    [Message(Code = 0)] public partial record Say(string Text);
                    [Handler] void OnSay(Peer peer, Say say) { }
                    [Handler] void LogSay(Peer peer, in Say say) { }
                }
                """),
            "PK0016", "LogSay", 7,
            "'OnSay' and 'LogSay' both handle message 'Say': keep one handler per message");
    }

    [Fact]
    public void PK0017_duplicate_message_code()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Message(Code = 1)] public partial record Shared(int X);
                [Protocol("chat")]
                [ProtocolMessage(typeof(Shared))]
                public partial class Chat
                {
                    [Message(Code = 1)] public partial record Say(string Text);
                }
                """),
            "PK0017", "ProtocolMessage(typeof(Shared))", 4,
            "Messages 'Say' and 'Shared' both use code 1 in protocol 'Chat': give one of them another [Message(Code = n)]");
    }

    [Fact]
    public void PK0018_declared_length_smaller_than_the_codes_need()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Protocol("chat", Length = 4)]
                public partial class Chat
                {
                    [Message(Code = 0)] public partial record Say(string Text);
                    [Message(Code = 4)] public partial record Leave;
                }
                """),
            "PK0018", "Length = 4", 2,
            "Protocol 'Chat' declares Length = 4, but message 'Leave' has code 4, which needs a Length of at least 5: raise Length, or leave it out to compute it");
    }

    [Fact]
    public void PK0019_protocol_message_without_a_code()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Protocol("chat")]
                public partial class Chat
                {
                    [Message] public partial record Say(string Text);
                }
                """),
            "PK0019", "Say", 5,
            "Message 'Say' has no code, so it cannot be part of protocol 'Chat': give it one with [Message(Code = n)]");
    }

    [Fact]
    public void PK0020_duplicate_protocol_name_and_version()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Protocol("chat", Version = 2)]
                public partial class Chat { }
                [Protocol("chat", Version = 2)]
                public partial class OtherChat { }
                [Protocol("chat", Version = 3)]
                public partial class NextChat { }
                """),
            "PK0020", "Protocol(\"chat\", Version = 2)", 4,
            "Protocol 'chat' version 2 is already declared by 'Chat': change the name or the version of one of them");
    }

    [Fact]
    public void PK0021_handler_message_not_in_the_protocol()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Message(Code = 3)] public partial record Elsewhere(int X);
                [Protocol("chat")]
                public partial class Chat
                {
                    [Message(Code = 0)] public partial record Say(string Text);
                    [Handler] void OnElsewhere(Peer peer, Elsewhere elsewhere) { }
                }
                """),
            "PK0021", "elsewhere", 7,
            "Handler 'OnElsewhere' takes 'Elsewhere', which is not a message of protocol 'Chat': declare it inside the protocol class, or add [ProtocolMessage(typeof(Elsewhere))] to the class");
    }

    [Fact]
    public void PK0022_enum_without_a_zero_value_is_a_warning()
    {
        const string source = """
            using PeerKit;
            public enum Color { Red = 1, Green = 2 }
            [Message] public partial record Paint(Color Color);
            [Protocol("paint")]
            public partial class Painting
            {
                [Message(Code = 0)] public partial record Stroke(Paint Paint);
            }
            """;
        (Diagnostic diagnostic, _) = Single(source);
        AssertDiagnostic(
            (diagnostic, source),
            "PK0022", "Painting", 5,
            "Enum 'Color' (used by message 'Paint' of protocol 'Painting') has no member with value 0, which a proto3 enum must start with: add one, such as 'None = 0'");
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        (GeneratorDriverRunResult result, _) = GeneratorHarness.Run(source);
        Assert.Contains(result.GeneratedTrees, t => t.FilePath.EndsWith("Painting.Protocol.g.cs", StringComparison.Ordinal));
    }

    [Fact]
    public void PK0023_protocol_message_that_is_not_a_message()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                public record Plain(int X);
                [Protocol("chat")]
                [ProtocolMessage(typeof(Plain))]
                public partial class Chat { }
                """),
            "PK0023", "ProtocolMessage(typeof(Plain))", 4,
            "'Plain', named by [ProtocolMessage] on protocol 'Chat', is not a [Message] type: mark it [Message(Code = n)]");
    }

    [Theory]
    [InlineData("byte")]
    [InlineData("sbyte")]
    [InlineData("short")]
    [InlineData("ushort")]
    [InlineData("uint")]
    [InlineData("long")]
    [InlineData("ulong")]
    public void PK0024_enum_without_an_int_underlying_type(string underlying)
    {
        AssertDiagnostic(
            Single($$"""
                using PeerKit;
                public enum Level : {{underlying}} { Low = 1 }
                [Message]
                public partial record Reading(int Id, Level Level);
                """),
            "PK0024", "Level", 4,
            $"'Level' has enum type 'Level' with underlying type '{underlying}', which cannot hold every int32 a peer may send in a proto3 enum field (values would change silently): declare the enum ': int'");
    }

    [Theory]
    [InlineData("Level?")]
    [InlineData("Level[]")]
    [InlineData("System.Collections.Generic.List<Level>")]
    public void PK0024_applies_to_optional_and_repeated_enum_members(string type)
    {
        (Diagnostic diagnostic, _) = Single($$"""
            using PeerKit;
            public enum Level : byte { Low = 1 }
            [Message]
            public partial record Reading({{type}} Levels);
            """);
        Assert.Equal("PK0024", diagnostic.Id);
    }

    [Fact]
    public void PK0024_is_not_reported_for_an_int_enum()
    {
        (GeneratorDriverRunResult result, _) = GeneratorHarness.Run("""
            using PeerKit;
            public enum Level : int { Low = 1 }
            [Message]
            public partial record Reading(int Id, Level Level);
            """);
        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void PK0006_counts_max_length_members_at_their_bound()
    {
        // 1 + 5 (uint Id) + 1 + 1 + 50 (Name) + 1 + 1 + 3 * 4 (three packed floats) = 72.
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Message(MaxSize = 60)]
                public partial record Beacon(uint Id, [MaxLength(50)] string Name, [MaxLength(3)] float[] Levels);
                """),
            "PK0006", "Message(MaxSize = 60)", 2,
            "Message 'Beacon' can take up to 72 bytes when encoded, more than its MaxSize of 60: raise MaxSize, or use smaller or fewer members ([ZigZag] or [Fixed] can shorten integers)");
    }

    [Fact]
    public void PK0007_repeated_member_of_unbounded_strings_even_with_max_length()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Message(MaxSize = 600)]
                public partial record Names([MaxLength(4)] string[] All);
                """),
            "PK0007", "All", 3,
            "'All' of message 'Names' has no upper size (its elements have no upper size (a string can be of any length; bound it with [MaxLength(n)])), so MaxSize = 600 cannot be guaranteed: bound it with [MaxLength(n)], remove MaxSize, or replace the member with fixed-size members");
    }

    [Theory]
    [InlineData("int")]
    [InlineData("Inner")]
    [InlineData("bool?")]
    public void PK0025_max_length_on_a_member_it_cannot_bound(string type)
    {
        AssertDiagnostic(
            Single($$"""
                using PeerKit;
                [Message] public partial record Inner(int A);
                [Message]
                public partial record Note([MaxLength(8)] {{type}} Value);
                """),
            "PK0025", "Value", 4,
            $"'Value' has type '{type}', which [MaxLength] cannot bound: it applies to strings (UTF-8 bytes), bytes (byte[], ReadOnlyMemory<byte>) and repeated members (elements); remove it");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void PK0026_max_length_must_be_positive(int length)
    {
        AssertDiagnostic(
            Single($$"""
                using PeerKit;
                [Message]
                public partial record Note([MaxLength({{length}})] string Text);
                """),
            "PK0026", "Text", 3,
            $"'Text' has [MaxLength({length})]: give the most UTF-8 bytes, bytes or elements it may hold, at least 1");
    }

    [Fact]
    public void PK0027_unbounded_string_in_a_radio_broadcast_message()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Protocol("swarm", Port = 3)]
                public partial class Swarm
                {
                    [Message(Code = 0, Reliability = Reliability.Unreliable)] public partial record Note(int Id, string Text);
                }
                """),
            "PK0027", "Note", 5,
            "Message 'Note' of protocol 'Swarm' (radio port 3) has no upper size, but a broadcast radio message holds at most 59 bytes (60 data bytes minus the code): 'Text' is unbounded: a string can be of any length; bound it with [MaxLength(n)]");
    }

    [Fact]
    public void PK0027_bounded_radio_message_larger_than_a_broadcast_names_its_largest_member()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Protocol("swarm", Port = 3)]
                public partial class Swarm
                {
                    [Message(Code = 0, Reliability = Reliability.Unreliable)]
                    public partial record Map(uint Id, [MaxLength(60)] byte[] Cells);
                }
                """),
            "PK0027", "Map", 6,
            "Message 'Map' of protocol 'Swarm' (radio port 3) can take 68 bytes, but a broadcast radio message holds at most 59 bytes (60 data bytes minus the code): its largest member is 'Cells' (62 bytes); bound strings, bytes and repeated members with [MaxLength(n)], or split the message");
    }

    [Fact]
    public void PK0027_acknowledged_radio_protocol_has_the_addressed_limit()
    {
        // 1 + 1 + 55 = 57 bytes: fits a broadcast (59), not an addressed message (55).
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [ProtocolMessage(typeof(Note))]
                [Protocol("swarm", Port = 3, Acknowledged = true)]
                public partial class Swarm { }
                [Message(Code = 0)] public partial record Note([MaxLength(55)] string Text);
                """),
            "PK0027", "ProtocolMessage(typeof(Note))", 2,
            "Message 'Note' of protocol 'Swarm' (radio port 3) can take 57 bytes, but an addressed radio message holds at most 55 bytes (60 data bytes minus the 4-byte unicast header and the code): its largest member is 'Text' (57 bytes); bound strings, bytes and repeated members with [MaxLength(n)], or split the message");
    }

    [Fact]
    public void PK0027_declared_max_size_above_the_radio_limit()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Protocol("swarm", Port = 3)]
                public partial class Swarm
                {
                    [Message(Code = 0, Reliability = Reliability.Unreliable, MaxSize = 100)]
                    public partial record Note([MaxLength(90)] string Text);
                }
                """),
            "PK0027", "Note", 6,
            "Message 'Note' of protocol 'Swarm' (radio port 3) declares MaxSize = 100, but a broadcast radio message holds at most 59 bytes (60 data bytes minus the code): lower MaxSize to 59 or less, bounding its strings, bytes and repeated members with [MaxLength(n)]");
    }

    [Fact]
    public void PK0028_reliable_message_on_a_broadcast_radio_protocol()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Protocol("swarm", Port = 3)]
                public partial class Swarm
                {
                    [Message(Code = 1)] public partial record Greeting([MaxLength(20)] string Text);
                }
                """),
            "PK0028", "Greeting", 5,
            "Message 'Greeting' of protocol 'Swarm' (radio port 3) is ReliableOrdered (the default), but a radio broadcast is never acknowledged: declare it 'Reliability = Reliability.Unreliable', or set 'Acknowledged = true' on [Protocol] so it is sent to one node at a time through the acknowledged layer");
    }

    [Fact]
    public void PK0028_names_a_stated_reliability()
    {
        (Diagnostic diagnostic, _) = Single("""
            using PeerKit;
            [Protocol("swarm", Port = 3)]
            public partial class Swarm
            {
                [Message(Code = 1, Reliability = Reliability.ReliableUnordered)] public partial record Greeting([MaxLength(20)] string Text);
            }
            """);
        Assert.Equal("PK0028", diagnostic.Id);
        Assert.Contains("is ReliableUnordered, but", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void PK0014_acknowledged_without_a_radio_port()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Protocol("chat", Acknowledged = true)]
                public partial class Chat { }
                """),
            "PK0014", "Acknowledged = true", 2,
            "Protocol 'Chat' has Acknowledged = true: the acknowledged layer is the radio's; set Port too, or remove Acknowledged");
    }

    [Fact]
    public void PK0015_radio_handler_on_a_protocol_without_a_port()
    {
        AssertDiagnostic(
            Single("""
                using PeerKit;
                [Protocol("chat")]
                public partial class Chat
                {
                    [Message(Code = 0)] public partial record Say(string Text);
                    [Handler] void OnSay(RadioSender from, Say say) { }
                }
                """),
            "PK0015", "OnSay", 6,
            "Handler 'OnSay' takes 'RadioSender' first, but protocol 'Chat' has no radio port: set Port on [Protocol], or take 'Peer': declare it as 'void' OnSay(RadioSender sender, T message), where T is a message of the protocol (by value or 'in')");
    }

    [Fact]
    public void PK0015_radio_handler_must_return_void()
    {
        (Diagnostic diagnostic, _) = Single("""
            using System.Threading.Tasks;
            using PeerKit;
            [Protocol("swarm", Port = 3)]
            public partial class Swarm
            {
                [Message(Code = 0, Reliability = Reliability.Unreliable)] public partial record struct Ping(int Id);
                [Handler] ValueTask OnPing(RadioSender from, Ping ping) => default;
            }
            """);
        Assert.Equal("PK0015", diagnostic.Id);
        Assert.Contains("runs on the radio's receive thread", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Bounded_radio_messages_compile_without_diagnostics()
    {
        GeneratorDriverRunResult result = GeneratorHarness.RunAndCompile("""
            using PeerKit;
            [Protocol("swarm", Port = 3)]
            public partial class Swarm
            {
                [Message(Code = 0, Reliability = Reliability.Unreliable)] public partial record struct Position(float X, float Y, float Z);
                [Message(Code = 1, Reliability = Reliability.UnreliableSequenced)] public partial record Name([MaxLength(57)] string Text);
            }
            [Protocol("swarm-direct", Port = 4, Acknowledged = true)]
            public partial class Direct
            {
                [Message(Code = 0)] public partial record Greeting([MaxLength(53)] string Text);
                [Message(Code = 1, Reliability = Reliability.ReliableUnordered)] public partial record Levels([MaxLength(10)] uint[] Values);
            }
            """);
        string generated = string.Join("\n", result.GeneratedTrees.Select(t => t.ToString()));
        Assert.Contains("{ Acknowledged = true }", generated);
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
        Assert.Equal(28, ids.Length);
        Assert.Equal(ids.Length, ids.Distinct().Count());
        string[] tests = typeof(DiagnosticTests).GetMethods().Select(m => m.Name).ToArray();
        foreach (string id in ids)
        {
            Assert.Contains($"## {id}", docs);
            Assert.Contains(id, unshipped);
            Assert.Contains(tests, t => t.StartsWith(id + "_", StringComparison.Ordinal));
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
