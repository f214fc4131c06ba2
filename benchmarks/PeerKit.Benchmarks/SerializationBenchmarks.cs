using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Google.Protobuf;
using PeerKit.Benchmarks.Messages;
using Pb = PeerKit.Benchmarks.Protobuf;

namespace PeerKit.Benchmarks;

/// <summary>
/// Encode and decode, PeerKit against Google.Protobuf, on the same schema (contracts/bench/*.proto) and the
/// same bytes. Each category (message × operation) has Google.Protobuf as its baseline, so the Ratio column
/// is PeerKit's time over Google's: below 0.5 means PeerKit is more than twice as fast.
/// </summary>
/// <remarks>
/// Encoding writes into one reused buffer; both sides compute the size first (Google.Protobuf's span
/// writer requires a span of exactly the message's size, PeerKit's <c>Write</c> computes it itself).
/// Decoding reads the same encoded bytes, as a <see cref="ReadOnlySpan{T}"/>, on both sides.
/// </remarks>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class SerializationBenchmarks
{
    private const string Avatar = "Avatar";
    private const string Chat = "Chat";
    private const string Block = "Block";
    private const string Encode = "Encode";
    private const string Decode = "Decode";

    private byte[] _buffer = [];

    private Pb.AvatarTransform _googleAvatar = new();
    private AvatarTransform _avatar;
    private AvatarTransformRecord _avatarRecord = Fixtures.AvatarRecord();
    private byte[] _avatarBytes = [];

    private Pb.ChatMessage _googleChat = new();
    private ChatMessage _chat = Fixtures.Chat();
    private byte[] _chatBytes = [];

    private Pb.Block _googleBlock = new();
    private Messages.Block _block = Fixtures.Block();
    private byte[] _blockBytes = [];

    /// <summary>Builds the messages and checks that both libraries encode them to the same bytes.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Fixtures.Verify();
        _buffer = new byte[4096];
        _googleAvatar = Fixtures.GoogleAvatar();
        _avatar = Fixtures.Avatar();
        _avatarRecord = Fixtures.AvatarRecord();
        _avatarBytes = _googleAvatar.ToByteArray();
        _googleChat = Fixtures.GoogleChat();
        _chat = Fixtures.Chat();
        _chatBytes = _googleChat.ToByteArray();
        _googleBlock = Fixtures.GoogleBlock();
        _block = Fixtures.Block();
        _blockBytes = _googleBlock.ToByteArray();
    }

    // --- AvatarTransform (29 bytes) ---

    /// <summary>Google.Protobuf: size, then <c>WriteTo(Span&lt;byte&gt;)</c>.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory(Avatar, Encode)]
    public int AvatarEncode_Google()
    {
        int size = _googleAvatar.CalculateSize();
        _googleAvatar.WriteTo(_buffer.AsSpan(0, size));
        return size;
    }

    /// <summary>PeerKit, record struct.</summary>
    [Benchmark, BenchmarkCategory(Avatar, Encode)]
    public int AvatarEncode_PeerKit() => MessageSerializer.Write(in _avatar, _buffer);

    /// <summary>PeerKit, class record.</summary>
    [Benchmark, BenchmarkCategory(Avatar, Encode)]
    public int AvatarEncode_PeerKitRecord() => MessageSerializer.Write(in _avatarRecord, _buffer);

    /// <summary>Google.Protobuf: <c>Parser.ParseFrom(ReadOnlySpan&lt;byte&gt;)</c>.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory(Avatar, Decode)]
    public Pb.AvatarTransform AvatarDecode_Google() => Pb.AvatarTransform.Parser.ParseFrom(new ReadOnlySpan<byte>(_avatarBytes));

    /// <summary>PeerKit, record struct.</summary>
    [Benchmark, BenchmarkCategory(Avatar, Decode)]
    public AvatarTransform AvatarDecode_PeerKit() => MessageSerializer.Read<AvatarTransform>(new ReadOnlySpan<byte>(_avatarBytes));

    /// <summary>PeerKit, class record.</summary>
    [Benchmark, BenchmarkCategory(Avatar, Decode)]
    public AvatarTransformRecord AvatarDecode_PeerKitRecord() => MessageSerializer.Read<AvatarTransformRecord>(new ReadOnlySpan<byte>(_avatarBytes));

    // --- ChatMessage ---

    /// <summary>Google.Protobuf: size, then <c>WriteTo(Span&lt;byte&gt;)</c>.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory(Chat, Encode)]
    public int ChatEncode_Google()
    {
        int size = _googleChat.CalculateSize();
        _googleChat.WriteTo(_buffer.AsSpan(0, size));
        return size;
    }

    /// <summary>PeerKit, record.</summary>
    [Benchmark, BenchmarkCategory(Chat, Encode)]
    public int ChatEncode_PeerKit() => MessageSerializer.Write(in _chat, _buffer);

    /// <summary>Google.Protobuf: <c>Parser.ParseFrom(ReadOnlySpan&lt;byte&gt;)</c>.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory(Chat, Decode)]
    public Pb.ChatMessage ChatDecode_Google() => Pb.ChatMessage.Parser.ParseFrom(new ReadOnlySpan<byte>(_chatBytes));

    /// <summary>PeerKit, record.</summary>
    [Benchmark, BenchmarkCategory(Chat, Decode)]
    public ChatMessage ChatDecode_PeerKit() => MessageSerializer.Read<ChatMessage>(new ReadOnlySpan<byte>(_chatBytes));

    // --- Block (1 KiB) ---

    /// <summary>Google.Protobuf: size, then <c>WriteTo(Span&lt;byte&gt;)</c>.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory(Block, Encode)]
    public int BlockEncode_Google()
    {
        int size = _googleBlock.CalculateSize();
        _googleBlock.WriteTo(_buffer.AsSpan(0, size));
        return size;
    }

    /// <summary>PeerKit, record with a nested record, <c>byte[]</c> and <c>int[]</c> members.</summary>
    [Benchmark, BenchmarkCategory(Block, Encode)]
    public int BlockEncode_PeerKit() => MessageSerializer.Write(in _block, _buffer);

    /// <summary>Google.Protobuf: <c>Parser.ParseFrom(ReadOnlySpan&lt;byte&gt;)</c> (copies the bytes fields).</summary>
    [Benchmark(Baseline = true), BenchmarkCategory(Block, Decode)]
    public Pb.Block BlockDecode_Google() => Pb.Block.Parser.ParseFrom(new ReadOnlySpan<byte>(_blockBytes));

    /// <summary>PeerKit from a span, <c>byte[]</c> members (copies the bytes fields, as Google does).</summary>
    [Benchmark, BenchmarkCategory(Block, Decode)]
    public Messages.Block BlockDecode_PeerKit() => MessageSerializer.Read<Messages.Block>(new ReadOnlySpan<byte>(_blockBytes));

    /// <summary>PeerKit from a <see cref="ReadOnlyMemory{T}"/>, <see cref="ReadOnlyMemory{T}"/> members: the bytes fields are slices, not copies.</summary>
    [Benchmark, BenchmarkCategory(Block, Decode)]
    public BlockSlices BlockDecode_PeerKitSlices() => MessageSerializer.Read<BlockSlices>(new ReadOnlyMemory<byte>(_blockBytes));
}
