namespace PeerKit.Generators.Tests;

/// <summary>The generated serializers for a representative set of messages, checked against baselines in Snapshots/.</summary>
public class SnapshotTests
{
    [Fact]
    public void Record_with_every_scalar_kind()
    {
        SnapshotVerifier.Verify(GeneratorHarness.RunAndCompile("""
            using PeerKit;
            namespace Demo;
            public enum Mood { Calm = 0, Happy = 1, Grumpy = -1 }
            [Message]
            public partial record Scalars(
                bool Flag, int I32, long I64, uint U32, ulong U64,
                [ZigZag] int S32, [ZigZag] long S64, [Fixed] uint F32, [Fixed] ulong F64, [Fixed] int SF32, [Fixed] long SF64,
                float F, double D, Mood Mood);
            """));
    }

    [Fact]
    public void Unreliable_avatar_transform_with_max_size()
    {
        SnapshotVerifier.Verify(GeneratorHarness.RunAndCompile("""
            using PeerKit;
            namespace Demo;
            [Message(Code = 3, Reliability = Reliability.Unreliable, MaxSize = 64)]
            public readonly partial record struct AvatarTransform([Fixed] uint Id, float X, float Y, float Z, float Qx, float Qy, float Qz, float Qw);
            """));
    }

    [Fact]
    public void Fixed_layout_pose_with_nested_value_nullable_and_class_messages()
    {
        SnapshotVerifier.Verify(GeneratorHarness.RunAndCompile("""
            using PeerKit;
            namespace Demo;
            public enum Stance { Standing = 0, Crouching = 1 }
            [Message]
            public readonly partial record struct Vec3(float X, float Y, float Z);
            [Message]
            public sealed partial record Color(uint R, uint G, uint B);
            [Message(Code = 5, Reliability = Reliability.Unreliable)]
            public readonly partial record struct Pose(
                uint Id, Vec3 Position, Vec3? Velocity, Color? Tint, [ZigZag] int Lean, Stance Stance, bool Moving, double Heading, ulong Tick,
                [Field(300)] long Score);
            """));
    }

    [Fact]
    public void Radio_message_bounded_by_max_length_members()
    {
        SnapshotVerifier.Verify(GeneratorHarness.RunAndCompile("""
            using PeerKit;
            using System;
            using System.Collections.Generic;
            namespace Demo;
            [Message(Code = 4, Reliability = Reliability.Unreliable, MaxSize = 60)]
            public partial record RadioNote(uint Id, [MaxLength(20)] string Name, [MaxLength(8)] byte[] Key, [MaxLength(2), ZigZag] int[] Levels);
            [Message(Code = 5)]
            public partial record Blob([MaxLength(204800)] ReadOnlyMemory<byte> Data, [MaxLength(16)] List<string> Tags);
            """));
    }

    [Fact]
    public void Chat_message_with_strings_and_optional_members()
    {
        SnapshotVerifier.Verify(GeneratorHarness.RunAndCompile("""
            using PeerKit;
            namespace Demo;
            [Message(Code = 1)]
            public partial record ChatMessage(ulong From, ulong To, string Room, string Text)
            {
                public string? ReplyTo { get; init; }
                public int? Priority { get; init; }
            }
            """));
    }

    [Fact]
    public void Block_with_bytes_repeated_fields_and_nested_messages()
    {
        SnapshotVerifier.Verify(GeneratorHarness.RunAndCompile("""
            using System;
            using System.Collections.Generic;
            using PeerKit;
            namespace Demo;
            [Message]
            public partial struct Header
            {
                public ulong Number;
                [Fixed] public ulong Hash;
            }
            [Message(Code = 7)]
            public partial record Block(
                Header Header,
                ReadOnlyMemory<byte> Payload,
                int[] Counts,
                List<string> Labels,
                IReadOnlyList<Header> Uncles,
                byte[] Signature,
                Header? Parent,
                List<byte[]> Proofs,
                [Fixed] uint[] Checksums,
                List<string?> Notes);
            """));
    }

    [Fact]
    public void Class_with_init_properties_explicit_numbers_nested_in_a_partial_class()
    {
        SnapshotVerifier.Verify(GeneratorHarness.RunAndCompile("""
            using PeerKit;
            namespace Demo.Protocols;
            public static partial class Lobby
            {
                [Message(Code = 0x10, Reliability = Reliability.ReliableUnordered)]
                public sealed partial class JoinRoom
                {
                    [Field(4)] public string Room { get; init; } = "";
                    [Field(1)] public ulong @event { get; set; }
                    [Field(2047)] public bool Spectator { get; set; }
                    [Field(3)] internal int Seat { get; set; }
                    public int Computed => Seat * 2;
                }
            }
            """));
    }

    [Fact]
    public void Struct_built_through_a_matching_constructor()
    {
        SnapshotVerifier.Verify(GeneratorHarness.RunAndCompile("""
            using PeerKit;
            [Message]
            public partial struct Ping
            {
                public Ping(ulong nonce, long sentAt) { Nonce = nonce; SentAt = sentAt; }
                public ulong Nonce { get; }
                [ZigZag] public long SentAt { get; }
                public double Load => 0;
            }
            """));
    }
}
