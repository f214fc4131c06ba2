using Google.Protobuf;
using PeerKit.Benchmarks.Messages;
using Gpb = PeerKit.Benchmarks.Protobuf;

namespace PeerKit.Benchmarks;

/// <summary>
/// The messages the benchmarks encode and decode, built for both libraries from the same values, and the
/// check that both libraries write the same bytes for them (so the comparison is apples to apples).
/// </summary>
public static class Fixtures
{
    /// <summary>The encoded size of the avatar transform.</summary>
    public const int AvatarSize = 29;

    /// <summary>The encoded size of the block.</summary>
    public const int BlockSize = 1024;

    private const uint AvatarId = 123_456; // 3 varint bytes
    private const ulong ChatFrom = 76_561_198_023_456_789;
    private const ulong ChatTo = 76_561_198_087_654_321;
    private const string ChatRoom = "lobby-eu-west";
    private const string ChatText = "gg! meet at the north gate in five, bring the spare shield and two health kits - we go for the raid boss";
    private const uint BlockVersion = 1;
    private const ulong BlockHeight = 1_234_567;
    private const ulong BlockTimestamp = 1_700_000_000_123;

    // Header field 2 + 49, payload field 3 + 887, values field 2 + 81: 1024 bytes.
    private const int PayloadLength = 887;
    private const int ValueCount = 32;

    /// <summary>A pose: position (12.5, 1.75, -3.25), a 45° turn about Y (so Qx = Qz = 0).</summary>
    public static AvatarTransform Avatar() => new(AvatarId, 12.5f, 1.75f, -3.25f, 0f, 0.38268343f, 0f, 0.9238795f);

    /// <summary><see cref="Avatar"/> as a class record.</summary>
    public static AvatarTransformRecord AvatarRecord()
    {
        AvatarTransform a = Avatar();
        return new AvatarTransformRecord(a.Id, a.X, a.Y, a.Z, a.Qx, a.Qy, a.Qz, a.Qw);
    }

    /// <summary><see cref="Avatar"/> for Google.Protobuf.</summary>
    public static Gpb.AvatarTransform GoogleAvatar()
    {
        AvatarTransform a = Avatar();
        return new Gpb.AvatarTransform { Id = a.Id, X = a.X, Y = a.Y, Z = a.Z, Qx = a.Qx, Qy = a.Qy, Qz = a.Qz, Qw = a.Qw };
    }

    /// <summary>A chat line of <see cref="ChatText"/>'s length in a room.</summary>
    public static ChatMessage Chat() => new(ChatFrom, ChatTo, ChatRoom, ChatText);

    /// <summary><see cref="Chat"/> for Google.Protobuf.</summary>
    public static Gpb.ChatMessage GoogleChat() => new() { From = ChatFrom, To = ChatTo, Room = ChatRoom, Text = ChatText };

    /// <summary>A block that encodes to exactly <see cref="BlockSize"/> bytes.</summary>
    public static Block Block() =>
        new(new BlockHeader(BlockVersion, BlockHeight, BlockTimestamp, ParentHash()), Payload(), Values());

    /// <summary><see cref="Block"/> with <c>bytes</c> members as <see cref="ReadOnlyMemory{T}"/>.</summary>
    public static BlockSlices BlockSlices() =>
        new(new BlockHeaderSlices(BlockVersion, BlockHeight, BlockTimestamp, ParentHash()), Payload(), Values());

    /// <summary><see cref="Block"/> for Google.Protobuf.</summary>
    public static Gpb.Block GoogleBlock()
    {
        var block = new Gpb.Block
        {
            Header = new Gpb.BlockHeader
            {
                Version = BlockVersion,
                Height = BlockHeight,
                Timestamp = BlockTimestamp,
                ParentHash = ByteString.CopyFrom(ParentHash()),
            },
            Payload = ByteString.CopyFrom(Payload()),
        };
        block.Values.AddRange(Values());
        return block;
    }

    private static byte[] ParentHash()
    {
        var hash = new byte[32];
        new Random(7).NextBytes(hash);
        return hash;
    }

    private static byte[] Payload()
    {
        var payload = new byte[PayloadLength];
        new Random(42).NextBytes(payload);
        return payload;
    }

    // 0, 97, 388, … 93,217: a mix of 1-, 2- and 3-byte varints.
    private static int[] Values()
    {
        var values = new int[ValueCount];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = i * i * 97;
        }

        return values;
    }

    /// <summary>
    /// Checks, for every benchmark message, that PeerKit writes exactly Google.Protobuf's bytes, that each
    /// library reads the other's bytes back to the same values, and that the sizes are the advertised ones.
    /// </summary>
    /// <exception cref="InvalidOperationException">A check failed.</exception>
    public static void Verify(TextWriter? log = null)
    {
        byte[] avatar = Same("AvatarTransform (record struct)", GoogleAvatar(), MessageSerializer.ToArray(Avatar()), AvatarSize);
        Same("AvatarTransform (record)", GoogleAvatar(), MessageSerializer.ToArray(AvatarRecord()), AvatarSize);
        byte[] chat = Same("ChatMessage", GoogleChat(), MessageSerializer.ToArray(Chat()), expectedSize: null);
        byte[] block = Same("Block", GoogleBlock(), MessageSerializer.ToArray(Block()), BlockSize);
        Same("Block (ReadOnlyMemory<byte> members)", GoogleBlock(), MessageSerializer.ToArray(BlockSlices()), BlockSize);

        Check(ChatText.Length is >= 40 and <= 200, $"the chat text has {ChatText.Length} characters, not 40 to 200");

        // PeerKit reads Google's bytes back to the values it started from, and Google reads PeerKit's.
        Check(MessageSerializer.Read<AvatarTransform>(avatar) == Avatar(), "PeerKit read a different AvatarTransform back");
        Check(MessageSerializer.Read<AvatarTransformRecord>(avatar) == AvatarRecord(), "PeerKit read a different AvatarTransformRecord back");
        Check(MessageSerializer.Read<ChatMessage>(chat) == Chat(), "PeerKit read a different ChatMessage back");
        Check(SameBlock(MessageSerializer.Read<Block>(new ReadOnlySpan<byte>(block)), Block()), "PeerKit read a different Block back");
        Check(SameBlock(MessageSerializer.Read<BlockSlices>(new ReadOnlyMemory<byte>(block)), Block()), "PeerKit read a different BlockSlices back");
        Check(Gpb.AvatarTransform.Parser.ParseFrom(MessageSerializer.ToArray(Avatar())).Equals(GoogleAvatar()), "Google read a different AvatarTransform back");
        Check(Gpb.ChatMessage.Parser.ParseFrom(MessageSerializer.ToArray(Chat())).Equals(GoogleChat()), "Google read a different ChatMessage back");
        Check(Gpb.Block.Parser.ParseFrom(MessageSerializer.ToArray(Block())).Equals(GoogleBlock()), "Google read a different Block back");

        log?.WriteLine(
            $"Fixtures verified: PeerKit and Google.Protobuf write the same bytes for AvatarTransform ({avatar.Length} B), " +
            $"ChatMessage ({chat.Length} B, text of {ChatText.Length} chars) and Block ({block.Length} B).");
    }

    private static byte[] Same(string name, IMessage google, byte[] peerKit, int? expectedSize)
    {
        byte[] expected = google.ToByteArray();
        Check(
            expected.AsSpan().SequenceEqual(peerKit),
            $"{name}: PeerKit wrote {Convert.ToHexString(peerKit)} but Google.Protobuf wrote {Convert.ToHexString(expected)}");
        Check(expectedSize is null || expected.Length == expectedSize, $"{name}: encodes to {expected.Length} bytes, not {expectedSize}");
        return expected;
    }

    private static bool SameBlock(Block a, Block b) =>
        a.Header.Version == b.Header.Version
        && a.Header.Height == b.Header.Height
        && a.Header.Timestamp == b.Header.Timestamp
        && a.Header.ParentHash.AsSpan().SequenceEqual(b.Header.ParentHash)
        && a.Payload.AsSpan().SequenceEqual(b.Payload)
        && a.Values.AsSpan().SequenceEqual(b.Values);

    private static bool SameBlock(BlockSlices a, Block b) =>
        a.Header.Version == b.Header.Version
        && a.Header.Height == b.Header.Height
        && a.Header.Timestamp == b.Header.Timestamp
        && a.Header.ParentHash.Span.SequenceEqual(b.Header.ParentHash)
        && a.Payload.Span.SequenceEqual(b.Payload)
        && a.Values.AsSpan().SequenceEqual(b.Values);

    private static void Check(bool condition, string failure)
    {
        if (!condition)
        {
            throw new InvalidOperationException("Benchmark fixture check failed: " + failure);
        }
    }
}
