using Microsoft.CodeAnalysis;
using PeerKit.Generators.Protocols;

namespace PeerKit.Generators.Tests;

/// <summary>The generated protocol descriptors and dispatch switches, checked against baselines in Snapshots/.</summary>
public class ProtocolSnapshotTests
{
    private static IEnumerable<GeneratedSourceResult> ProtocolSources(GeneratorDriverRunResult run) =>
        GeneratorHarness.ResultOf<ProtocolGenerator>(run).GeneratedSources;

    [Fact]
    public void Protocol_with_nested_and_included_messages_handlers_of_every_signature_and_length()
    {
        SnapshotVerifier.Verify(ProtocolSources(GeneratorHarness.RunAndCompile("""
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;
            using PeerKit;
            namespace Demo;

            public enum Mood { Unknown = 0, Calm = 1, Grumpy = -1 }

            [Message(Code = 4, Reliability = Reliability.Unreliable)]
            public readonly partial record struct Presence(ulong Player, Mood Mood, int? Score);

            [Message]
            public partial record Tag(string Name, [ZigZag] int Weight, List<Mood> History);

            [Protocol("lobby.v-2", Version = 3, Length = 12)]
            [ProtocolMessage(typeof(Presence))]
            public partial class LobbyProtocol
            {
                [Message(Code = 0)]
                public partial record Join(string Room, Tag[] Tags, byte[] Token, string? Password);

                [Message(Code = 1, Reliability = Reliability.ReliableUnordered)]
                public readonly partial record struct Leave([Fixed] ulong Player);

                [Message(Code = 2)]
                public partial record Say(string Text, Tag? Tag);

                [Message(Code = 3)]
                public readonly partial record struct Kick(ulong Player);

                [Message(Code = 5)]
                public readonly partial record struct Ready(bool Value);

                [Message(Code = 7)]
                public readonly partial record struct Unused(int X);

                [Handler]
                private void OnJoin(Peer peer, Join join) { }

                [Handler]
                internal void OnLeave(Peer peer, in Leave leave) { }

                [Handler]
                private ValueTask OnSay(Peer peer, Say say) => default;

                [Handler]
                private ValueTask OnKick(Peer peer, in Kick kick, CancellationToken cancellationToken) => default;

                [Handler]
                public static void OnPresence(Peer peer, Presence presence, CancellationToken cancellationToken) { }

                [Handler]
                protected static ValueTask OnReady(Peer peer, in Ready ready) => default;
            }
            """)));
    }

    [Fact]
    public void Radio_protocol_with_a_port_the_acknowledged_layer_bounded_messages_and_radio_handlers()
    {
        SnapshotVerifier.Verify(ProtocolSources(GeneratorHarness.RunAndCompile("""
            using PeerKit;
            namespace Demo;

            [Protocol("swarm", Port = 7, Acknowledged = true)]
            public sealed partial class SwarmProtocol
            {
                [Message(Code = 0, Reliability = Reliability.Unreliable)]
                public partial record struct Position(float X, float Y, float Z);

                [Message(Code = 1)]
                public partial record Greeting([MaxLength(53)] string Text);

                [Message(Code = 2, Reliability = Reliability.UnreliableSequenced)]
                public readonly partial record struct Battery(float Volts);

                [Handler]
                private void OnPosition(RadioSender from, Position position) { }

                [Handler]
                internal static void OnGreeting(RadioSender from, in Greeting greeting) { }

                [Handler]
                private void OnGreetingInASession(Peer peer, Greeting greeting) { }
            }
            """)));
    }

    [Fact]
    public void Protocol_without_handlers_nested_in_a_partial_class()
    {
        SnapshotVerifier.Verify(ProtocolSources(GeneratorHarness.RunAndCompile("""
            using PeerKit;
            namespace Demo.Protocols;
            public static partial class Games
            {
                [Protocol("chat")]
                internal sealed partial class ChatProtocol
                {
                    [Message(Code = 0)]
                    public partial record Say(string Text);

                    [Message(Code = 2, Reliability = Reliability.UnreliableSequenced, MaxSize = 16)]
                    public readonly partial record struct Typing(bool Active);
                }
            }
            """)));
    }

    [Fact]
    public void Protocol_with_a_user_RunAsync()
    {
        SnapshotVerifier.Verify(ProtocolSources(GeneratorHarness.RunAndCompile("""
            using System.Threading;
            using System.Threading.Tasks;
            using PeerKit;
            [Protocol("echo", Version = 2)]
            public sealed partial class EchoProtocol
            {
                [Message(Code = 0)]
                public partial record Echo(string Text);

                public async ValueTask RunAsync(Peer peer, MessageReadWriter readWriter, CancellationToken cancellationToken)
                {
                    while (true)
                    {
                        using ProtocolMessage message = await readWriter.ReadAsync(cancellationToken);
                        await readWriter.SendAsync(message.Decode<Echo>(), cancellationToken);
                    }
                }
            }
            """)));
    }

    [Fact]
    public void Schema_describes_messages_and_enums_from_referenced_assemblies_and_tells_equal_names_apart()
    {
        GeneratorDriverRunResult run = GeneratorHarness.RunAndCompile("""
            using PeerKit;
            namespace Demo;
            public static partial class A { [Message] public partial record Item(int X); }
            public static partial class B { [Message] public partial record Item(string Y); }
            public enum Twin { None = 0, One = 1, Uno = 1 }
            [Protocol("refs")]
            public sealed partial class Refs
            {
                [Message(Code = 0)]
                public partial record Bye(DisconnectReason Reason, Capability[] Capabilities, A.Item First, B.Item? Second, Twin Twin);
            }
            """);
        string source = Assert.Single(ProtocolSources(run)).SourceText.ToString();
        Assert.Contains(
            "\"message Bye {\\n\" +\n" +
            "            \"  DisconnectReason reason = 1;\\n\" +\n" +
            "            \"  repeated Capability capabilities = 2;\\n\" +\n" +
            "            \"  Item first = 3;\\n\" +\n" +
            "            \"  B_Item second = 4;\\n\" +\n" +
            "            \"  Twin twin = 5;\\n\" +\n",
            source);
        Assert.Contains("\"message Capability {\\n\" +\n            \"  string name = 1;\\n\" +\n            \"  int32 version = 2;\\n\" +", source);
        Assert.Contains("\"  DISCONNECT_REASON_SUBPROTOCOL_ERROR = 16;\\n\" +", source);
        Assert.Contains("\"message B_Item {\\n\" +\n            \"  string y = 1;\\n\" +", source);
        Assert.Contains("\"enum Twin {\\n\" +\n            \"  option allow_alias = true;\\n\" +\n            \"  TWIN_NONE = 0;\\n\" +", source);
    }

    [Fact]
    public void A_record_class_can_be_a_protocol()
    {
        GeneratorDriverRunResult run = GeneratorHarness.RunAndCompile("""
            using PeerKit;
            [Protocol("records")]
            public sealed partial record Records(string Greeting)
            {
                [Message(Code = 0)]
                public partial record Hi(string Text);
            }
            """);
        Assert.Contains("partial record Records : global::PeerKit.IProtocol", Assert.Single(ProtocolSources(run)).SourceText.ToString());
    }

    [Fact]
    public void Length_and_Schema_constants_are_left_out_when_the_class_has_members_of_those_names()
    {
        GeneratorDriverRunResult run = GeneratorHarness.RunAndCompile("""
            using PeerKit;
            public class Base { public int Length => 1; }
            [Protocol("sized")]
            public sealed partial class Sized : Base
            {
                public static string Schema => "mine";

                [Message(Code = 0)]
                public partial record Data(byte[] Bytes);
            }
            """);
        string source = Assert.Single(ProtocolSources(run)).SourceText.ToString();
        Assert.DoesNotContain("const int Length", source);
        Assert.DoesNotContain("const string Schema", source);
        Assert.Contains("schema:", source);
    }
}
